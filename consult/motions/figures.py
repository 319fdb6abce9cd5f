"""Accountability figures (接诉即办) of a place and the places below it, and of every
responder organisation, over the motions assigned within a period.

Definitions (also written on the page):

* received — motions assigned in the period (withdrawn ones left out);
* response rate — responders that acknowledged by their deadline / responders addressed;
* completion rate — motions completed / received;
* resolution rate — motions completed and closed without ever being reopened / completed;
* satisfaction rate — (满意 + 基本满意) / ratings given;
* overdue — motions that missed a deadline (to acknowledge or to complete) at least once;
* median time to acknowledge / to complete — from assignment, over the motions that did.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import case, func, select

from ..accounts.models import Organisation
from ..extensions import db
from ..places.models import Place
from .models import Motion, MotionState, Rating, Responder, Score


@dataclass
class Figures:
    received: int = 0
    responders: int = 0
    responded_in_time: int = 0
    completed: int = 0
    resolved: int = 0
    ratings: int = 0
    satisfied: int = 0
    overdue: int = 0
    acknowledge_seconds: list[int] = field(default_factory=list)
    complete_seconds: list[int] = field(default_factory=list)

    def count_motion(self, completed_at, state, reopened, overdue_at, acknowledge_seconds, complete_seconds) -> None:
        self.received += 1
        if completed_at is not None:
            self.completed += 1
            if state is MotionState.closed and not reopened:
                self.resolved += 1
        if overdue_at is not None:
            self.overdue += 1
        if acknowledge_seconds is not None:
            self.acknowledge_seconds.append(acknowledge_seconds)
        if complete_seconds is not None:
            self.complete_seconds.append(complete_seconds)

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
        return self._rate(self.resolved, self.completed)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.ratings)

    @property
    def median_acknowledge_hours(self):
        return statistics.median(self.acknowledge_seconds) / 3600 if self.acknowledge_seconds else None

    @property
    def median_complete_hours(self):
        return statistics.median(self.complete_seconds) / 3600 if self.complete_seconds else None

    def as_dict(self) -> dict:
        return {"received": self.received, "response_rate": self.response_rate,
                "completion_rate": self.completion_rate, "resolution_rate": self.resolution_rate,
                "satisfaction_rate": self.satisfaction_rate, "overdue": self.overdue,
                "median_acknowledge_hours": self.median_acknowledge_hours,
                "median_complete_hours": self.median_complete_hours,
                "responders": self.responders, "responded_in_time": self.responded_in_time,
                "completed": self.completed, "resolved": self.resolved, "ratings": self.ratings,
                "satisfied": self.satisfied}


@dataclass
class Report:
    place: Place
    start: datetime
    end: datetime
    total: Figures
    places: list[tuple[Place, Figures]]
    own: Figures          # motions of the place itself, not of a place below
    organisations: list[tuple[Organisation, Figures]]
    months: list[tuple[str, Figures]]


def _in_period(place: Place, start: datetime, end: datetime):
    return (Place.path.startswith(place.path, autoescape=True), Motion.created_at >= start, Motion.created_at < end,
            Motion.state != MotionState.withdrawn)


def report(place: Place, start: datetime, end: datetime, *, utc_offset: timedelta = timedelta(hours=8)) -> Report:
    """Every figure for ``place`` and below, per child place, per organisation and per month
    (months in local time, ``utc_offset`` from UTC)."""
    where = _in_period(place, start, end)
    children = list(db.session.scalars(select(Place).where(Place.parent_id == place.id).order_by(Place.name)))
    depth = len(place.ancestor_ids)

    def child_of(path: str) -> Optional[int]:
        parts = path.strip("/").split("/")
        return int(parts[depth]) if len(parts) > depth else None

    total, by_child, by_month = Figures(), defaultdict(Figures), defaultdict(Figures)
    motion_keys: dict[int, tuple[Optional[int], str]] = {}
    rows = db.session.execute(
        select(Motion.id, Place.path, Motion.created_at, Motion.completed_at, Motion.state, Motion.reopened_count,
               Motion.overdue_at, Motion.acknowledge_seconds, Motion.complete_seconds)
        .join(Place, Place.id == Motion.place_id).where(*where))
    for motion_id, path, created, completed_at, state, reopened, overdue_at, ack_s, done_s in rows:
        key = (child_of(path), (created + utc_offset).strftime("%Y-%m"))
        motion_keys[motion_id] = key
        for figures in (total, by_child[key[0]], by_month[key[1]]):
            figures.count_motion(completed_at, state, reopened, overdue_at, ack_s, done_s)

    by_org: dict[int, Figures] = defaultdict(Figures)
    responder_rows = db.session.execute(
        select(Responder.motion_id, Responder.organisation_id,
               case((Responder.acknowledged_at <= Responder.acknowledge_by, 1), else_=0))
        .join(Motion, Motion.id == Responder.motion_id).join(Place, Place.id == Motion.place_id).where(*where))
    org_motions: dict[int, set[int]] = defaultdict(set)
    for motion_id, org_id, in_time in responder_rows:
        child, month = motion_keys.get(motion_id, (None, None))
        org_motions[org_id].add(motion_id)
        for figures in (total, by_child[child], by_month[month], by_org[org_id]):
            figures.responders += 1
            figures.responded_in_time += in_time

    rating_rows = db.session.execute(
        select(Rating.motion_id, func.count(), func.sum(case((Rating.score != Score.unsatisfied, 1), else_=0)))
        .join(Motion, Motion.id == Rating.motion_id).join(Place, Place.id == Motion.place_id).where(*where)
        .group_by(Rating.motion_id))
    ratings = {motion_id: (n, int(good or 0)) for motion_id, n, good in rating_rows}
    for motion_id, (n, good) in ratings.items():
        child, month = motion_keys.get(motion_id, (None, None))
        for figures in (total, by_child[child], by_month[month]):
            figures.ratings += n
            figures.satisfied += good

    if org_motions:
        # The motion figures of an organisation are those of the motions addressed to it.
        motion_rows = db.session.execute(
            select(Responder.organisation_id, Motion.completed_at, Motion.state, Motion.reopened_count,
                   Motion.overdue_at, Motion.acknowledge_seconds, Motion.complete_seconds, Motion.id)
            .join(Motion, Motion.id == Responder.motion_id).join(Place, Place.id == Motion.place_id).where(*where))
        for org_id, completed_at, state, reopened, overdue_at, ack_s, done_s, motion_id in motion_rows:
            figures = by_org[org_id]
            figures.count_motion(completed_at, state, reopened, overdue_at, ack_s, done_s)
            n, good = ratings.get(motion_id, (0, 0))
            figures.ratings += n
            figures.satisfied += good
    organisations = {o.id: o for o in db.session.scalars(select(Organisation).where(
        Organisation.id.in_(list(by_org))))} if by_org else {}
    return Report(
        place=place, start=start, end=end, total=total,
        places=[(child, by_child.get(child.id, Figures())) for child in children], own=by_child.get(None, Figures()),
        organisations=sorted(((organisations[i], f) for i, f in by_org.items()), key=lambda p: p[0].name),
        months=sorted(by_month.items()))
