"""The whole current state of a room, as the page embeds it and the client script keeps it:
the client then applies each event after ``seq``. Reading ``seq`` first means the state
holds at least everything up to it; the client's handlers are idempotent for the rest."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..privacy import mask_personal_numbers
from . import service as meetings
from .models import Attendance, Invitee, Meeting, RaisedHand, Statement


def _iso(moment):
    return moment.isoformat() + "Z" if moment else None


def room_state(meeting: Meeting, viewer) -> dict:
    seq = db.session.scalar(select(Meeting.last_seq).where(Meeting.id == meeting.id))
    place = meeting.place
    attendance = db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)
                                    .order_by(Attendance.at)).all()
    invited = set(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
    hands = db.session.scalars(select(RaisedHand).where(RaisedHand.meeting_id == meeting.id)
                               .order_by(RaisedHand.at)).all()
    statements = db.session.scalars(select(Statement).where(Statement.meeting_id == meeting.id)
                                    .order_by(Statement.id)).all()
    return {
        "seq": seq,
        "meeting": {"id": meeting.id, "title": meeting.title, "state": meeting.state.value,
                    "form": meeting.form.value, "quorum": meeting.quorum.value,
                    "item": meeting.current_item_id},
        "agenda": [{"id": i.id, "position": i.position, "title": i.title, "proposal": i.proposal_id,
                    "decision": i.decision} for i in meeting.agenda],
        "attendance": [{"user": a.user_id, "name": meetings.public_name(a.user, place),
                        "role": meetings.role_in(a.user, meeting), "in_person": a.in_person,
                        "invited": a.user_id in invited} for a in attendance],
        **meetings.quorum(meeting),
        "speakers_open": meeting.speakers_open,
        "hands": [{"user": h.user_id, "name": meetings.public_name(h.user, place)} for h in hands],
        "floor": {"user": meeting.floor_user_id, "name": meetings.public_name(meeting.floor_user, place),
                  "until": _iso(meeting.floor_until)} if meeting.floor_user_id else None,
        "statements": [{"id": s.id, "item": s.item_id, "user": s.author_id,
                        "name": meetings.public_name(s.author, place),
                        "body": None if s.hidden_reason else mask_personal_numbers(s.body), "reason": s.hidden_reason} for s in statements],
        "ballots": _ballots(meeting, viewer),
        "me": {"id": viewer.id, "run": meetings.can_run(viewer, meeting),
               "signed_in": any(a.user_id == viewer.id for a in attendance)},
    }


def _ballots(meeting: Meeting, viewer) -> list[dict]:
    from ..voting import service as voting
    from ..voting.models import Ballot, BallotState

    out = []
    for ballot in db.session.scalars(select(Ballot).where(Ballot.meeting_id == meeting.id).order_by(Ballot.id)):
        entry = {"ballot": ballot.id, "question": ballot.question, "choices": ballot.choices(),
                 "kind": ballot.kind.value, "max_choices": ballot.max_choices,
                 "secret": ballot.secrecy.value == "secret", "state": ballot.state.value}
        voter = voting.voter_of(ballot, viewer)
        entry["can_vote"] = voter is not None
        entry["voted"] = voting.participation_of(ballot, voter) is not None
        if ballot.state is BallotState.closed and ballot.result:
            r = ballot.result
            entry.update(passed=r["passed"], winners=r["winners"], explanation=ballot.explanation(), marks=r["marks"],
                         cast=r["cast"], eligible=r["eligible"])
        else:
            from .live import tally_message

            entry["tally"] = tally_message(ballot)
        out.append(entry)
    return out
