from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from consult.clock import travel_to
from consult.database import unit_of_work
from consult.errors import InvalidInput, NotAllowed
from consult.extensions import db
from consult.proposals.models import Category, Proposal
from consult.visits import service as visits
from consult.visits.models import Visit, VisitOutcome

NOON = datetime(2026, 11, 20, 4, 0)  # 12:00 in Shanghai


def log(household, actor, **kwargs):
    kwargs.setdefault("visited_at", NOON)
    kwargs.setdefault("heard", "楼道灯坏了三天")
    kwargs.setdefault("outcome", VisitOutcome.follow_up)
    with travel_to(max(NOON, kwargs["visited_at"]) + timedelta(hours=1)), unit_of_work():
        return visits.log_visit(household, actor=actor, **kwargs)


def test_grid_worker_logs_a_visit_in_their_building(area):
    visit = log(area.h101, area.grid)
    assert visit.id and visit.visitor_id == area.grid.id and visit.outcome is VisitOutcome.follow_up
    assert visits.visits_of(area.h101, actor=area.grid) == [visit]


@pytest.mark.parametrize("who", ["resident", "neighbour", "leader"])
def test_who_does_not_serve_the_household_cannot_log_a_visit(area, who):
    with pytest.raises(NotAllowed):
        log(area.h101, getattr(area, who))
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.mark.parametrize("who", ["resident", "neighbour"])
def test_residents_never_read_visits_not_even_their_own(area, who):
    log(area.h101, area.grid)
    with pytest.raises(NotAllowed):
        visits.visits_of(area.h101, actor=getattr(area, who))


def test_a_visit_ahead_of_time_is_refused(area):
    with force_locale("en"), pytest.raises(InvalidInput, match="ahead of time"):
        with travel_to(NOON), unit_of_work():
            visits.log_visit(area.h101, actor=area.grid, visited_at=NOON + timedelta(days=1), heard="x",
                             outcome=VisitOutcome.settled)


def test_what_was_heard_is_required_unless_nobody_was_home(area):
    with pytest.raises(InvalidInput):
        log(area.h101, area.grid, heard=" ")
    assert log(area.h101, area.grid, heard="", outcome=VisitOutcome.nobody_home).id


def test_what_was_heard_becomes_a_matter_raised_for_the_resident(area):
    category = db.session.scalars(select(Category)).first()
    visit = log(area.h101, area.grid, matter_title="楼道灯坏了", category=category, on_behalf_of=area.resident)
    proposal = db.session.scalars(select(Proposal)).one()
    assert visit.proposal_id == proposal.id and visit.outcome is VisitOutcome.raised
    assert proposal.author_id == area.resident.id and proposal.entered_by_id == area.grid.id
    assert proposal.body == "楼道灯坏了三天" and proposal.place_id == area.h101.place_id


def test_a_matter_for_someone_outside_the_household_leaves_nothing(area):
    category = db.session.scalars(select(Category)).first()
    with pytest.raises(InvalidInput):
        log(area.h101, area.grid, matter_title="楼道灯坏了", category=category, on_behalf_of=area.neighbour)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_place_report_counts_households_reached_per_building_in_the_period(app, area, tree):
    log(area.h101, area.grid)
    log(area.h101, area.grid)
    log(area.h102, area.grid, heard="", outcome=VisitOutcome.nobody_home)
    log(area.h201, area.leader, visited_at=NOON - timedelta(days=40))
    report = visits.place_report(tree.north, actor=area.moderator, start=date(2026, 11, 1), end=date(2026, 11, 20))
    by_name = {row["building"].name: row for row in report["rows"]}
    assert (by_name["1号楼"]["households"], by_name["1号楼"]["visited"], len(by_name["1号楼"]["visits"])) == (2, 1, 3)
    assert (by_name["2号楼"]["households"], by_name["2号楼"]["visited"], len(by_name["2号楼"]["visits"])) == (1, 0, 0)
    assert (report["households"], report["visited"], report["visits"]) == (3, 1, 3)


def test_period_ends_with_the_local_day(app, area, tree):
    # 23:30 in Shanghai on 20 November is 15:30 UTC: still the 20th.
    log(area.h101, area.grid, visited_at=datetime(2026, 11, 20, 15, 30))
    with travel_to(datetime(2026, 11, 21)):
        report = visits.place_report(tree.b1, actor=area.grid, start=date(2026, 11, 20), end=date(2026, 11, 20))
        assert report["visits"] == 1
        report = visits.place_report(tree.b1, actor=area.grid, start=date(2026, 11, 21), end=date(2026, 11, 21))
        assert report["visits"] == 0


def test_resident_cannot_read_the_place_report(area, tree):
    with pytest.raises(NotAllowed):
        visits.place_report(tree.b1, actor=area.resident, start=date(2026, 11, 1), end=date(2026, 11, 20))


def test_a_grid_worker_of_a_grid_visits_its_buildings_only(area, tree, make_user):
    from consult.accounts.models import Role
    from consult.places.models import Grid

    grid = Grid(community=tree.fc, name="第一网格", buildings=[tree.b1])
    db.session.add(grid)
    db.session.commit()
    worker = make_user("网格员", username="gridded", role=Role.grid_worker, grid=grid)
    assert log(area.h101, worker).id
    with pytest.raises(NotAllowed):
        log(area.h201, worker)
    report = visits.place_report(tree.fc, actor=area.moderator, start=date(2026, 11, 1), end=date(2026, 11, 30),
                                 grid=grid)
    assert [row["building"].name for row in report["rows"]] == ["1号楼"] and report["visits"] == 1
