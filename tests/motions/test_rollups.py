"""The figures read from the rollups are the figures counted from the motions themselves
(``direct_report``): random histories of motions across months, places and organisations,
compared for every place and for periods that cut months at either end."""
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.clock import start_of_local_day
from consult.database import unit_of_work
from consult.errors import DomainError
from consult.extensions import db
from consult.motions import figures, rollups
from consult.motions import service as motions
from consult.motions.models import Answer, FigureCount, FigureDuration, FigureFact, Motion, MotionState, Score

from .support import T0, do

PERIODS = [(date(2026, 2, 1), date(2026, 9, 1)),     # every month whole
           (date(2026, 3, 15), date(2026, 5, 10)),   # cut at both ends
           (date(2026, 4, 1), date(2026, 5, 1)),     # one month
           (date(2026, 3, 2), date(2026, 3, 3)),     # one day
           (date(2026, 4, 20), date(2026, 5, 20)),   # no month whole
           (date(2026, 3, 3), date(2026, 7, 1))]


# What is tried next on a motion, by its state (a step that is refused is left out).
NEXT = {"assigned": ["acknowledge", "acknowledge", "accept", "accept", "decline", "withdraw"],
        "acknowledged": ["accept", "accept", "acknowledge", "decline"],
        "in_progress": ["complete", "complete", "complete", "acknowledge", "withdraw"],
        "declined": ["send_back", "close", "withdraw"],
        "completed": ["rate", "rate", "rate", "rate", "reopen", "close"],
        "reopened": ["send_back", "send_back", "close", "withdraw"],
        "closed": ["reopen", "rate"], "withdrawn": ["close"]}


def _report(report):
    return {"total": report.total.as_dict(), "own": report.own.as_dict(),
            "places": [(p.id, f.as_dict()) for p, f in report.places],
            "organisations": [(o.id, f.as_dict()) for o, f in report.organisations],
            "months": [(m, f.as_dict()) for m, f in report.months]}


def _assert_same(area):
    tree = area.tree
    compared = 0
    for place in (tree.sub, tree.fc, tree.jm, tree.north, tree.b1, tree.b2, tree.e1, tree.jb):
        for first, after in PERIODS:
            start, end = start_of_local_day(first), start_of_local_day(after)
            expected = _report(figures.direct_report(place, start, end))
            assert _report(figures.report(place, start, end)) == expected, (place.name, first, after)
            compared += expected["total"]["received"]
    return compared


def _history(area, seed: int, steps: int):
    rng = random.Random(seed)
    tree = area.tree
    top = area.top_moderator
    responders = {area.company.id: area.manager, area.other.id: area.rival, area.enforcement.id: area.officer,
                  area.station.id: area.police}
    places = [tree.b1, tree.b1, tree.e1, tree.b2, tree.north, tree.fc, tree.jb]
    near = [area.company, area.other, area.enforcement, area.station]
    made = []
    clock.set_now(T0)
    for _ in range(steps):
        clock.advance(hours=rng.choice([0, 0, 1, 2, 3, 5, 8]) + (144 if rng.random() < 0.04 else 0),
                      minutes=rng.randrange(60))
        if not made or rng.random() < 0.3:
            place = rng.choice(places)
            eligible = near if place is not tree.jb else [area.enforcement, area.station]
            orgs = rng.sample(eligible, rng.choice([1, 1, 1, 2]))
            made.append(do(motions.assign, place, actor=top, title="楼道灯不亮", body="请维修", organisations=orgs,
                           acknowledge_hours=rng.choice([4, 24]), complete_days=rng.choice([1, 5])).id)
            continue
        motion = db.session.get(Motion, rng.choice(made[-8:]))
        action = "follow_up" if rng.random() < 0.1 else rng.choice(NEXT[motion.state.value])
        responder = responders[rng.choice(motion.responders).organisation_id]
        lead = responders[motion.lead.organisation_id]
        try:
            if action == "acknowledge":
                do(motions.acknowledge, motion, actor=responder)
            elif action in ("accept", "decline"):
                do(motions.answer, motion, actor=lead, answer=Answer.accept if action == "accept" else Answer.decline,
                   reason="不属于本单位")
            elif action == "complete":
                do(motions.complete, motion, actor=lead, evidence="修好了")
                for resident in rng.sample(area.residents, rng.randrange(4)):   # some rate at once
                    clock.advance(minutes=rng.randrange(1, 90))
                    do(motions.rate, motion, actor=resident, score=rng.choice(list(Score)))
            elif action == "rate":
                do(motions.rate, motion, actor=rng.choice(area.residents), score=rng.choice(list(Score)))
            elif action in ("reopen", "send_back", "withdraw"):
                do(getattr(motions, action), motion, actor=top, reason="仍有问题")
            elif action == "close":
                do(motions.close, motion, actor=top)
            else:
                with unit_of_work():
                    motions.follow_up()
        except DomainError:
            db.session.rollback()
    return made


@pytest.fixture
def busy(area, make_user):
    area.top_moderator = make_user("街道主任", role=Role.moderator, place=area.tree.sub)
    return area


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollups_give_the_figures_counted_from_the_motions(busy, seed):
    made = _history(busy, seed, steps=220)
    assert len(made) > 20
    assert _assert_same(busy) > 0
    whole = figures.report(busy.tree.sub, *(start_of_local_day(d) for d in PERIODS[0]))
    total = whole.total   # the history touched every figure
    assert min(total.responded_in_time, total.completed, total.settled, total.ratings, total.satisfied,
               total.overdue) > 0 and total.responders > total.received and len(whole.months) >= 2


def _rows():
    return (sorted(tuple(r) for r in db.session.execute(select(FigureFact.__table__)).all()),
            sorted(tuple(r) for r in db.session.execute(select(FigureCount.__table__)).all()
                   if any(r[4:])),
            sorted(tuple(r) for r in db.session.execute(select(FigureDuration.__table__)).all()))


def test_rebuilding_writes_the_same_rollups(busy):
    _history(busy, 7, steps=120)
    kept = _rows()
    assert kept[0] and kept[1] and kept[2]
    with unit_of_work():
        counted = rollups.rebuild()
    assert counted == len(set(r[0] for r in kept[0]))
    assert _rows() == kept
    assert _assert_same(busy) > 0


def test_the_rebuild_command_counts_motions_written_without_the_service(busy, runner):
    made = _history(busy, 11, steps=60)
    with unit_of_work():
        for model in (FigureDuration, FigureCount, FigureFact):
            db.session.execute(model.__table__.delete())
    period = start_of_local_day(date(2026, 2, 1)), start_of_local_day(date(2026, 9, 1))
    # Not built (as after upgrading): the figures are counted from the motions meanwhile.
    assert not rollups.built()
    assert _report(figures.report(busy.tree.sub, *period)) == _report(figures.direct_report(busy.tree.sub, *period))
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    counted = db.session.scalar(select(func.count()).select_from(Motion).where(Motion.state != MotionState.withdrawn))
    assert f"figures rebuilt from {counted} motions" in result.output and 0 < counted <= len(made)
    db.session.expire_all()
    assert rollups.built()
    assert _report(figures.report(busy.tree.sub, *period)) == _report(figures.direct_report(busy.tree.sub, *period))
    assert _assert_same(busy) > 0


def test_figures_read_in_the_transaction_of_a_change_count_it(busy):
    period = start_of_local_day(date(2026, 3, 1)), start_of_local_day(date(2026, 4, 1))
    motion = motions.assign(busy.tree.b1, actor=busy.top_moderator, title="修复电梯", body="",
                            organisations=[busy.company])
    assert figures.report(busy.tree.north, *period).total.received == 1
    db.session.rollback()
    assert db.session.get(Motion, motion.id) is None
    assert figures.report(busy.tree.north, *period).total.received == 0
    assert db.session.scalar(select(FigureFact).limit(1)) is None


def test_a_period_not_starting_at_local_midnight_is_counted_from_the_motions(busy):
    do(motions.assign, busy.tree.b1, actor=busy.top_moderator, title="修复电梯", body="",
       organisations=[busy.company])
    start, end = T0 - timedelta(minutes=1), T0 + timedelta(minutes=1)
    assert figures.report(busy.tree.north, start, end).total.received == 1
    assert figures.report(busy.tree.north, T0 + timedelta(seconds=1), end).total.received == 0
