"""One transaction per user action, what happens after it commits, and the connection
settings of the embedded database."""
import logging
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Optional

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

log = logging.getLogger(__name__)

# Set while a unit of work runs: its SQLite transaction starts with BEGIN IMMEDIATE.
_writing: ContextVar[bool] = ContextVar("consult_writing", default=False)
# What the running unit of work keeps for after its commit: callbacks and lists.
_work: ContextVar[Optional[dict]] = ContextVar("consult_work", default=None)


@contextmanager
def unit_of_work():
    """Commit everything the block did, or nothing: a failure rolls the whole action back.
    What the block asked to happen after the commit (``on_commit``) happens then, in order,
    and not at all if it rolls back.

    On SQLite the block holds the write lock from its first statement, so that what it
    reads (is the ballot still open?) cannot change before it writes; other writers wait
    (busy_timeout), readers go on (WAL). A read transaction left open by the page before
    the action is ended first."""
    if db.session().in_transaction():
        db.session.commit()
    work = {"callbacks": {}, "lists": {}}
    token, work_token = _writing.set(True), _work.set(work)
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _writing.reset(token)
        _work.reset(work_token)
    for callback in work["callbacks"].values():
        try:
            callback()
        except Exception:   # the action is saved: a failed announcement must not undo that
            log.exception("after-commit callback %r failed", callback)


def on_commit(callback: Callable[[], None], *, key: Optional[str] = None) -> None:
    """Run ``callback`` once the running unit of work has committed (room broadcasts, mail,
    deliveries); with a ``key``, once per unit of work however often it is asked for.
    Outside a unit of work nothing is pending, so it runs at once."""
    work = _work.get()
    if work is None:
        callback()
        return
    work["callbacks"].setdefault(key or object(), callback)


def collected(name: str) -> list:
    """A list kept with the running unit of work (e.g. the room events it wrote), for its
    after-commit callbacks; it goes with the unit of work if that rolls back."""
    work = _work.get()
    if work is None:
        raise RuntimeError("collected() needs a running unit of work")
    return work["lists"].setdefault(name, [])


def in_unit_of_work() -> bool:
    """Whether a unit of work is running: what is written now is committed with it."""
    return _writing.get()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite enforces foreign keys only when asked; WAL lets residents read while a
    write is under way; a busy writer is waited for instead of failing at once. The
    driver's own transaction handling is switched off (it would begin a transaction only
    before a write, and a savepoint outside one commits on release): SQLAlchemy begins
    every transaction itself, below."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")
