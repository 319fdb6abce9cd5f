"""Time. Stored as naive UTC everywhere; shown in the site's zone (Asia/Shanghai) by Flask-Babel.

Deadlines are computed from ``utcnow()``; tests move it with ``travel_to`` instead of
sleeping. Every conversion between the site's local time and UTC goes through the functions
at the end of this module, which use ``zoneinfo`` (never a pytz zone attached to a time,
which takes the zone's local mean time: +08:06 for Shanghai).
"""
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

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


def site_zone() -> ZoneInfo:
    """The installation's time zone (``BABEL_DEFAULT_TIMEZONE``), in which people type and read times."""
    from flask import current_app

    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


class NonexistentTime(ValueError):
    """A local time skipped when the clocks move forward (daylight saving)."""


def from_local(moment: datetime) -> datetime:
    """A naive time typed in the site's zone, as naive UTC. A time that the zone skips
    (clocks moved forward) raises ``NonexistentTime``; of a time that occurs twice (clocks
    moved back) the first is taken."""
    zone = site_zone()
    utc = datetime.combine(moment.date(), moment.time(), zone).astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != moment:
        raise NonexistentTime(moment)
    return utc.replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A naive UTC time as naive local time in the site's zone (to fill a form with)."""
    return datetime.combine(moment.date(), moment.time(), timezone.utc).astimezone(site_zone()).replace(tzinfo=None)


def local_today() -> date:
    return to_local(utcnow()).date()


def start_of_local_day(day: date) -> datetime:
    """Local midnight at the start of ``day``, as naive UTC."""
    return datetime.combine(day, time.min, site_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def end_of_local_day(day: date) -> datetime:
    """The end of ``day`` (local midnight after it), as naive UTC: a deadline "until 16
    December" lasts all of the 16th and is shown as 16 December 24:00."""
    return start_of_local_day(day + timedelta(days=1))
