"""Standing councils (常态议事): a series of meetings with a cadence — 月月有协商 every month,
三方联席会 at least every quarter — whose occurrences are scheduled ahead, each with its
agenda drawn from the place's accepted matters."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..meetings.models import MeetingForm, MeetingKind
from ..places.models import Grid, Place

if TYPE_CHECKING:
    from ..accounts.models import User

CADENCE_LABELS = {1: _l("Every month"), 2: _l("Every two months"), 3: _l("Every quarter"),
                  6: _l("Every half year"), 12: _l("Every year")}


class CouncilSeries(db.Model):
    __tablename__ = "council_series"
    __table_args__ = (CheckConstraint("cadence_months BETWEEN 1 AND 12", name="cadence_range"),
                      CheckConstraint("day_of_month BETWEEN 1 AND 28", name="day_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    grid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("grids.id"))
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[MeetingKind] = mapped_column(Enum(MeetingKind, native_enum=False, length=20))
    # A meeting at least every this many months, on this day of the month, at this local time.
    cadence_months: Mapped[int]
    day_of_month: Mapped[int]
    local_time: Mapped[str] = mapped_column(String(5))
    form: Mapped[MeetingForm] = mapped_column(Enum(MeetingForm, native_enum=False, length=20))
    location: Mapped[str] = mapped_column(String(200), default="")
    # The organisations invited to every occurrence (the property company and the owners'
    # committee of a three-party meeting), and whether the residents of the place are.
    organisation_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    invite_residents: Mapped[bool] = mapped_column(default=True)
    convener_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[Optional[datetime]]
    # The start of the latest occurrence scheduled (naive UTC).
    scheduled_through: Mapped[Optional[datetime]]

    place: Mapped[Place] = relationship()
    grid: Mapped[Optional[Grid]] = relationship()
    convener: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<CouncilSeries {self.id} {self.title!r} every {self.cadence_months} months>"

    @property
    def cadence_label(self):
        return CADENCE_LABELS.get(self.cadence_months, _l("Every %(n)d months", n=self.cadence_months))
