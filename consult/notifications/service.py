"""Notify people in the same transaction as the change they hear about."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select, update

from ..accounts.models import Role, RoleGrant, User
from ..clock import utcnow
from ..extensions import db
from ..places.models import Place
from .mail import mark_pending
from .models import MESSAGES, Notification


def notify(users: Iterable[User], kind: str, *, skip=None, **params) -> int:
    """One notification per person (each once, never to ``skip``, the one who acted)."""
    assert kind in MESSAGES, kind
    seen = {getattr(skip, "id", None)}
    count = 0
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, kind=kind, params=params))
        count += 1
    if count:
        mark_pending()
    return count


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
