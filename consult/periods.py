"""Local months and days of the counts kept per period: the figures' rollups.

A rollup row is keyed by a local month (202603) and a local day (20260315), or day 0 for
the whole month, both as integers in the site's zone. A period of whole local days is
read as the months wholly inside it plus the single days at either end."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import and_, or_

from .clock import start_of_local_day, to_local


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def local_day(moment: datetime) -> int:
    """The local day of ``moment`` (naive UTC), as a day number."""
    return day_number(to_local(moment).date())


def local_midnight(moment: datetime) -> Optional[date]:
    """The local day ``moment`` begins, if it is a local midnight."""
    day = to_local(moment).date()
    return day if start_of_local_day(day) == moment else None


def next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def period_rows(first: date, after: date, month_column, day_column):
    """Which rows make up the local days from ``first`` to before ``after``: the months
    wholly inside (``day_column`` 0), and the days of the months at either end."""
    months = []
    begins = first if first.day == 1 else next_month(first)
    while next_month(begins) <= after:
        months.append(begins)
        begins = next_month(begins)
    if not months:
        return and_(day_column >= day_number(first), day_column < day_number(after))
    return or_(and_(day_column == 0, month_column.in_([m.year * 100 + m.month for m in months])),
               and_(day_column >= day_number(first), day_column < day_number(months[0])),
               and_(day_column >= day_number(next_month(months[-1])), day_column < day_number(after)))
