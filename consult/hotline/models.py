"""A work order of the 12345 hotline: one row per order number, whatever how often the
hotline's system sends it, with the place its address was matched to and the motion it
became."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..motions.models import Motion
from ..places.models import Place


class WorkOrderState(enum.Enum):
    accepted = "accepted"      # a motion is on the responsible organisation's desk
    answered = "answered"      # the organisation answered (accepted, in part, declined) or reported progress
    completed = "completed"    # the motion is completed; ``answer`` holds what was done
    closed = "closed"          # the motion was closed or withdrawn without completion


class WorkOrder(db.Model):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    api_client_id: Mapped[Optional[int]] = mapped_column(ForeignKey("api_clients.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    matter: Mapped[str] = mapped_column(Text)
    category: Mapped[Optional[str]] = mapped_column(String(60))
    deadline: Mapped[Optional[datetime]]
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    # Whether the address named the place (else the order went to the client's place).
    matched: Mapped[bool] = mapped_column(default=False)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), unique=True)
    state: Mapped[WorkOrderState] = mapped_column(Enum(WorkOrderState, native_enum=False, length=20),
                                                  default=WorkOrderState.accepted)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    motion: Mapped[Motion] = relationship()

    def __repr__(self) -> str:
        return f"<WorkOrder {self.id} {self.number} {self.state.value}>"
