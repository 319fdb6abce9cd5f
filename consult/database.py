"""One transaction per user action, and the connection settings of the embedded database."""
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

# Set while a unit of work runs: its SQLite transaction starts with BEGIN IMMEDIATE.
_writing: ContextVar[bool] = ContextVar("consult_writing", default=False)


@contextmanager
def unit_of_work():
    """Commit everything the block did, or nothing: a failure rolls the whole action back.

    On SQLite the block holds the write lock from its first statement, so that what it
    reads (is the ballot still open?) cannot change before it writes; other writers wait
    (busy_timeout), readers go on (WAL). A read transaction left open by the page before
    the action is ended first."""
    if db.session().in_transaction():
        db.session.commit()
    token = _writing.set(True)
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _writing.reset(token)


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
