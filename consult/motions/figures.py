"""Accountability figures (接诉即办) of a place and the places below it, and of every
responder organisation, over the motions assigned within a period.

Definitions (also written on the page):

* received — motions assigned in the period (withdrawn ones left out);
* response rate — responders that acknowledged by their deadline / responders addressed;
* completion rate (办结率) — motions done (completed and being rated, or closed) / received;
  a motion reopened or sent back is not done until it is completed again;
* resolution rate — motions closed without ever being reopened / motions whose rating has
  ended (closed, or reopened at least once); those still being rated for the first time wait;
* satisfaction rate — (满意 + 基本满意) / ratings given;
* overdue — motions that missed a deadline (to acknowledge or to complete) at least once;
* median time to acknowledge / to complete — from assignment, over the motions that did.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Optional

from sqlalchemy import and_, case, func, literal, or_, select, text

from ..accounts.models import Organisation
from ..clock import start_of_local_day, to_local, utcnow
from .. import periods
from ..extensions import db
from ..places.models import Place
from . import rollups
from .models import FigureCount, Motion, MotionState, Rating, Responder, Score


@dataclass
class Figures:
    received: int = 0
    responders: int = 0
    responded_in_time: int = 0
    completed: int = 0
    resolved: int = 0
    settled: int = 0
    ratings: int = 0
    satisfied: int = 0
    overdue: int = 0
    median_acknowledge_hours: Optional[float] = None
    median_complete_hours: Optional[float] = None

    def add(self, received: int, completed: int, resolved: int, settled: int, overdue: int) -> None:
        self.received += received
        self.completed += completed
        self.resolved += resolved
        self.settled += settled
        self.overdue += overdue

    @staticmethod
    def _rate(part: int, whole: int) -> Optional[float]:
        return part / whole if whole else None

    @property
    def response_rate(self):
        return self._rate(self.responded_in_time, self.responders)

    @property
    def completion_rate(self):
        return self._rate(self.completed, self.received)

    @property
    def resolution_rate(self):
        return self._rate(self.resolved, self.settled)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.ratings)

    def take_medians(self, acknowledge_seconds: list[int], complete_seconds: list[int]) -> None:
        if acknowledge_seconds:
            self.median_acknowledge_hours = statistics.median(acknowledge_seconds) / 3600
        if complete_seconds:
            self.median_complete_hours = statistics.median(complete_seconds) / 3600

    def as_dict(self) -> dict:
        return {"received": self.received, "response_rate": self.response_rate,
                "completion_rate": self.completion_rate, "resolution_rate": self.resolution_rate,
                "satisfaction_rate": self.satisfaction_rate, "overdue": self.overdue,
                "median_acknowledge_hours": self.median_acknowledge_hours,
                "median_complete_hours": self.median_complete_hours,
                "responders": self.responders, "responded_in_time": self.responded_in_time,
                "completed": self.completed, "settled": self.settled, "resolved": self.resolved, "ratings": self.ratings,
                "satisfied": self.satisfied}


class Named(NamedTuple):
    """A place or an organisation as the report names it."""
    id: int
    name: str


@dataclass
class Report:
    place: Named
    start: datetime
    end: datetime
    total: Figures
    places: list[tuple[Named, Figures]]
    own: Figures          # motions of the place itself, not of a place below
    organisations: list[tuple[Named, Figures]]
    months: list[tuple[str, Figures]]
    computed_at: datetime


RESOLVED = and_(Motion.state == MotionState.closed, Motion.reopened_count == 0)
# Done now: completed (being rated) or closed after completion; not reopened or sent back.
DONE = and_(Motion.completed_at.is_not(None), Motion.state.in_([MotionState.completed, MotionState.closed]))
# Completed and rated to the end: closed, or reopened at least once.
SETTLED = and_(Motion.completed_at.is_not(None), or_(Motion.state != MotionState.completed, Motion.reopened_count > 0))
IN_TIME = Responder.acknowledged_at <= Responder.acknowledge_by
SATISFIED = Rating.score != Score.unsatisfied


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _months(start: datetime, end: datetime) -> tuple[list[str], list[datetime]]:
    """The local months the period touches, and the UTC instants at which each after the
    first begins."""
    local = to_local(start)
    year, month = local.year, local.month
    labels, boundaries = [f"{year:04d}-{month:02d}"], []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        begins = start_of_local_day(date(year, month, 1))
        if begins >= end:
            return labels, boundaries
        labels.append(f"{year:04d}-{month:02d}")
        boundaries.append(begins)


def direct_report(place: Place, start: datetime, end: datetime) -> Report:
    """Every figure for ``place`` and below, per child place, per organisation and per month
    (months in the site's local time), counted from the motions themselves: the rollups
    (``report``) must give the same, and periods that do not start and end at local
    midnight are counted this way.

    Counts are summed by the database, grouped by place and month, and rolled up to the
    child places here; the medians need every duration, which one narrow query brings."""
    labels, boundaries = _months(start, end)
    month = case(*((Motion.created_at < at, n) for n, at in enumerate(boundaries)), else_=len(boundaries)) \
        if boundaries else literal(0)
    below = select(Place.id).where(Place.path.startswith(place.path, autoescape=True)).scalar_subquery()
    scope = (Motion.place_id.in_(below), Motion.created_at >= start, Motion.created_at < end,
             Motion.state != MotionState.withdrawn)
    children = db.session.execute(select(Place.id, Place.name).where(Place.parent_id == place.id).order_by(Place.name)).all()
    depth = len(place.ancestor_ids)
    child_of = {place_id: (int(parts[depth]) if len(parts) > depth else None)
                for place_id, parts in ((i, p.strip("/").split("/")) for i, p in db.session.execute(
                    select(Place.id, Place.path).where(Place.path.startswith(place.path, autoescape=True))))}

    total, by_child, by_month, by_org = Figures(), defaultdict(Figures), defaultdict(Figures), defaultdict(Figures)

    def targets(place_id, n):
        return total, by_child[child_of[place_id]], by_month[labels[n]]

    for place_id, n, received, completed, resolved, settled, overdue in db.session.execute(
            select(Motion.place_id, month, func.count(), _sum(DONE), _sum(RESOLVED),
                   _sum(SETTLED), func.count(Motion.overdue_at)).where(*scope).group_by(Motion.place_id, month)):
        for figures in targets(place_id, n):
            figures.add(received, completed, resolved, settled, overdue)
    for org_id, received, completed, resolved, settled, overdue in db.session.execute(
            select(Responder.organisation_id, func.count(), _sum(DONE), _sum(RESOLVED),
                   _sum(SETTLED), func.count(Motion.overdue_at))
            .join(Motion, Motion.id == Responder.motion_id).where(*scope).group_by(Responder.organisation_id)):
        by_org[org_id].add(received, completed, resolved, settled, overdue)

    for place_id, n, org_id, addressed, in_time in db.session.execute(
            select(Motion.place_id, month, Responder.organisation_id, func.count(), _sum(IN_TIME))
            .join(Motion, Motion.id == Responder.motion_id).where(*scope)
            .group_by(Motion.place_id, month, Responder.organisation_id)):
        for figures in (*targets(place_id, n), by_org[org_id]):
            figures.responders += addressed
            figures.responded_in_time += in_time

    for place_id, n, given, good in db.session.execute(
            select(Motion.place_id, month, func.count(), _sum(SATISFIED))
            .join(Motion, Motion.id == Rating.motion_id).where(*scope).group_by(Motion.place_id, month)):
        for figures in targets(place_id, n):
            figures.ratings += given
            figures.satisfied += good
    # The ratings of an organisation are those of the motions addressed to it.
    for org_id, given, good in db.session.execute(
            select(Responder.organisation_id, func.count(), _sum(SATISFIED))
            .join(Motion, Motion.id == Rating.motion_id).join(Responder, Responder.motion_id == Motion.id)
            .where(*scope).group_by(Responder.organisation_id)):
        by_org[org_id].ratings += given
        by_org[org_id].satisfied += good

    durations: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    counted: set[int] = set()
    for motion_id, place_id, n, org_id, acknowledge, complete in db.session.execute(
            select(Motion.id, Motion.place_id, month, Responder.organisation_id, Motion.acknowledge_seconds,
                   Motion.complete_seconds).join(Responder, Responder.motion_id == Motion.id)
            .where(*scope, or_(Motion.acknowledge_seconds.is_not(None), Motion.complete_seconds.is_not(None)))):
        owners = (by_org[org_id],)
        if motion_id not in counted:   # a whistle's motion has several responders
            counted.add(motion_id)
            owners += targets(place_id, n)
        for figures in owners:
            acknowledged, completed = durations[id(figures)]
            if acknowledge is not None:
                acknowledged.append(acknowledge)
            if complete is not None:
                completed.append(complete)
    for figures in (total, *by_child.values(), *by_month.values(), *by_org.values()):
        figures.take_medians(*durations.get(id(figures), ([], [])))

    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(list(by_org)))).all()) if by_org else {}
    return Report(
        place=Named(place.id, place.name), start=start, end=end, total=total,
        places=[(Named(child.id, child.name), by_child.get(child.id, Figures())) for child in children],
        own=by_child.get(None, Figures()),
        organisations=sorted(((Named(i, names[i]), f) for i, f in by_org.items()), key=lambda p: p[0].name),
        months=sorted(by_month.items()), computed_at=utcnow())


# --- from the rollups -------------------------------------------------------------------------

def report(place: Place, start: datetime, end: datetime) -> Report:
    """Every figure for ``place`` and below, per child place, per organisation and per month
    (months in the site's local time), read from the rollups: the counts of the place and of
    its children for the months and days of the period, and each median at its offset in
    the durations. The same as ``direct_report``, which counts periods that do not start
    and end at local midnight, or while the rollups of an installation that holds motions
    have not been built yet (``flask figures rebuild``)."""
    first, after = periods.local_midnight(start), periods.local_midnight(end)
    if first is None or after is None or first >= after or not rollups.built():
        return direct_report(place, start, end)
    children = db.session.execute(select(Place.id, Place.name).where(Place.parent_id == place.id)
                                  .order_by(Place.name)).all()
    child_ids = [child.id for child in children]
    total, by_child, by_month, by_org = Figures(), defaultdict(Figures), defaultdict(Figures), defaultdict(Figures)
    timed: dict[int, list[int]] = defaultdict(lambda: [0, 0])   # id(figures) -> motions acknowledged, completed
    count = FigureCount
    for place_id, org_id, month, *sums in db.session.execute(
            select(count.place_id, count.organisation_id, count.month,
                   *(func.sum(getattr(count, name)) for name in rollups.COUNTS))
            .where(or_(count.place_id == place.id, and_(count.place_id.in_(child_ids),
                                                        count.organisation_id == rollups.MOTION)),
                   periods.period_rows(first, after, FigureCount.month, FigureCount.day))
            .group_by(count.place_id, count.organisation_id, count.month)):
        values = dict(zip(rollups.COUNTS, (int(v or 0) for v in sums)))
        if not values["received"]:
            continue
        if place_id != place.id:
            targets = (by_child[place_id],)
        elif org_id == rollups.MOTION:
            targets = (total, by_month[f"{month // 100:04d}-{month % 100:02d}"])
        else:
            targets = (by_org[org_id],)
        for figures in targets:
            _take(figures, values)
            timed[id(figures)][0] += values["acknowledged"]
            timed[id(figures)][1] += values["finished"]

    own = Figures()
    own_timed = list(timed[id(total)])
    for name in ("received", "responders", "responded_in_time", "completed", "resolved", "settled", "ratings",
                 "satisfied", "overdue"):
        setattr(own, name, getattr(total, name) - sum(getattr(by_child[i], name) for i in child_ids if i in by_child))
    for i in child_ids:
        if i in by_child:
            own_timed[0] -= timed[id(by_child[i])][0]
            own_timed[1] -= timed[id(by_child[i])][1]
    timed[id(own)] = own_timed

    # (figures, place, organisation, month, of the place itself)
    groups = [(total, place.id, rollups.MOTION, None, False), (own, place.id, rollups.MOTION, None, True)]
    groups += [(figures, i, rollups.MOTION, None, False) for i, figures in by_child.items()]
    groups += [(figures, place.id, i, None, False) for i, figures in by_org.items()]
    groups += [(figures, place.id, rollups.MOTION, int(label.replace("-", "")), False)
               for label, figures in by_month.items()]
    _medians(groups, timed, periods.day_number(first), periods.day_number(after))

    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(list(by_org)))).all()) if by_org else {}
    return Report(
        place=Named(place.id, place.name), start=start, end=end, total=total,
        places=[(Named(child.id, child.name), by_child.get(child.id, Figures())) for child in children],
        own=own if own.received else Figures(),
        organisations=sorted(((Named(i, names[i]), f) for i, f in by_org.items()), key=lambda p: p[0].name),
        months=sorted(by_month.items()), computed_at=utcnow())


def _take(figures: Figures, values: dict) -> None:
    figures.add(values["received"], values["completed"], values["resolved"], values["settled"], values["overdue"])
    figures.responders += values["responders"]
    figures.responded_in_time += values["responded_in_time"]
    figures.ratings += values["ratings"]
    figures.satisfied += values["satisfied"]


def _medians(groups, timed: dict[int, list[int]], first: int, after: int, batch: int = 200) -> None:
    """Each group's medians: the middle one or two of its durations in the period (local
    days ``first`` to before ``after``, as numbers), read in the order of an index at the
    offset its count gives, all groups in one query (per ``batch``). The statement is
    written out here: it has as many parts as groups, and only numbers go into it."""
    parts, wanted, params = [], {}, {"first": first, "after": after}
    for figures, place_id, org_id, month, own in groups:
        for kind, n in zip((rollups.ACKNOWLEDGE, rollups.COMPLETE), timed.get(id(figures), (0, 0))):
            if n <= 0:
                continue
            tag = len(wanted)
            wanted[tag] = (figures, kind, n)
            params[f"p{tag}"], params[f"o{tag}"] = place_id, org_id
            parts.append(
                f"SELECT {tag} AS tag, seconds FROM (SELECT seconds FROM motion_figure_durations"
                f" WHERE place_id = :p{tag} AND kind = {int(kind)} AND organisation_id = :o{tag}"
                f"{f' AND month = {int(month)}' if month is not None else ''} AND day >= :first AND day < :after"
                f"{' AND own' if own else ''} ORDER BY seconds LIMIT {2 - n % 2} OFFSET {(n - 1) // 2}) AS m{tag}")
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(parts), batch):
        for tag, seconds in db.session.execute(text(" UNION ALL ".join(parts[start:start + batch])), params):
            found[tag].append(seconds)
    for tag, (figures, kind, n) in wanted.items():
        middle = found.get(tag)
        if not middle:
            continue
        value = middle[0] if n % 2 else (middle[0] + middle[1]) / 2
        if kind == rollups.ACKNOWLEDGE:
            figures.median_acknowledge_hours = value / 3600
        else:
            figures.median_complete_hours = value / 3600
