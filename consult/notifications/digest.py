"""The daily digest, for those who chose it: their messages that are not urgent wait
("held") on each channel they chose, and at DIGEST_TIME one message per person and channel
carries them all — a digest notification in the inbox (already read: its messages are
there) with one delivery per channel that names the deliveries it carries (``bundle``).
Those are marked "bundled" in the same transaction and become sent, or given up, with it.
Rows are taken with ``FOR UPDATE SKIP LOCKED``, so several processes running the loop make
each digest once."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import insert, select, update

from ..clock import utcnow
from ..database import on_commit
from ..extensions import db
from .models import Notification
from .outbox import Delivery, _start_sender, dedupe_key


def run() -> int:
    """Make the digests that are due; returns how many deliveries carry them."""
    now = utcnow()
    held = db.session.execute(
        select(Delivery.id, Delivery.user_id, Delivery.channel, Delivery.address, Delivery.notification_id)
        .where(Delivery.status == "held", Delivery.next_attempt_at <= now)
        .order_by(Delivery.user_id, Delivery.id).with_for_update(skip_locked=True)).all()
    if not held:
        return 0
    per_person: dict[int, dict[str, dict]] = {}
    for row in held:
        channel = per_person.setdefault(row.user_id, {}).setdefault(row.channel, {"ids": [], "address": None})
        channel["ids"].append(row.id)
        channel["address"] = row.address   # the latest address it was queued to
    counts = {user_id: len({row.notification_id for row in held if row.user_id == user_id})
              for user_id in per_person}
    users = list(per_person)
    written = db.session.execute(insert(Notification).returning(
        Notification.id, Notification.user_id, sort_by_parameter_order=True),
        [{"user_id": user_id, "kind": "digest", "params": {"count": counts[user_id]}, "read_at": now}
         for user_id in users]).all()
    carriers = []
    for notification_id, user_id in written:
        for channel, carried in per_person[user_id].items():
            carriers.append({"notification_id": notification_id, "user_id": user_id, "channel": channel,
                             "address": carried["address"], "dedupe_key": dedupe_key(notification_id, channel),
                             "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now,
                             "bundle": carried["ids"]})
    db.session.execute(insert(Delivery), carriers)
    ids = [row.id for row in held]
    for start in range(0, len(ids), 5000):
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids[start:start + 5000])).values(status="bundled"))
    if current_app.config.get("OUTBOX_SEND_AFTER_COMMIT", True):
        on_commit(_start_sender, key="outbox")
    return len(carriers)
