"""Visits (民情走访, 敲门行动): a grid worker or building leader knocks on a household's
door, listens, and writes down what was heard and what came of it."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..proposals.models import Proposal


class VisitOutcome(enum.Enum):
    settled = "settled"          # 当场解决
    follow_up = "follow_up"      # 需跟进
    raised = "raised"            # 转为议题（代办）
    nothing = "nothing"          # 无诉求
    nobody_home = "nobody_home"  # 无人在家

    @property
    def label(self):
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    VisitOutcome.settled: _l("Settled on the spot"),
    VisitOutcome.follow_up: _l("Needs follow-up"),
    VisitOutcome.raised: _l("Raised as a matter"),
    VisitOutcome.nothing: _l("Nothing to raise"),
    VisitOutcome.nobody_home: _l("Nobody at home"),
}


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_household_visited_at", "household_id", "visited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Naive UTC, as typed in the site's zone (fields.LocalDateTimeField).
    visited_at: Mapped[datetime] = mapped_column(index=True)
    heard: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[VisitOutcome] = mapped_column(Enum(VisitOutcome, native_enum=False, length=20))
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship()
    visitor: Mapped["User"] = relationship()
    proposal: Mapped[Optional["Proposal"]] = relationship()

    def __repr__(self) -> str:
        return f"<Visit {self.id} h={self.household_id} {self.outcome.value}>"
