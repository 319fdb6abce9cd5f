"""Meetings: scheduling, invitations, and every action of the live room.

Each room action checks who acts, changes the current state, and appends one numbered
event (``_event``) in the same transaction; once it commits, ``events_committed`` carries
the events to the room (``database.on_commit``), so that nothing is announced that was not
saved.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update

from .. import permissions, privacy
from ..accounts.models import Organisation, Role, User
from ..audit import service as audit
from ..clock import utcnow
from ..database import collected, on_commit
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..notifications import service as notifications
from ..places import service as places
from ..places.models import Place
from ..privacy import mask_personal_numbers
from . import schema
from ..proposals.lifecycle import DELIBERABLE
from .lifecycle import TRANSITIONS
from .signals import events_committed, meeting_ended, meeting_scheduled
from .models import (
    AgendaItem,
    Attendance,
    Invitee,
    Meeting,
    MeetingEvent,
    MeetingForm,
    MeetingKind,
    MeetingState,
    Quorum,
    RaisedHand,
    Response,
    Statement,
)


TITLE_MAX = 120
STATEMENT_MAX = 1000
DECISION_MAX = 2000
REASON_MAX = 500
FLOOR_SECONDS_MAX = 30 * 60


# --- the event log -------------------------------------------------------------------------

def _event(meeting: Meeting, kind: str, /, *, actor, **data) -> MeetingEvent:
    """Append the meeting's next event. Taking the number updates the meeting's row, which
    holds other actions on the same meeting until this one commits: numbers have no gaps
    and follow the order of the commits."""
    seq = db.session.execute(update(Meeting).where(Meeting.id == meeting.id)
                             .values(last_seq=Meeting.last_seq + 1).returning(Meeting.last_seq),
                             execution_options={"synchronize_session": False}).scalar_one()
    db.session.expire(meeting, ["last_seq"])
    schema.check_event(kind, data)
    event = MeetingEvent(meeting_id=meeting.id, seq=seq, actor_id=getattr(actor, "id", None), kind=kind,
                         data=data, at=utcnow())
    db.session.add(event)
    written = collected("meeting_events")
    written.append((meeting.id, event.as_message()))
    on_commit(lambda: events_committed.send(None, events=written), key="meeting_events")
    return event


def events_written() -> list[tuple[int, dict]]:
    """The room events the running unit of work has written so far, as (meeting id,
    message): announced to the rooms once it commits."""
    return collected("meeting_events")


def events_after(meeting: Meeting, seq: int, *, limit: int = 1000) -> list[MeetingEvent]:
    return list(db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id,
                                                              MeetingEvent.seq > seq)
                                   .order_by(MeetingEvent.seq).limit(limit)))


# A name as the whole room may read it; the room's state asks it by this name.
public_name = privacy.public_name


ROLE_ORDER = (Role.moderator, Role.administrator, Role.department_rep, Role.property_manager,
              Role.committee_member, Role.expert, Role.grid_worker, Role.building_leader, Role.resident)


def role_in(person: User, meeting: Meeting) -> str:
    """The role a person attends in, for the list of who is present."""
    if person.id == meeting.moderator_id:
        return Role.moderator.value
    roles = permissions.roles_in(person, meeting.place)
    if permissions.belongs_to(person, meeting.place):
        roles.add(Role.resident)
    invitee = db.session.scalar(select(Invitee).where(Invitee.meeting_id == meeting.id,
                                                      Invitee.user_id == person.id))
    if invitee is not None and invitee.organisation is not None:
        return invitee.organisation.kind.value
    return next((r.value for r in ROLE_ORDER if r in roles), "guest")


# --- who may do what: the rules are in ``permissions``; the room's transport and its state
# ask them by these names.

can_run = permissions.can_run_meeting
can_enter = permissions.can_enter_meeting
is_invited = permissions.is_invited


def _require_run(actor, meeting: Meeting) -> None:
    permissions.require(can_run(actor, meeting), _l("Only the moderator can do this."))


def _require_open(meeting: Meeting) -> None:
    TRANSITIONS.require(meeting.state, "chair", _l("The meeting is not in session."))


def _require_signed_in(actor, meeting: Meeting) -> Attendance:
    permissions.require(can_enter(actor, meeting), _l("You are not invited to this meeting."))
    attendance = db.session.scalar(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                            Attendance.user_id == actor.id))
    if attendance is None:
        raise InvalidTransition(_l("Sign in to the meeting first."))
    return attendance


# --- scheduling ----------------------------------------------------------------------------

def _invite(meeting: Meeting, people: Iterable[User], organisation: Optional[Organisation] = None) -> int:
    known = set(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
    rows = []
    for person in people:
        if person.id not in known:
            known.add(person.id)
            rows.append({"meeting_id": meeting.id, "user_id": person.id,
                         "organisation_id": getattr(organisation, "id", None), "response": Response.pending})
    if rows:
        db.session.execute(insert(Invitee), rows)
    return len(rows)


def schedule(place: Place, *, actor, title: str, kind: MeetingKind, form: MeetingForm, starts_at: datetime,
             location: str = "", quorum: Quorum = Quorum.none, recorder: Optional[User] = None,
             invite_residents: bool = False, invite_owners: bool = False, people: Iterable[User] = (),
             organisations: Iterable[Organisation] = (), proposals: Iterable = (),
             free_items: Iterable[str] = ()) -> Meeting:
    """A moderator schedules a meeting with its invitees and agenda; invitees are told."""
    permissions.require(permissions.can_schedule_meeting(actor, place))
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(_l("Give the meeting a title of at most %(n)d characters.", n=TITLE_MAX))
    if starts_at < utcnow() - timedelta(hours=12):
        raise InvalidInput(_l("The meeting cannot start in the past."))
    if form is not MeetingForm.online and not (location or "").strip():
        raise InvalidInput(_l("Say where the meeting takes place."))
    items = [(p.title[:200], p) for p in proposals] + [(t.strip()[:200], None) for t in free_items if t.strip()]
    if not items:
        raise InvalidInput(_l("Put at least one item on the agenda."))
    for _title, proposal in items:
        if proposal is not None and not proposal.place.is_within(place) and not place.is_within(proposal.place):
            raise InvalidInput(_l("A matter on the agenda must belong to the meeting's place."))
    meeting = Meeting(place=place, title=title, kind=kind, form=form, starts_at=starts_at,
                      location=(location or "").strip()[:200], quorum=quorum, moderator_id=actor.id,
                      recorder_id=getattr(recorder, "id", None),
                      agenda=[AgendaItem(position=n, title=t, proposal=p) for n, (t, p) in enumerate(items, 1)])
    db.session.add(meeting)
    db.session.flush()
    invited = [*people] + ([recorder] if recorder else [])
    if invite_residents or invite_owners:
        invited += places.residents_of(place, owners_only=invite_owners and not invite_residents)
    _invite(meeting, invited)
    for organisation in organisations:
        _invite(meeting, [m.user for m in organisation.members], organisation)
    if not db.session.scalar(select(func.count()).select_from(Invitee).where(Invitee.meeting_id == meeting.id)):
        raise InvalidInput(_l("Invite at least one person."))
    meeting_scheduled.send(meeting, actor=actor)
    audit.record("meeting.schedule", meeting, actor=actor, place=place)
    notifications.notify_ids(_invitee_ids(meeting), "meeting.invited", skip=actor, meeting=meeting.id,
                             title=meeting.title)
    return meeting


def _invitee_ids(meeting: Meeting) -> list[int]:
    return list(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))


def reschedule(meeting: Meeting, *, actor, starts_at: datetime, location: str) -> Meeting:
    _require_run(actor, meeting)
    TRANSITIONS.require(meeting.state, "reschedule", _l("Only a meeting that has not started can be changed."))
    if meeting.form is not MeetingForm.online and not (location or "").strip():
        raise InvalidInput(_l("Say where the meeting takes place."))
    meeting.starts_at, meeting.location = starts_at, (location or "").strip()[:200]
    audit.record("meeting.reschedule", meeting, actor=actor, place=meeting.place)
    notifications.notify_ids(_invitee_ids(meeting), "meeting.changed", skip=actor, meeting=meeting.id,
                             title=meeting.title)
    _event(meeting, "rescheduled", actor=actor, starts_at=starts_at.isoformat() + "Z", location=meeting.location)
    return meeting


def cancel(meeting: Meeting, *, actor, reason: str) -> Meeting:
    _require_run(actor, meeting)
    step = TRANSITIONS.require(meeting.state, "cancel", _l("Only a meeting that has not started can be cancelled."))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason in at most %(n)d characters.", n=REASON_MAX))
    meeting.state = step.target
    audit.record("meeting.cancel", meeting, actor=actor, place=meeting.place)
    notifications.notify_ids(_invitee_ids(meeting), "meeting.cancelled", skip=actor, meeting=meeting.id,
                             title=meeting.title)
    _event(meeting, "cancelled", actor=actor, reason=reason)
    return meeting


def respond(meeting: Meeting, *, actor, accept: bool) -> Invitee:
    invitee = db.session.scalar(select(Invitee).where(Invitee.meeting_id == meeting.id, Invitee.user_id == actor.id))
    if invitee is None:
        raise NotAllowed(_l("You are not invited to this meeting."))
    TRANSITIONS.require(meeting.state, "respond", _l("The meeting is over."))
    invitee.response = Response.accepted if accept else Response.declined
    invitee.responded_at = utcnow()
    return invitee


def meetings_for(user, *, limit: int = 50) -> list[Meeting]:
    """Meetings a person is invited to or runs, coming ones first."""
    invited = select(Invitee.meeting_id).where(Invitee.user_id == user.id)
    rows = db.session.scalars(select(Meeting).where(Meeting.id.in_(invited) | (Meeting.moderator_id == user.id))
                              .order_by(Meeting.starts_at.desc()).limit(limit)).all()
    return rows


def invitees_in_order(meeting: Meeting) -> list[Invitee]:
    """The invitees in address order; those invited for an organisation after the residents."""
    from ..places import service as places

    order = {u.id: n for n, u in enumerate(places.people_in_address_order([i.user for i in meeting.invitees],
                                                                          meeting.place))}
    return sorted(meeting.invitees, key=lambda i: (i.organisation_id is not None, order[i.user_id]))


def coming_for(user, *, limit: int = 20) -> list[Meeting]:
    """Meetings a person is invited to that are live now or still to come (not those they
    declined), the soonest first: for the home page."""
    invited = select(Invitee.meeting_id).where(Invitee.user_id == user.id, Invitee.response != Response.declined)
    live = Meeting.state.in_([MeetingState.live, MeetingState.paused])
    coming = (Meeting.state == MeetingState.scheduled) & (Meeting.starts_at >= utcnow() - timedelta(hours=12))
    rows = db.session.scalars(select(Meeting).where(Meeting.id.in_(invited), live | coming)
                              .order_by(Meeting.starts_at).limit(limit)).all()
    return sorted(rows, key=lambda m: m.state is MeetingState.scheduled)


def meetings_in(place: Place, *, limit: int = 100) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).join(Meeting.place)
                                   .where(Place.path.startswith(place.path, autoescape=True))
                                   .order_by(Meeting.starts_at.desc()).limit(limit)))


# --- the room: attendance --------------------------------------------------------------------

def sign_in(meeting: Meeting, *, actor, in_person: bool = False) -> Optional[Attendance]:
    """签到 by entering the room (or, ``in_person``, by scanning the code shown in the hall);
    signing in again changes nothing."""
    permissions.require(can_enter(actor, meeting), _l("You are not invited to this meeting."))
    TRANSITIONS.require(meeting.state, "sign_in", _l("The meeting is over."))
    if db.session.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                                     Attendance.user_id == actor.id)) is not None:
        return None
    attendance = Attendance(meeting_id=meeting.id, user_id=actor.id, in_person=in_person, at=utcnow())
    db.session.add(attendance)
    _attended(meeting, actor, actor, in_person=in_person)
    return attendance


def mark_present(meeting: Meeting, person: User, *, actor) -> Attendance:
    """The moderator signs in someone who is in the hall."""
    _require_run(actor, meeting)
    if meeting.form is MeetingForm.online:
        raise InvalidInput(_l("This meeting is held online only."))
    TRANSITIONS.require(meeting.state, "sign_in", _l("The meeting is over."))
    permissions.require(can_enter(person, meeting), _l("This person is not invited to the meeting."))
    attendance = db.session.scalar(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                            Attendance.user_id == person.id))
    if attendance is not None:
        raise Conflict(_l("This person has already signed in."))
    attendance = Attendance(meeting_id=meeting.id, user_id=person.id, in_person=True, at=utcnow())
    db.session.add(attendance)
    _attended(meeting, person, actor, in_person=True)
    return attendance


def _attended(meeting: Meeting, person: User, actor, *, in_person: bool) -> None:
    db.session.flush()
    _event(meeting, "signed_in", actor=actor, user=person.id, name=public_name(person, meeting.place),
           role=role_in(person, meeting), in_person=in_person, invited=is_invited(person, meeting),
           **quorum(meeting))


def quorum_figures(meeting: Meeting) -> tuple[int, int]:
    """(present, expected): invitees signed in, and invitees. Those who run the meeting
    without being invited do not count towards the quorum."""
    present = db.session.scalar(select(func.count()).select_from(Attendance)
                                .join(Invitee, (Invitee.meeting_id == Attendance.meeting_id)
                                      & (Invitee.user_id == Attendance.user_id))
                                .where(Attendance.meeting_id == meeting.id))
    expected = db.session.scalar(select(func.count()).select_from(Invitee).where(Invitee.meeting_id == meeting.id))
    return present, expected


def quorum(meeting: Meeting) -> dict:
    """What the room shows of the quorum, decided here: the page's script only draws it."""
    present, expected = quorum_figures(meeting)
    return {"present": present, "expected": expected, "quorum_met": meeting.quorum.met(present, expected)}


# --- the room: running it --------------------------------------------------------------------

ROOM_STEPS = ("start", "pause", "resume", "end")


def change_state(meeting: Meeting, step: str, *, actor) -> Meeting:
    _require_run(actor, meeting)
    if step not in ROOM_STEPS:
        raise InvalidInput(_l("Unknown action."))
    target = TRANSITIONS.require(meeting.state, step, _l("This cannot be done while the meeting is “%(state)s”.",
                                                         state=meeting.state.label)).target
    meeting.state = target
    if step == "start":
        meeting.started_at = utcnow()
        if meeting.current_item_id is None and meeting.agenda:
            meeting.current_item_id = meeting.agenda[0].id
    if step == "end":
        meeting.ended_at = utcnow()
        meeting.floor_user_id, meeting.floor_until, meeting.speakers_open = None, None, False
        db.session.execute(delete(RaisedHand).where(RaisedHand.meeting_id == meeting.id))
    audit.record(f"meeting.{step}", meeting, actor=actor, place=meeting.place)
    _event(meeting, step, actor=actor, state=target.value, item=meeting.current_item_id)
    if step == "end":
        meeting_ended.send(meeting, actor=actor)
    return meeting


def set_item(meeting: Meeting, item: AgendaItem, *, actor) -> Meeting:
    _require_run(actor, meeting)
    _require_open(meeting)
    if item.meeting_id != meeting.id:
        raise InvalidInput(_l("This item is not on the meeting's agenda."))
    meeting.current_item_id = item.id
    _event(meeting, "item", actor=actor, item=item.id, title=item.title, proposal=item.proposal_id)
    return meeting


def record_decision(meeting: Meeting, item: AgendaItem, *, actor, text: str) -> AgendaItem:
    _require_run(actor, meeting)
    _require_open(meeting)
    if item.meeting_id != meeting.id:
        raise InvalidInput(_l("This item is not on the meeting's agenda."))
    text = (text or "").strip()
    if not text or len(text) > DECISION_MAX:
        raise InvalidInput(_l("Write the decision in at most %(n)d characters.", n=DECISION_MAX))
    item.decision = text
    audit.record("meeting.decision", meeting, actor=actor, place=meeting.place, item=item.id)
    _event(meeting, "decision", actor=actor, item=item.id, text=text)
    return item


# --- the room: speakers ------------------------------------------------------------------------

def set_speakers_open(meeting: Meeting, is_open: bool, *, actor) -> Meeting:
    _require_run(actor, meeting)
    _require_open(meeting)
    meeting.speakers_open = is_open
    if not is_open:
        db.session.execute(delete(RaisedHand).where(RaisedHand.meeting_id == meeting.id))
    _event(meeting, "speakers", actor=actor, open=is_open)
    return meeting


def raise_hand(meeting: Meeting, *, actor) -> RaisedHand:
    _require_signed_in(actor, meeting)
    _require_open(meeting)
    if not meeting.speakers_open:
        raise InvalidTransition(_l("The speakers' list is not open."))
    if db.session.scalar(select(RaisedHand.id).where(RaisedHand.meeting_id == meeting.id,
                                                     RaisedHand.user_id == actor.id)) is not None:
        raise Conflict(_l("Your hand is already raised."))
    hand = RaisedHand(meeting_id=meeting.id, user_id=actor.id, at=utcnow())
    db.session.add(hand)
    _event(meeting, "hand_raised", actor=actor, user=actor.id, name=public_name(actor, meeting.place))
    return hand


def lower_hand(meeting: Meeting, person: User, *, actor) -> None:
    """A person lowers their own hand; the moderator lowers anyone's."""
    if person.id != actor.id:
        _require_run(actor, meeting)
    _require_open(meeting)
    removed = db.session.execute(delete(RaisedHand).where(RaisedHand.meeting_id == meeting.id,
                                                          RaisedHand.user_id == person.id)).rowcount
    if not removed:
        raise InvalidTransition(_l("This hand is not raised."))
    _event(meeting, "hand_lowered", actor=actor, user=person.id)


def lower_all_hands(meeting: Meeting, *, actor) -> None:
    _require_run(actor, meeting)
    _require_open(meeting)
    db.session.execute(delete(RaisedHand).where(RaisedHand.meeting_id == meeting.id))
    _event(meeting, "hands_lowered", actor=actor)


def give_floor(meeting: Meeting, person: User, *, actor, seconds: Optional[int] = None) -> Meeting:
    _require_run(actor, meeting)
    _require_open(meeting)
    if seconds is not None and not 10 <= seconds <= FLOOR_SECONDS_MAX:
        raise InvalidInput(_l("A speaking time is between 10 seconds and 30 minutes."))
    if db.session.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                                     Attendance.user_id == person.id)) is None:
        raise InvalidTransition(_l("Only someone signed in to the meeting can be given the floor."))
    db.session.execute(delete(RaisedHand).where(RaisedHand.meeting_id == meeting.id,
                                                RaisedHand.user_id == person.id))
    meeting.floor_user_id = person.id
    meeting.floor_until = utcnow() + timedelta(seconds=seconds) if seconds else None
    _event(meeting, "floor", actor=actor, user=person.id, name=public_name(person, meeting.place),
           until=meeting.floor_until.isoformat() + "Z" if meeting.floor_until else None, seconds=seconds)
    return meeting


def take_floor(meeting: Meeting, *, actor) -> Meeting:
    _require_run(actor, meeting)
    _require_open(meeting)
    if meeting.floor_user_id is None:
        raise InvalidTransition(_l("Nobody has the floor."))
    meeting.floor_user_id, meeting.floor_until = None, None
    _event(meeting, "floor", actor=actor, user=None, name="", until=None, seconds=None)
    return meeting


# --- the room: statements ----------------------------------------------------------------------

def post_statement(meeting: Meeting, *, actor, body: str) -> Statement:
    _require_signed_in(actor, meeting)
    TRANSITIONS.require(meeting.state, "speak", _l("Statements can be posted while the meeting is in session."))
    body = (body or "").strip()
    if not body or len(body) > STATEMENT_MAX:
        raise InvalidInput(_l("Write your statement in at most %(n)d characters.", n=STATEMENT_MAX))
    statement = Statement(meeting_id=meeting.id, item_id=meeting.current_item_id, author_id=actor.id, body=body,
                          at=utcnow())
    db.session.add(statement)
    db.session.flush()
    _event(meeting, "statement", actor=actor, id=statement.id, item=statement.item_id, user=actor.id,
           name=public_name(actor, meeting.place), body=mask_personal_numbers(body))
    return statement


def hide_statement(meeting: Meeting, statement: Statement, *, actor, reason: str) -> Statement:
    _require_run(actor, meeting)
    if statement.meeting_id != meeting.id:
        raise InvalidInput(_l("This statement is not of this meeting."))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason in at most %(n)d characters.", n=REASON_MAX))
    statement.hidden_reason, statement.hidden_by_id = reason, actor.id
    audit.record("meeting.statement_hide", meeting, actor=actor, place=meeting.place, statement=statement.id)
    _event(meeting, "statement_hidden", actor=actor, id=statement.id, reason=reason)
    return statement


# --- the room: ballots ---------------------------------------------------------------------------

def open_ballot(meeting: Meeting, *, actor, question: str, rule: str = "simple_majority", kind=None,
                options: Iterable[str] = (), max_choices: int = 1, secrecy=None, item: Optional[AgendaItem] = None):
    """A ballot of the people signed in, opened in the room."""
    from ..voting import service as voting
    from ..voting.models import BallotKind, Electorate, Secrecy

    _require_run(actor, meeting)
    TRANSITIONS.require(meeting.state, "vote", _l("Ballots are held while the meeting is in session."))
    item = item or meeting.current_item
    proposal = item.proposal if item is not None else None
    if proposal is not None and proposal.state not in DELIBERABLE:
        proposal = None
    ballot = voting.draft_ballot(meeting.place, actor=actor, question=question, electorate=Electorate.attendees,
                                 secrecy=secrecy or Secrecy.named, rule=rule, kind=kind or BallotKind.yes_no,
                                 options=options, max_choices=max_choices, proposal=proposal)
    ballot.meeting_id = meeting.id
    attendees = db.session.scalars(select(User).join(Attendance, Attendance.user_id == User.id)
                                   .where(Attendance.meeting_id == meeting.id)).all()
    voting.open_ballot(ballot, actor=actor, attendees=attendees)
    _event(meeting, "ballot_opened", actor=actor, ballot=ballot.id, question=ballot.question,
           choices=ballot.choice_words(), kind=ballot.kind.value, max_choices=ballot.max_choices,
           secret=ballot.secrecy.value == "secret", voters=len(attendees))
    return ballot


def close_ballot(meeting: Meeting, ballot, *, actor):
    from ..voting import service as voting

    _require_run(actor, meeting)
    if ballot.meeting_id != meeting.id:
        raise InvalidInput(_l("This ballot is not of this meeting."))
    voting.close_ballot(ballot, actor=actor)
    result = ballot.result
    _event(meeting, "ballot_closed", actor=actor, ballot=ballot.id, passed=result["passed"],
           winners=result["winners"], explanation=result["said"], marks=result["marks"],
           cast=result["cast"], eligible=result["eligible"])
    return ballot
