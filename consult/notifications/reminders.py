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
