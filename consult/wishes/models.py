"""Small wishes (微心愿): a resident asks for a small thing; a volunteer or a community
partner (社区合伙人) claims it, fulfils it, and the resident confirms."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Place

if TYPE_CHECKING:
    from ..accounts.models import User


class WishState(enum.Enum):
    posted = "posted"
    claimed = "claimed"
    fulfilled = "fulfilled"
    confirmed = "confirmed"
    withdrawn = "withdrawn"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    WishState.posted: _l("Waiting for someone"),
    WishState.claimed: _l("Claimed"),
    WishState.fulfilled: _l("Fulfilled, to be confirmed"),
    WishState.confirmed: _l("Come true"),
    WishState.withdrawn: _l("Withdrawn"),
}


class Wish(db.Model):
    __tablename__ = "wishes"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[WishState] = mapped_column(Enum(WishState, native_enum=False, length=20), default=WishState.posted)
    claimed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[Optional[datetime]]
    fulfilled_at: Mapped[Optional[datetime]]
    fulfil_note: Mapped[Optional[str]] = mapped_column(Text)
    confirmed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    claimed_by: Mapped[Optional["User"]] = relationship(foreign_keys=[claimed_by_id])

    def __repr__(self) -> str:
        return f"<Wish {self.id} {self.state.value}>"
