"""Webhook endpoints an administrator registers for a place and the kinds of event it wants,
and one delivery row per event and endpoint, written in the transaction of the event and
kept until it is delivered or given up: a restart loses none of them."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Place

# The kinds of event an endpoint may subscribe to.
EVENT_KINDS = ("proposal.raised", "motion.assigned", "motion.acknowledged", "motion.completed", "motion.rated",
               "ballot.closed", "minutes.published", "work_order.updated")


class DeliveryState(enum.Enum):
    pending = "pending"        # waiting for its (next) attempt
    delivered = "delivered"    # the endpoint answered 2xx
    failed = "failed"          # given up after the last attempt; "send again" tries once more


class WebhookEndpoint(db.Model):
    """A URL that receives the events of ``place`` and below it, of the kinds chosen. The
    secret signs every delivery; it is shown once, when the endpoint is registered, and
    kept here because each signature needs it."""
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(80))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]

    place: Mapped[Place] = relationship()

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url!r}>"


class WebhookDelivery(db.Model):
    """One event for one endpoint: the body exactly as it is signed and sent, the attempts
    made, the last answer, and when the next attempt is due."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(Enum(DeliveryState, native_enum=False, length=20),
                                                 default=DeliveryState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[Optional[int]]
    last_error: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[Optional[datetime]]

    endpoint: Mapped[WebhookEndpoint] = relationship()

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.kind} {self.state.value}>"
