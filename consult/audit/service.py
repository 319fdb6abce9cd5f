"""Every domain writes its state changes here, inside the same transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, or_, select

from ..extensions import db
from .models import AuditEntry


def record(action: str, target, *, actor, place=None, **detail: Any) -> AuditEntry:
    """Add an audit entry for ``action`` on ``target`` (a model instance, flushed so that
    it has an id). ``detail`` must never hold passwords, phone numbers or vote choices."""
    if getattr(target, "id", None) is None:
        db.session.flush()
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=type(target).__name__,
        target_id=getattr(target, "id", None),
        place_id=getattr(place, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry


def record_many(action: str, target, *, actors, place=None, **detail: Any) -> None:
    """``record`` for many actors at once (a burst of votes): one entry each, written with
    one statement."""
    if not actors:
        return
    if getattr(target, "id", None) is None:
        db.session.flush()
    common = {"action": action, "target_type": type(target).__name__, "target_id": getattr(target, "id", None),
              "place_id": getattr(place, "id", None), "detail": detail}
    db.session.execute(insert(AuditEntry), [{**common, "actor_id": getattr(actor, "id", None)} for actor in actors])


def entries_for(place, *, page: int = 1, per_page: int = 50):
    """Entries about ``place`` and the places below it, newest first. At the root of the
    tree this includes entries that concern no place (accounts, installation-wide roles)."""
    from ..places.models import Place

    below = select(Place.id).where(Place.path.startswith(place.path, autoescape=True))
    conditions = [AuditEntry.place_id.in_(below)]
    if place.parent_id is None:
        conditions.append(AuditEntry.place_id.is_(None))
    query = select(AuditEntry).where(or_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return rows, total
