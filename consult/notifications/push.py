"""Web push: a browser that a person allowed to show notifications subscribes (its push
service's endpoint and keys, from ``PushManager.subscribe`` in static/js/push.js); each
message is then pushed, encrypted for that browser and signed with the installation's
VAPID key, to every browser of the person (channels/webpush.py)."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed
from ..extensions import db

MAX_BROWSERS = 10


class PushSubscription(db.Model):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(500), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def subscribe(user, data: dict, *, actor) -> PushSubscription:
    """Keep a browser's subscription for ``user`` (the same endpoint again replaces it)."""
    if getattr(actor, "id", None) != user.id:
        raise NotAllowed(_l("Only the person themselves can change this."))
    endpoint = str((data or {}).get("endpoint") or "")
    keys = (data or {}).get("keys") or {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if urlsplit(endpoint).scheme not in ("https",) + (("http",) if current_app.testing else ()) \
            or len(endpoint) > 500 or not (20 <= len(p256dh) <= 100) or not (8 <= len(auth) <= 40):
        raise InvalidInput(_l("This browser's subscription is not valid."))
    db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
    kept = list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.id)))
    for old in kept[:max(0, len(kept) - MAX_BROWSERS + 1)]:
        db.session.delete(old)
    subscription = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    db.session.add(subscription)
    db.session.flush()
    return subscription


def unsubscribe_all(user, *, actor) -> None:
    if getattr(actor, "id", None) != user.id:
        raise NotAllowed(_l("Only the person themselves can change this."))
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))


def browsers_of(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)))
