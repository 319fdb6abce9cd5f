"""The in-app inbox: what happened that concerns a person."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..extensions import db

# Messages are stored as a kind and parameters and translated when shown, so that each
# reader sees them in their own language.
MESSAGES: dict = {}   # kind → message: each domain declares those of its notifications (``domain``)


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
        return text_of(self.kind, self.params)


def text_of(kind: str, params: dict) -> str:
    """A message in the current language, from its kind and parameters."""
    params = dict(params or {})
    if "event" in params:
        from ..proposals.lifecycle import event_label

        params["event"] = event_label(params["event"])
    return str(MESSAGES.get(kind, kind)) % params if kind in MESSAGES else kind
