"""The registry of searchable kinds and the upkeep of the index.

A domain makes its records searchable with one call::

    register("minutes", Minutes, label=_l("Minutes"), document=minutes_document,
             link=lambda row: url_for("minutes.detail", minutes_id=row.doc_id))

``document(obj)`` says what is indexed (a ``Document``) or returns None. After every
flush the new, changed and deleted records of registered models are written to the index
on the same connection, so the index commits and rolls back with the change itself.
Records written around the ORM (bulk inserts) are picked up by ``reindex()``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import delete, event, inspect, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db
from .models import FTS_TABLE, SearchDocument
from .tokens import index_text

CAPTION_MAX = 200


@dataclass
class Document:
    """What is indexed of one record. ``visible=False`` (a hidden statement, a merged
    proposal) takes it out of the index; ``tier`` is a ``Tier`` value or None."""
    title: str
    body: str
    place_id: int
    at: datetime
    tier: Optional[str] = None
    visible: bool = True
    parent_id: Optional[int] = None
    caption: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    document: Callable[[Any], Optional[Document]]
    label: Any
    link: Callable[[SearchDocument], str]
    # audience(scope) -> SQL condition on SearchDocument for who may read documents of this
    # kind (see service.Scope); None: everyone who may view the place.
    audience: Optional[Callable[[Any], Any]] = None
    # Attributes whose change re-indexes a record (None: any change of a column or a
    # many-to-one relationship).
    fields: Optional[tuple[str, ...]] = None
    # Loader options for reindexing in batches, e.g. selectinload(Ballot.options).
    load: tuple = field(default_factory=tuple)


_kinds: dict[str, Kind] = {}
_by_model: dict[type, Kind] = {}


def register(kind: str, model: type, *, document: Callable[[Any], Optional[Document]], label,
             link: Callable[[SearchDocument], str], audience: Optional[Callable[[Any], Any]] = None,
             fields: Optional[Iterable[str]] = None, load: Iterable = ()) -> Kind:
    """Make the records of ``model`` searchable as ``kind`` (at most 20 characters)."""
    if len(kind) > 20:
        raise ValueError(f"search kind {kind!r} is longer than 20 characters")
    if kind in _kinds and _kinds[kind].model is not model:
        raise ValueError(f"search kind {kind!r} is already registered for {_kinds[kind].model.__name__}")
    entry = Kind(kind, model, document, label, link, audience, tuple(fields) if fields is not None else None,
                 tuple(load))
    _kinds[kind] = entry
    _by_model[model] = entry
    return entry


def kinds() -> list[Kind]:
    return list(_kinds.values())


def get_kind(name: str) -> Optional[Kind]:
    return _kinds.get(name)


def kind_of(obj) -> Optional[Kind]:
    for cls in type(obj).__mro__:
        entry = _by_model.get(cls)
        if entry is not None:
            return entry
    return None


# --- writing -----------------------------------------------------------------------------------

_COLUMNS = ("parent_id", "place_id", "tier", "at", "caption", "title", "body", "title_tokens", "body_tokens")


def row_for(kind: Kind, obj) -> Optional[dict]:
    """The index row of ``obj``, or None when it is not to be found."""
    doc = kind.document(obj)
    if doc is None or not doc.visible:
        return None
    tier = doc.tier.value if isinstance(doc.tier, enum.Enum) else doc.tier
    title, body = doc.title or "", doc.body or ""
    return {"kind": kind.name, "doc_id": obj.id, "parent_id": doc.parent_id, "place_id": doc.place_id,
            "tier": tier, "at": doc.at, "caption": (doc.caption or "")[:CAPTION_MAX], "title": title, "body": body,
            "title_tokens": index_text(title), "body_tokens": index_text(body)}


_upserts: dict[str, Any] = {}


def _upsert_statement(dialect_name: str):
    """INSERT … ON CONFLICT (kind, doc_id) DO UPDATE, only where something changed: built
    once per dialect, as it is the same for every write."""
    statement = _upserts.get(dialect_name)
    if statement is None:
        table = SearchDocument.__table__
        insert_into = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
        excluded = insert_into.excluded
        changed = or_(*[table.c[name].is_distinct_from(excluded[name]) for name in _COLUMNS])
        statement = _upserts[dialect_name] = insert_into.on_conflict_do_update(
            index_elements=["kind", "doc_id"], set_={name: excluded[name] for name in _COLUMNS}, where=changed)
    return statement


def _upsert(connection, rows: list[dict]) -> None:
    connection.execute(_upsert_statement(connection.dialect.name), rows)


def _remove(connection, kind: str, ids: list[int]) -> None:
    table = SearchDocument.__table__
    connection.execute(delete(table).where(table.c.kind == kind, table.c.doc_id.in_(ids)))


def write(connection, objects: Iterable) -> None:
    """Index (or take out of the index) these records, on this connection."""
    rows, gone = [], {}
    for obj in objects:
        kind = kind_of(obj)
        if kind is None:
            continue
        row = row_for(kind, obj)
        if row is None:
            gone.setdefault(kind.name, []).append(obj.id)
        else:
            rows.append(row)
    if rows:
        _upsert(connection, rows)
    for name, ids in gone.items():
        _remove(connection, name, ids)


def refresh(*objects) -> None:
    """Index records now, for a document built from other records than the one that
    changed (a record whose text lives in its versions)."""
    db.session.flush()
    write(db.session.connection(), objects)


def _changed(kind: Kind, obj) -> bool:
    state = inspect(obj)
    if kind.fields is None:
        return any(attr.history.has_changes() for attr in state.attrs
                   if not getattr(state.mapper.attrs[attr.key], "uselist", False))
    return any(state.attrs[name].history.has_changes() for name in kind.fields)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    """The session's lists and the attributes' history still describe what this flush
    wrote: re-index those records in the same transaction."""
    if not _by_model:
        return
    touched, removed = [], {}
    for obj in session.new:
        if kind_of(obj) is not None:
            touched.append(obj)
    for obj in session.dirty:
        kind = kind_of(obj)
        if kind is not None and obj not in session.deleted and _changed(kind, obj):
            touched.append(obj)
    for obj in session.deleted:
        kind = kind_of(obj)
        if kind is not None:
            removed.setdefault(kind.name, []).append(obj.id)
    if not touched and not removed:
        return
    connection = session.connection()
    write(connection, touched)
    for name, ids in removed.items():
        _remove(connection, name, ids)


# --- rebuilding ------------------------------------------------------------------------------------

def reindex(batch: int = 500, progress: Optional[Callable[[str, int], None]] = None) -> dict[str, int]:
    """Rebuild the whole index from the records, ``batch`` records at a time, in the
    caller's transaction. Returns the number of documents of each kind."""
    connection = db.session.connection()
    table = SearchDocument.__table__
    if connection.dialect.name == "sqlite":
        # Make FTS5 agree with the table first (after a restore it may not), so that the
        # deletions below, made by the triggers, remove exactly what is there.
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    connection.execute(delete(table))
    counts = {}
    # The records are read by a session of their own on the same connection, emptied
    # after every batch, so that memory stays flat and the caller's objects stay put.
    with Session(bind=connection, autoflush=False) as loader:
        for kind in kinds():
            key = inspect(kind.model).primary_key[0]
            last, count = None, 0
            while True:
                query = select(kind.model).order_by(key).limit(batch).options(*kind.load)
                if last is not None:
                    query = query.where(key > last)
                objects = loader.scalars(query).all()
                if not objects:
                    break
                rows = [row for row in (row_for(kind, obj) for obj in objects) if row is not None]
                if rows:
                    connection.execute(insert(table), rows)
                count += len(rows)
                last = objects[-1].id
                loader.expunge_all()
                if progress:
                    progress(kind.name, count)
            counts[kind.name] = count
    return counts
