"""Accountability figures, worked out by hand on a scripted fortnight.

Compound 北区 with buildings 1 and 2; 富成物业 (company) and 另一家物业 (other):

  M0  building 1, company, assigned 40 days before the period: outside it
  M1  building 1, company: acknowledged after 3 h, completed after 48 h,
      rated 满意 + 基本满意, closed when the window ended          → resolved
  M2  building 1, company: acknowledged after 30 h (deadline 24 h: late, flagged overdue),
      completed after 120 h, rated 满意 / 不满意 / 不满意 → reopened, sent back,
      completed again after 144 h, rated 满意, closed               → not resolved
  M3  building 2, other: never acknowledged (overdue)
  M4  building 2, company: withdrawn                                 → not counted

  received 3 · response 1/3 · completion 2/3 · resolution 1/2 · satisfaction 4/6
  overdue 2 · median to acknowledge (3 h, 30 h) 16.5 h · to complete (48 h, 144 h) 96 h
"""
from datetime import date, timedelta

import pytest

from consult import clock
from consult.clock import start_of_local_day
from consult.motions import figures
from consult.motions import service as motions
from consult.motions.models import Answer, MotionState, Score

from .support import T0, assign, do


@pytest.fixture(params=["rollups", "direct"])
def count(request):
    """The figures read from the rollups, and counted from the motions: the same."""
    return figures.report if request.param == "rollups" else figures.direct_report


def days(first: date, after: date):
    return start_of_local_day(first), start_of_local_day(after)


MARCH = (date(2026, 3, 1), date(2026, 4, 1))


def rate(motion, who, score):
    do(motions.rate, motion, actor=who, score=score)


@pytest.fixture
def fortnight(area):
    clock.set_now(T0 - timedelta(days=40))
    assign(area)                                                      # M0
    clock.set_now(T0)
    m1, m2 = assign(area), assign(area)
    m3 = assign(area, place=area.tree.b2, orgs=[area.other])
    m4 = assign(area, place=area.tree.b2)
    do(motions.withdraw, m4, actor=area.moderator, reason="重复")
    clock.advance(hours=3)
    do(motions.answer, m1, actor=area.manager, answer=Answer.accept)
    clock.set_now(T0 + timedelta(hours=25))
    motions.follow_up()
    clock.set_now(T0 + timedelta(hours=30))
    do(motions.answer, m2, actor=area.manager, answer=Answer.accept)
    clock.set_now(T0 + timedelta(hours=48))
    do(motions.complete, m1, actor=area.manager, evidence="修好了")
    rate(m1, area.residents[0], Score.satisfied)
    rate(m1, area.residents[1], Score.basically)
    clock.set_now(T0 + timedelta(hours=120))
    do(motions.complete, m2, actor=area.manager, evidence="修好了")
    rate(m2, area.residents[0], Score.satisfied)
    rate(m2, area.residents[1], Score.unsatisfied)
    rate(m2, area.residents[2], Score.unsatisfied)
    assert m2.state is MotionState.reopened
    do(motions.send_back, m2, actor=area.moderator, reason="仍有问题")
    clock.set_now(T0 + timedelta(hours=144))
    do(motions.complete, m2, actor=area.manager, evidence="再修")
    rate(m2, area.residents[3], Score.satisfied)
    clock.set_now(T0 + timedelta(days=14))
    motions.follow_up()
    assert (m1.state, m2.state, m3.state) == (MotionState.closed, MotionState.closed, MotionState.assigned)
    return area


def test_every_figure_of_the_compound(fortnight, count):
    report = count(fortnight.tree.north, *days(*MARCH))
    total = report.total
    assert total.received == 3
    assert total.response_rate == pytest.approx(1 / 3)
    assert total.completion_rate == pytest.approx(2 / 3)
    assert total.resolution_rate == pytest.approx(1 / 2)
    assert total.satisfaction_rate == pytest.approx(4 / 6)
    assert total.overdue == 2
    assert total.median_acknowledge_hours == pytest.approx(16.5)
    assert total.median_complete_hours == pytest.approx(96)


def test_per_building_and_per_organisation(fortnight, count):
    report = count(fortnight.tree.north, *days(*MARCH))
    rows = {place.name: f for place, f in report.places}
    b1, b2 = rows["1号楼"], rows["2号楼"]
    assert (b1.received, b1.responded_in_time, b1.completed, b1.resolved, b1.ratings, b1.satisfied, b1.overdue) \
        == (2, 1, 2, 1, 6, 4, 1)
    assert (b2.received, b2.response_rate, b2.completion_rate, b2.satisfaction_rate, b2.overdue) == (1, 0, 0, None, 1)
    assert b2.median_acknowledge_hours is None
    orgs = {org.name: f for org, f in report.organisations}
    assert orgs["富成物业"].received == 2 and orgs["富成物业"].response_rate == pytest.approx(1 / 2)
    assert orgs["富成物业"].satisfaction_rate == pytest.approx(4 / 6)
    assert orgs["另一家物业"].received == 1 and orgs["另一家物业"].response_rate == 0
    assert [month for month, _ in report.months] == ["2026-03"]


def test_the_period_decides_which_motions_count(fortnight, count):
    before = count(fortnight.tree.north, *days(date(2026, 1, 1), date(2026, 3, 1)))
    assert before.total.received == 1 and before.total.overdue == 1   # M0, never acknowledged
    empty = count(fortnight.tree.jm, *days(date(2026, 1, 1), date(2026, 4, 1)))
    assert empty.total.received == 0 and empty.total.response_rate is None


def test_a_motion_still_being_rated_waits_for_the_resolution_rate(area, count):
    motion = assign(area)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    do(motions.complete, motion, actor=area.manager, evidence="修好了")
    rate(motion, area.residents[0], Score.satisfied)
    period = days(*MARCH)
    being_rated = count(area.tree.north, *period).total
    assert (being_rated.completed, being_rated.settled, being_rated.resolution_rate) == (1, 0, None)
    clock.advance(days=8)
    motions.follow_up()
    assert motion.state is MotionState.closed
    closed = count(area.tree.north, *period).total
    assert (closed.settled, closed.resolved, closed.resolution_rate) == (1, 1, 1.0)


def test_a_reopened_motion_is_not_counted_as_done(area, count):
    motion = assign(area)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    do(motions.complete, motion, actor=area.manager, evidence="修好了")
    period = days(*MARCH)
    assert count(area.tree.north, *period).total.completion_rate == 1
    for resident in area.residents[:3]:
        rate(motion, resident, Score.unsatisfied)
    assert motion.state is MotionState.reopened
    assert count(area.tree.north, *period).total.completion_rate == 0
    do(motions.send_back, motion, actor=area.moderator, reason="仍有问题")
    assert count(area.tree.north, *period).total.completed == 0
    do(motions.complete, motion, actor=area.manager, evidence="再修")
    assert count(area.tree.north, *period).total.completion_rate == 1
