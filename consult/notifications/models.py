"""The in-app inbox: what happened that concerns a person."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db

# Messages are stored as a kind and parameters and translated when shown, so that each
# reader sees them in their own language.
MESSAGES = {
    "proposal.raised": _l("New matter in %(place)s: “%(title)s”"),
    "proposal.state": _l("“%(title)s”: %(event)s"),
    "proposal.escalated_here": _l("A matter was escalated to %(place)s: “%(title)s”"),
    "ballot.opened": _l("Voting has opened: “%(question)s”"),
    "ballot.paper_entered": _l("A paper ballot was entered for you: “%(question)s”"),
    "ballot.closed": _l("Voting has closed, see the result: “%(question)s”"),
    "meeting.invited": _l("You are invited to a meeting: “%(title)s”"),
    "meeting.changed": _l("A meeting you are invited to has changed: “%(title)s”"),
    "meeting.cancelled": _l("A meeting was cancelled: “%(title)s”"),
    "ballot.reminder": _l("Voting on “%(question)s” closes within %(hours)d hours and you have not voted yet"),
    "meeting.reminder": _l("The meeting “%(title)s” begins within %(hours)d hours"),
    "motion.assigned": _l("A motion was assigned to your organisation: “%(title)s”"),
    "motion.reported": _l("%(organisation)s reported for the motion “%(title)s”"),
    "motion.declined": _l("The responder declined the motion “%(title)s”"),
    "motion.time_asked": _l("More time is asked for the motion “%(title)s”"),
    "motion.time_decided": _l("The moderator decided on more time for “%(title)s”"),
    "motion.completed": _l("The motion “%(title)s” was completed"),
    "motion.rate": _l("“%(title)s” is done: tell us whether you are satisfied"),
    "motion.reopened": _l("The motion “%(title)s” was reopened"),
    "motion.sent_back": _l("The motion “%(title)s” was sent back to you"),
    "motion.withdrawn": _l("The motion “%(title)s” was withdrawn"),
    "motion.escalated": _l("A motion was escalated to %(place)s: “%(title)s”"),
    "motion.reminder": _l("A deadline of the motion “%(title)s” is near"),
    "motion.overdue": _l("A deadline of the motion “%(title)s” has passed"),
    "minutes.draft": _l("The minutes of “%(title)s” are drafted: check and edit them"),
    "minutes.sign": _l("The minutes of “%(title)s” wait for your signature"),
    "minutes.returned": _l("The minutes of “%(title)s” were sent back to the draft"),
    "minutes.published": _l("The minutes of “%(title)s” are published: comment or object within the period"),
    "minutes.corrected": _l("The minutes of “%(title)s” were corrected"),
    "minutes.objection": _l("An objection was raised to the minutes of “%(title)s”"),
    "minutes.answered": _l("Your remark on the minutes of “%(title)s” was answered"),
}


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]
    emailed_at: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} u={self.user_id}>"

    @property
    def text(self) -> str:
        params = dict(self.params)
        if "event" in params:
            from ..proposals.lifecycle import event_label

            params["event"] = event_label(params["event"])
        return str(MESSAGES.get(self.kind, self.kind)) % params if self.kind in MESSAGES else self.kind
