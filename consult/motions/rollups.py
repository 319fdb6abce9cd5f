"""The rollups of the accountability figures, kept up to date as motions change.

Every change of a motion that the figures count (assignment, acknowledgement, answer,
completion, rating, reopening, sending back, closing, withdrawal, a deadline missed) marks
the motion with ``touch``; before the transaction commits, what each marked motion counts
for now (``facts``) is compared with what it counted for before (``FigureFact``) and the
difference is added to the counts of every place at or above it, for its month and its day
(``FigureCount``); its times to acknowledge and to complete are written once for each of
those places (``FigureDuration``). The counts are added in one order in every transaction,
so that two never wait for each other.

``rebuild`` writes them all again from the motions: after a bulk load, after upgrading to
the version that brought them, or after the site's time zone was changed."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import case, delete, event, func, insert, literal, select
from sqlalchemy.orm import Session

from ..periods import local_day
from ..extensions import db
from ..places.models import Place
from .models import (
    FigureCount,
    FigureDuration,
    FigureFact,
    Motion,
    MotionState,
    Rating,
    Responder,
    Score,
)

PENDING = "consult_figures_pending"
ACKNOWLEDGE, COMPLETE = 1, 2
MOTION = 0   # organisation_id of the rows that count the motion itself
CHUNK = 2000   # motions brought up to date at a time


@dataclass(frozen=True)
class Fact:
    """What one motion counts for, as the motion (organisation 0) or for one organisation."""
    received: int = 0
    completed: int = 0
    resolved: int = 0
    settled: int = 0
    overdue: int = 0
    responders: int = 0
    responded_in_time: int = 0
    ratings: int = 0
    satisfied: int = 0
    acknowledge_seconds: Optional[int] = None
    complete_seconds: Optional[int] = None

    def counts(self) -> tuple[int, ...]:
        """The additive part, in the order of ``COUNTS``."""
        return (self.received, self.completed, self.resolved, self.settled, self.overdue, self.responders,
                self.responded_in_time, self.ratings, self.satisfied, int(self.acknowledge_seconds is not None),
                int(self.complete_seconds is not None))


COUNTS = ("received", "completed", "resolved", "settled", "overdue", "responders", "responded_in_time", "ratings",
          "satisfied", "acknowledged", "finished")
FACT_COLUMNS = ("received", "completed", "resolved", "settled", "overdue", "responders", "responded_in_time",
                "ratings", "satisfied", "acknowledge_seconds", "complete_seconds")



def facts(state: MotionState, completed_at, reopened_count: int, overdue_at, acknowledge_seconds, complete_seconds,
          responders: Iterable[tuple[int, bool]], ratings: int, satisfied: int) -> dict[int, Fact]:
    """What a motion counts for, by organisation (0: the motion), following the definitions
    at the top of ``figures``. ``responders``: (organisation, acknowledged by its deadline)."""
    if state is MotionState.withdrawn:
        return {}
    responders = list(responders)
    completed = int(completed_at is not None and state in (MotionState.completed, MotionState.closed))
    resolved = int(state is MotionState.closed and reopened_count == 0)
    settled = int(completed_at is not None and (state is not MotionState.completed or reopened_count > 0))
    common = dict(received=1, completed=completed, resolved=resolved, settled=settled,
                  overdue=int(overdue_at is not None), ratings=ratings, satisfied=satisfied,
                  acknowledge_seconds=acknowledge_seconds, complete_seconds=complete_seconds)
    found = {MOTION: Fact(responders=len(responders), responded_in_time=sum(bool(t) for _, t in responders),
                          **common)}
    for organisation_id, in_time in responders:
        found[organisation_id] = Fact(responders=1, responded_in_time=int(bool(in_time)), **common)
    return found


def facts_of(motions: list[Motion]) -> dict[int, dict[int, Fact]]:
    """What each motion counts for now, by motion id."""
    ids = [m.id for m in motions]
    rated = {motion_id: (given, int(good or 0)) for motion_id, given, good in db.session.execute(
        select(Rating.motion_id, func.count(), func.sum(case((Rating.score != Score.unsatisfied, 1), else_=0)))
        .where(Rating.motion_id.in_(ids)).group_by(Rating.motion_id))} if ids else {}
    responders: dict[int, list] = defaultdict(list)
    for responder in db.session.scalars(select(Responder).where(Responder.motion_id.in_(ids)).order_by(Responder.id)
                                        .execution_options(populate_existing=True)) if ids else ():
        responders[responder.motion_id].append((responder.organisation_id, responder.in_time))
    return {m.id: facts(m.state, m.completed_at, m.reopened_count, m.overdue_at, m.acknowledge_seconds,
                        m.complete_seconds, responders[m.id], *rated.get(m.id, (0, 0))) for m in motions}


# --- keeping them up to date ------------------------------------------------------------------

def touch(motion: Motion) -> None:
    """The motion changed in what the figures may count: its rollups are brought up to date
    before the transaction commits (or before figures are read in it)."""
    db.session().info.setdefault(PENDING, set()).add(motion.id)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        apply_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    """The transaction ended (committed: nothing is pending; rolled back: nothing is to be
    done); a savepoint's end leaves what its transaction marked."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def apply_pending(session: Optional[Session] = None) -> None:
    """Bring the rollups of the motions marked in this transaction up to date."""
    session = session or db.session()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()
    deltas: dict[tuple[int, int, int, int], list[int]] = {}
    ordered = sorted(pending)
    for start in range(0, len(ordered), CHUNK):
        _apply(session, ordered[start:start + CHUNK], deltas)
    _write_counts(session, deltas)


def _apply(session: Session, ids: list[int], deltas: dict) -> None:
    # Locked in the order of the motions, so that two changes of a motion follow each other:
    # the motions, their responders and ratings are read after the lock, as another
    # transaction may have committed a change of them meanwhile (ours are flushed).
    kept: dict[int, dict[int, FigureFact]] = defaultdict(dict)
    for row in session.scalars(select(FigureFact).where(FigureFact.motion_id.in_(ids))
                               .order_by(FigureFact.motion_id, FigureFact.organisation_id).with_for_update()
                               .execution_options(populate_existing=True)):
        kept[row.motion_id][row.organisation_id] = row
    motions = {m.id: m for m in session.scalars(select(Motion).where(Motion.id.in_(ids))
                                                .execution_options(populate_existing=True))}
    paths = _paths({m.place_id for m in motions.values()})
    now = facts_of(list(motions.values()))
    for motion_id in ids:
        motion = motions.get(motion_id)
        before = kept.get(motion_id, {})
        after = now.get(motion_id, {})
        day = local_day(motion.created_at) if motion is not None else None
        old_day = next(iter(before.values())).day if before else None
        unchanged = old_day == day and {o: _fact(r) for o, r in before.items()} == after
        if unchanged:
            continue
        for organisation_id, row in before.items():
            _add(deltas, paths[row.place_id], organisation_id, row.day, _fact(row).counts(), -1)
        for organisation_id, fact in after.items():
            _add(deltas, paths[motion.place_id], organisation_id, day, fact.counts(), 1)
        _write_durations(session, motion_id, before, after, motion, day, paths)   # before the facts change
        _write_facts(session, motion_id, before, after, motion, day)


def _fact(row: FigureFact) -> Fact:
    return Fact(**{name: getattr(row, name) for name in FACT_COLUMNS})


def _paths(place_ids: set[int]) -> dict[int, list[int]]:
    """Each place's own id and those above it."""
    if not place_ids:
        return {}
    return {i: [int(p) for p in path.strip("/").split("/") if p] for i, path in db.session.execute(
        select(Place.id, Place.path).where(Place.id.in_(place_ids)))}


def _add(deltas, places: list[int], organisation_id: int, day: int, counts: tuple[int, ...], sign: int) -> None:
    month = day // 100
    for place_id in places:
        for key in ((place_id, organisation_id, month, 0), (place_id, organisation_id, month, day)):
            found = deltas.setdefault(key, [0] * len(COUNTS))
            for n, value in enumerate(counts):
                found[n] += sign * value


def _write_facts(session, motion_id: int, before: dict, after: dict[int, Fact], motion, day) -> None:
    for organisation_id, row in before.items():
        if organisation_id not in after:
            session.delete(row)
    for organisation_id, fact in after.items():
        row = before.get(organisation_id)
        if row is None:
            row = FigureFact(motion_id=motion_id, organisation_id=organisation_id)
            session.add(row)
        row.place_id, row.day = motion.place_id, day
        for name in FACT_COLUMNS:
            setattr(row, name, getattr(fact, name))
    session.flush()


def _write_durations(session, motion_id: int, before: dict, after: dict[int, Fact], motion, day, paths) -> None:
    def times(found):
        return {o: (f.acknowledge_seconds, f.complete_seconds) for o, f in found.items()}

    old = {o: (r.acknowledge_seconds, r.complete_seconds) for o, r in before.items()}
    old_day = next(iter(before.values())).day if before else None
    if old == times(after) and old_day == day:
        return
    session.execute(delete(FigureDuration).where(FigureDuration.motion_id == motion_id))
    rows = [{"motion_id": motion_id, "place_id": place_id, "kind": kind, "organisation_id": organisation_id,
             "seconds": seconds, "day": day, "month": day // 100, "own": place_id == motion.place_id}
            for organisation_id, fact in after.items()
            for kind, seconds in ((ACKNOWLEDGE, fact.acknowledge_seconds), (COMPLETE, fact.complete_seconds))
            if seconds is not None for place_id in paths[motion.place_id]]
    if rows:
        session.execute(insert(FigureDuration), rows)


def _upsert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def _write_counts(session, deltas: dict) -> None:
    """Add the deltas to the counts, row by row in the order of their keys."""
    changed = [(key, delta) for key, delta in sorted(deltas.items()) if any(delta)]
    if not changed:
        return
    table = FigureCount.__table__
    statement = _upsert()(table)
    statement = statement.on_conflict_do_update(
        index_elements=["place_id", "organisation_id", "month", "day"],
        set_={name: table.c[name] + statement.excluded[name] for name in COUNTS})
    for (place_id, organisation_id, month, day), delta in changed:
        session.execute(statement.values(place_id=place_id, organisation_id=organisation_id, month=month, day=day,
                                         **dict(zip(COUNTS, delta))))


def built() -> bool:
    """Whether the rollups can be read: brought up to date with this transaction, and
    written at all if there are motions (an installation upgraded without ``rebuild`` has
    motions and no facts)."""
    apply_pending()
    return db.session.scalar(select(FigureFact.motion_id).limit(1)) is not None or \
        db.session.scalar(select(Motion.id).limit(1)) is None


# --- writing them all again -------------------------------------------------------------------

def rebuild(batch: int = 5000) -> int:
    """Every rollup written again from the motions, in the caller's transaction; returns the
    number of motions counted."""
    session = db.session()
    session.info.pop(PENDING, None)
    for model in (FigureDuration, FigureCount, FigureFact):
        session.execute(delete(model))
    ratings = {motion_id: (given, good) for motion_id, given, good in session.execute(
        select(Rating.motion_id, func.count(), func.sum(case((Rating.score != Score.unsatisfied, 1), else_=0)))
        .group_by(Rating.motion_id))}
    responders: dict[int, list] = defaultdict(list)
    for motion_id, organisation_id, acknowledged_at, acknowledge_by in session.execute(
            select(Responder.motion_id, Responder.organisation_id, Responder.acknowledged_at,
                   Responder.acknowledge_by).order_by(Responder.id)):
        responders[motion_id].append((organisation_id, acknowledged_at is not None and acknowledged_at <= acknowledge_by))
    counted, rows = 0, []
    query = select(Motion.id, Motion.place_id, Motion.created_at, Motion.state, Motion.completed_at,
                   Motion.reopened_count, Motion.overdue_at, Motion.acknowledge_seconds, Motion.complete_seconds
                   ).where(Motion.state != MotionState.withdrawn)
    for motion_id, place_id, created_at, state, completed_at, reopened, overdue_at, acknowledge, complete \
            in session.execute(query).all():
        given, good = ratings.get(motion_id, (0, 0))
        day = local_day(created_at)
        counted += 1
        for organisation_id, fact in facts(state, completed_at, reopened, overdue_at, acknowledge, complete,
                                           responders.get(motion_id, ()), given, int(good or 0)).items():
            rows.append({"motion_id": motion_id, "organisation_id": organisation_id, "place_id": place_id,
                         "day": day, **{name: getattr(fact, name) for name in FACT_COLUMNS}})
        if len(rows) >= batch:
            session.execute(insert(FigureFact), rows)
            rows = []
    if rows:
        session.execute(insert(FigureFact), rows)
    _sum_facts(session)
    return counted


def _sum_facts(session) -> None:
    """The counts and the durations from the facts, added up by the database."""
    from sqlalchemy.orm import aliased

    top = aliased(Place)
    above = select(Place.id.label("place_id"), top.id.label("above_id"), (Place.id == top.id).label("own")) \
        .join(top, Place.path.startswith(top.path)).subquery("above")
    fact = FigureFact.__table__.c
    month = fact.day // 100
    sums = [func.sum(fact[name]) for name in COUNTS[:9]] + [
        func.sum(case((fact.acknowledge_seconds.is_not(None), 1), else_=0)),
        func.sum(case((fact.complete_seconds.is_not(None), 1), else_=0))]
    columns = ["place_id", "organisation_id", "month", "day", *COUNTS]
    by_month = select(above.c.above_id, fact.organisation_id, month, literal(0), *sums) \
        .join(above, above.c.place_id == fact.place_id).group_by(above.c.above_id, fact.organisation_id, month)
    by_day = select(above.c.above_id, fact.organisation_id, month, fact.day, *sums) \
        .join(above, above.c.place_id == fact.place_id).group_by(above.c.above_id, fact.organisation_id, fact.day)
    for grouped in (by_month, by_day):
        session.execute(insert(FigureCount).from_select(columns, grouped))
    for kind, seconds in ((ACKNOWLEDGE, fact.acknowledge_seconds), (COMPLETE, fact.complete_seconds)):
        session.execute(insert(FigureDuration).from_select(
            ["motion_id", "place_id", "kind", "organisation_id", "seconds", "day", "month", "own"],
            select(fact.motion_id, above.c.above_id, literal(kind), fact.organisation_id, seconds, fact.day, month,
                   above.c.own).join(above, above.c.place_id == fact.place_id).where(seconds.is_not(None))))
