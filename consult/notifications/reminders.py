"""Reminders before a deadline: those who have not voted in a ballot over a period, some
hours before it closes (BALLOT_REMIND_HOURS, by default 72 and 24), and a meeting's
invitees before it starts (MEETING_REMIND_HOURS, 24 and 1). Each reminder goes once per
person, deadline and distance: a row in ``reminders_sent`` is written with it, unique,
and written first (``ON CONFLICT DO NOTHING``), so that several processes running the
loop at once remind nobody twice. A moved deadline is a new deadline. Reminders are
messages like any other: in the inbox, in each person's language, through the outbox
with its quiet hours."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db


class ReminderSent(db.Model):
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("subject", "subject_id", "user_id", "deadline", "hours",
                                       name="uq_reminders_sent_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))   # "ballot" or "meeting"
    subject_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[datetime]
    hours: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def forget(user) -> None:
    db.session.execute(delete(ReminderSent).where(ReminderSent.user_id == user.id))


def _hours(setting: str) -> list[int]:
    return sorted({int(h) for h in str(setting).split(",") if h.strip()}, reverse=True)


def _due_distance(deadline: datetime, since: datetime, hours: list[int], now: datetime):
    """The reminder due now: the nearest distance whose moment has come, provided the
    ballot or meeting already existed then (a meeting called two hours ahead gets no
    "24 hours before"), else None."""
    due = [h for h in hours if deadline - timedelta(hours=h) <= now < deadline]
    if not due:
        return None
    nearest = min(due)
    return nearest if since <= deadline - timedelta(hours=nearest) else None


def _flag(subject: str, subject_id: int, user_ids: list[int], deadline: datetime, hours: int) -> list[int]:
    """Write the "reminded" rows; return the people whose row is new. A row already there
    (another process, an earlier round) is left alone, and its person is not reminded."""
    if not user_ids:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    rows = [{"subject": subject, "subject_id": subject_id, "user_id": uid, "deadline": deadline, "hours": hours,
             "created_at": now} for uid in user_ids]
    written = db.session.execute(insert(ReminderSent).on_conflict_do_nothing().returning(ReminderSent.user_id),
                                 rows).scalars().all()
    return list(written)


def not_voted(ballot) -> list[int]:
    """The accounts that may vote for a voter of the ballot that has not voted yet."""
    from ..places.models import HouseholdMember
    from ..voting.models import BallotVoter, Participation

    waiting = select(BallotVoter).where(
        BallotVoter.ballot_id == ballot.id,
        ~select(Participation.id).where(Participation.voter_id == BallotVoter.id).exists()).subquery()
    direct = select(waiting.c.user_id).where(waiting.c.user_id.is_not(None))
    members = select(HouseholdMember.user_id).join(waiting, waiting.c.household_id == HouseholdMember.household_id)
    return list(db.session.scalars(direct.union(members)))


def run(now: datetime | None = None) -> int:
    """Send the reminders that are due; the number of people reminded. Runs in the caller's
    unit of work (the server's loop, ``flask --app consult follow-up``)."""
    from ..meetings.models import Invitee, Meeting, MeetingState
    from ..voting.models import Ballot, BallotState
    from .service import notify_ids

    now = now or utcnow()
    config = current_app.config
    reminded = 0
    ballot_hours = _hours(config["BALLOT_REMIND_HOURS"])
    if ballot_hours:
        horizon = now + timedelta(hours=max(ballot_hours))
        for ballot in db.session.scalars(select(Ballot).where(
                Ballot.state == BallotState.open, Ballot.closes_at.is_not(None), Ballot.closes_at > now,
                Ballot.closes_at <= horizon)):
            hours = _due_distance(ballot.closes_at, ballot.opened_at or ballot.opens_at or ballot.created_at,
                                  ballot_hours, now)
            if hours is None:
                continue
            people = _flag("ballot", ballot.id, not_voted(ballot), ballot.closes_at, hours)
            reminded += notify_ids(people, "ballot.reminder", ballot=ballot.id, question=ballot.question,
                                   hours=hours)
    meeting_hours = _hours(config["MEETING_REMIND_HOURS"])
    if meeting_hours:
        horizon = now + timedelta(hours=max(meeting_hours))
        for meeting in db.session.scalars(select(Meeting).where(
                Meeting.state == MeetingState.scheduled, Meeting.starts_at > now, Meeting.starts_at <= horizon)):
            hours = _due_distance(meeting.starts_at, meeting.created_at, meeting_hours, now)
            if hours is None:
                continue
            invitees = list(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
            people = _flag("meeting", meeting.id, invitees, meeting.starts_at, hours)
            reminded += notify_ids(people, "meeting.reminder", meeting=meeting.id, title=meeting.title, hours=hours)
    return reminded
