"""Time. Stored as naive UTC everywhere; shown in Asia/Shanghai by Flask-Babel.

Deadlines are computed from ``utcnow()``; tests move it with ``travel_to`` instead of
sleeping."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Optional

_fixed: Optional[datetime] = None


def utcnow() -> datetime:
    if _fixed is not None:
        return _fixed
    return datetime.now(timezone.utc).replace(tzinfo=None)


def set_now(moment: Optional[datetime]) -> None:
    """Stop the clock at ``moment`` (naive UTC) for the whole process; None starts it again."""
    global _fixed
    _fixed = moment


def advance(**delta) -> datetime:
    """Move a stopped clock forward, e.g. ``advance(hours=25)``."""
    assert _fixed is not None, "the clock is running: set_now() first"
    set_now(_fixed + timedelta(**delta))
    return _fixed


@contextmanager
def travel_to(moment: datetime):
    previous = _fixed
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)


def from_local(moment: datetime) -> datetime:
    """A naive time entered on a page, in the installation's time zone, as naive UTC."""
    from flask_babel import get_timezone

    return moment.replace(tzinfo=get_timezone()).astimezone(timezone.utc).replace(tzinfo=None)
