"""The matters raised per category and year on year (“同比下降46.28%”): the most frequent
categories of a period, each beside the same period a year before, so that a moderator
picks the month's theme (每月一题) from them; and the matters of each month of a year
beside those of the year before. Months and days are the site's local ones.

Both are read from the counts kept per place, category, month and day (``rollups``); the
``*_direct`` functions count the same from the proposals themselves (and count periods
that do not start and end at local midnight)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Optional

import pygal
from markupsafe import Markup
from sqlalchemy import func, select

from ..clock import start_of_local_day, to_local
from .. import periods
from ..extensions import db
from ..places.models import Place
from . import rollups
from .models import Category, Proposal, ProposalCount

LEFT_OUT = rollups.LEFT_OUT   # a duplicate counts once, in the matter it was merged into


@dataclass
class CategoryRow:
    category: Optional[Category]
    count: int
    last_year: int

    @property
    def change(self) -> Optional[float]:
        """The change on the same period a year before, as a fraction (-0.4628: 同比下降46.28%)."""
        return (self.count - self.last_year) / self.last_year if self.last_year else None


def year_before(moment: datetime) -> datetime:
    """The same local day and time a year before (29 February: the 28th)."""
    local = to_local(moment)
    try:
        earlier = local.replace(year=local.year - 1)
    except ValueError:
        earlier = local.replace(year=local.year - 1, day=28)
    return moment - (local - earlier)


def _counts(place: Place, start: datetime, end: datetime) -> Counter:
    first, after = periods.local_midnight(start), periods.local_midnight(end)
    if first is None or after is None or first >= after:
        return _counts_direct(place, start, end)
    rows = db.session.execute(
        select(ProposalCount.category_id, func.sum(ProposalCount.count))
        .where(ProposalCount.place_id == place.id, periods.period_rows(first, after, ProposalCount.month, ProposalCount.day))
        .group_by(ProposalCount.category_id))
    return Counter({category_id: int(n) for category_id, n in rows if n})


def _counts_direct(place: Place, start: datetime, end: datetime) -> Counter:
    rows = db.session.execute(
        select(Proposal.category_id, func.count()).join(Place, Place.id == Proposal.place_id)
        .where(Place.path.startswith(place.path, autoescape=True), Proposal.created_at >= start,
               Proposal.created_at < end, Proposal.state.not_in(LEFT_OUT))
        .group_by(Proposal.category_id))
    return Counter(dict(rows.all()))


def by_category(place: Place, start: datetime, end: datetime, *, direct: bool = False) -> list[CategoryRow]:
    """Every category with matters in the period or in the same period a year before, the
    most frequent first (``direct``: counted from the proposals)."""
    count = _counts_direct if direct else _counts
    now, before = count(place, start, end), count(place, year_before(start), year_before(end))
    ids = [i for i in set(now) | set(before) if i is not None]
    categories = {c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))} if ids else {}
    rows = [CategoryRow(categories.get(i), now.get(i, 0), before.get(i, 0)) for i in set(now) | set(before)]
    return sorted(rows, key=lambda r: (-r.count, -r.last_year, r.category.position if r.category else 10**6))


def monthly_two_years(place: Place, year: int) -> tuple[list[int], list[int]]:
    """The matters raised in each local month of ``year`` and of the year before."""
    counts = dict(db.session.execute(
        select(ProposalCount.month, func.sum(ProposalCount.count))
        .where(ProposalCount.place_id == place.id, ProposalCount.day == 0,
               ProposalCount.month.between((year - 1) * 100 + 1, year * 100 + 12))
        .group_by(ProposalCount.month)).all())
    return ([int(counts.get(year * 100 + m) or 0) for m in range(1, 13)],
            [int(counts.get((year - 1) * 100 + m) or 0) for m in range(1, 13)])


def monthly_two_years_direct(place: Place, year: int) -> tuple[list[int], list[int]]:
    """The same as ``monthly_two_years``, counted from the proposals."""
    first = start_of_local_day(date(year - 1, 1, 1))
    last = start_of_local_day(date(year + 1, 1, 1))
    created = db.session.scalars(
        select(Proposal.created_at).join(Place, Place.id == Proposal.place_id)
        .where(Place.path.startswith(place.path, autoescape=True), Proposal.created_at >= first,
               Proposal.created_at < last, Proposal.state.not_in(LEFT_OUT)))
    counts = Counter((to_local(at).year, to_local(at).month) for at in created)
    return ([counts[(year, m)] for m in range(1, 13)], [counts[(year - 1, m)] for m in range(1, 13)])


def two_years_chart(place: Place, year: int) -> Optional[Markup]:
    """The matters of each month of ``year`` beside the year before, as an SVG drawn on the
    server (no script in the page, as for the motions' chart)."""
    this, last = monthly_two_years(place, year)
    if not any(this) and not any(last):
        return None
    return Markup(_draw(year, tuple(this), tuple(last)))


@lru_cache(maxsize=256)
def _draw(year: int, this: tuple, last: tuple) -> str:
    """The chart of these counts: drawn once for the same counts (a pure function of them)."""
    from ..motions.charts import STYLE

    chart = pygal.Bar(style=STYLE, width=320, height=260, legend_at_bottom=True, disable_xml_declaration=True,
                      js=[], show_minor_y_labels=False, margin=8, explicit_size=False)
    chart.x_labels = [str(m) for m in range(1, 13)]
    chart.add(str(year - 1), list(last))
    chart.add(str(year), list(this))
    svg = re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)
    # The page may hold the motions' chart too: its ids stay unique.
    svg = svg.replace('id="activate-serie-', 'id="matters-serie-')
    return re.sub(r'\sstyle="[^"]*"', "", svg)
