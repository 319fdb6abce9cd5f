"""Reports (群众报单): a matter a resident raises in their grid. It reaches the grid worker
first, who accepts it (网格员承单) within a deadline, then settles it on the spot or
dispatches it as a motion to the organisation that must act (部门接单); a report nobody
accepted in time goes to the grid leader (网格长). Times are naive UTC."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Grid, Household, Place

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..motions.models import Motion


class ReportState(enum.Enum):
    raised = "raised"           # 报单: waiting for the grid worker
    accepted = "accepted"       # 承单: the grid worker has it
    settled = "settled"         # 就地解决: settled on the spot
    dispatched = "dispatched"   # 派单: sent on as a motion

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    ReportState.raised: _l("Waiting for the grid worker"),
    ReportState.accepted: _l("Accepted by the grid worker"),
    ReportState.settled: _l("Settled on the spot"),
    ReportState.dispatched: _l("Dispatched to an organisation"),
}
OPEN_STATES = frozenset({ReportState.raised, ReportState.accepted})


class Report(db.Model):
    __tablename__ = "grid_reports"
    __table_args__ = (Index("ix_grid_reports_grid_state", "grid_id", "state"),
                      Index("ix_grid_reports_due", "state", "escalated_at", "accept_by"))

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ReportState] = mapped_column(Enum(ReportState, native_enum=False, length=20),
                                               default=ReportState.raised)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accept_by: Mapped[datetime]
    accepted_at: Mapped[Optional[datetime]]
    accepted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Set once, when the deadline to accept passed and the grid leader was told.
    escalated_at: Mapped[Optional[datetime]]
    settled_at: Mapped[Optional[datetime]]
    # What the grid worker did, or why it was sent on: the resident reads it.
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    motion_id: Mapped[Optional[int]] = mapped_column(ForeignKey("motions.id"))
    # Seconds from the report to its acceptance and to its settlement on the spot.
    accept_seconds: Mapped[Optional[int]]
    settle_seconds: Mapped[Optional[int]]

    grid: Mapped[Grid] = relationship()
    place: Mapped[Place] = relationship()
    household: Mapped[Optional[Household]] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    accepted_by: Mapped[Optional["User"]] = relationship(foreign_keys=[accepted_by_id])
    motion: Mapped[Optional["Motion"]] = relationship()

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.state.value} {self.title!r}>"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def accepted_in_time(self) -> bool:
        return self.accepted_at is not None and self.accepted_at <= self.accept_by

    def is_late(self, now: datetime) -> bool:
        return self.state is ReportState.raised and now > self.accept_by
