"""Notify people in the same transaction as the change they hear about."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, insert, select, update

from ..accounts.models import Role, RoleGrant, User
from ..clock import utcnow
from ..extensions import db
from ..places.models import Place
from . import outbox
from .bulk import insert_rows
from .models import MESSAGES, Notification


def notify(users: Iterable[User], kind: str, *, skip=None, **params) -> int:
    """One notification per person (each once, never to ``skip``, the one who acted)."""
    return notify_ids((user.id for user in users if user is not None), kind, skip=skip, **params)


def notify_ids(user_ids: Iterable[int], kind: str, *, skip=None, **params) -> int:
    """The same by account ids, written in bulk: a ballot may tell 100,000 owners."""
    assert kind in MESSAGES, kind
    skipped = getattr(skip, "id", None)
    rows = [{"user_id": uid, "kind": kind, "params": params} for uid in dict.fromkeys(user_ids) if uid != skipped]
    if rows:
        table = Notification.__table__
        now = utcnow()
        for row in rows:
            row["created_at"] = now
        # each row returns its own person, so their order does not matter (bulk.py)
        written = insert_rows(table, rows, returning=(table.c.id, table.c.user_id))
        outbox.enqueue([(row.id, row.user_id) for row in written], kind)
    return len(rows)


def moderators_of(place: Place) -> list[User]:
    """People who moderate ``place``: a moderator role held in it or in a place above."""
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.moderator, RoleGrant.place_id.in_(place.ancestor_ids), User.active)
        .distinct()))


def inbox(user: User, *, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
