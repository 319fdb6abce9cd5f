from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from consult import permissions
from consult.accounts import service as accounts
from consult.accounts.models import Role
from consult.clock import travel_to
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.grids import service as reports
from consult.grids.models import Report, ReportState
from consult.motions import service as motions
from consult.motions.models import Motion, MotionState, MotionUpdate
from consult.notifications.models import Notification
from consult.places import service as places

NOON = datetime(2026, 11, 20, 4, 0)  # 12:00 in Shanghai


def raise_one(area, tree, at=NOON, **kwargs):
    kwargs.setdefault("title", "楼道灯不亮")
    kwargs.setdefault("body", "1单元三楼的声控灯坏了三天")
    kwargs.setdefault("household", area.h101 if "place" not in kwargs else None)
    with travel_to(at), unit_of_work():
        return reports.raise_report(kwargs.pop("place", tree.e1), actor=kwargs.pop("actor", area.resident),
                                    **kwargs)


def told(user, kind):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).all()


def act(at, operation, *args, **kwargs):
    with travel_to(at), unit_of_work():
        return operation(*args, **kwargs)


def test_a_report_reaches_the_grid_worker_of_the_micro_grid_first(app, area, tree):
    report = raise_one(area, tree)
    assert report.grid_id == area.micro1.id and report.state is ReportState.raised
    assert report.accept_by == NOON + timedelta(hours=app.config["REPORT_ACCEPT_HOURS"])
    assert told(area.worker, "report.raised") and not told(area.worker2, "report.raised")
    assert not told(area.leader, "report.raised")


@pytest.mark.parametrize("who", ["other", "stranger"])
def test_a_resident_reports_only_where_they_live(area, tree, who):
    with pytest.raises(NotAllowed):
        raise_one(area, tree, actor=getattr(area, who))
    assert db.session.scalar(select(Report.id)) is None


def test_a_place_outside_every_grid_cannot_take_a_report(area, tree, make_user, make_household):
    resident = make_user("居民", household=make_household(tree.jb, "902"))
    with force_locale("en"), pytest.raises(InvalidInput, match="No grid"):
        raise_one(area, tree, actor=resident, place=tree.jb)


def test_the_grid_worker_accepts_in_time_and_the_resident_is_told(area, tree):
    report = raise_one(area, tree)
    act(NOON + timedelta(minutes=30), reports.accept_report, report, actor=area.worker)
    assert report.state is ReportState.accepted and report.accepted_by_id == area.worker.id
    assert report.accept_seconds == 1800 and report.accepted_in_time
    assert told(area.resident, "report.accepted")
    with pytest.raises(InvalidTransition):
        act(NOON + timedelta(hours=1), reports.accept_report, report, actor=area.worker)


@pytest.mark.parametrize("who", ["worker2", "resident", "manager"])
def test_only_the_grid_staff_handle_a_report(area, tree, who):
    report = raise_one(area, tree)
    with pytest.raises(NotAllowed):
        act(NOON, reports.accept_report, report, actor=getattr(area, who))
    assert report.state is ReportState.raised


def test_settling_on_the_spot_says_what_was_done(area, tree):
    report = raise_one(area, tree)
    with force_locale("en"), pytest.raises(InvalidInput, match="what was done"):
        act(NOON, reports.settle_report, report, actor=area.worker, outcome=" ")
    act(NOON + timedelta(hours=3), reports.settle_report, report, actor=area.worker, outcome="已换新灯泡")
    assert report.state is ReportState.settled and report.outcome == "已换新灯泡"
    assert report.accept_seconds == report.settle_seconds == 3 * 3600 and not report.accepted_in_time
    assert told(area.resident, "report.settled")


def test_dispatching_sends_the_report_on_as_a_motion(area, tree):
    report = raise_one(area, tree)
    act(NOON, reports.accept_report, report, actor=area.worker)
    act(NOON + timedelta(hours=1), reports.dispatch_report, report, actor=area.worker,
        organisations=[area.company], note="需物业更换线路")
    motion = db.session.scalars(select(Motion)).one()
    assert report.state is ReportState.dispatched and report.motion_id == motion.id
    assert motion.place_id == tree.e1.id and motion.lead.organisation_id == area.company.id
    assert "需物业更换线路" in motion.body and "声控灯" in motion.body
    assert db.session.scalars(select(MotionUpdate)).one().detail["report"] == report.id
    assert told(area.manager, "motion.assigned") and told(area.resident, "report.dispatched")


def test_a_grid_worker_assigns_motions_only_for_a_report_they_accepted(area, tree):
    assert not permissions.can_assign_motion(area.worker, tree.e1)
    with pytest.raises(NotAllowed):
        act(NOON, motions.assign, tree.e1, actor=area.worker, title="换灯", body="", organisations=[area.company])
    report = raise_one(area, tree)
    with pytest.raises(NotAllowed):
        act(NOON, reports.dispatch_report, report, actor=area.worker2, organisations=[area.company])
    assert db.session.scalar(select(Motion.id)) is None


def test_an_unaccepted_report_goes_to_the_grid_leader_once(app, area, tree):
    report = raise_one(area, tree)
    late = report.accept_by + timedelta(minutes=1)
    with travel_to(report.accept_by - timedelta(minutes=1)):
        assert not reports.escalation_is_due()
    with travel_to(late):
        assert reports.escalation_is_due()
    assert act(late, reports.escalate_late_reports) == 1
    assert report.escalated_at == late and report.state is ReportState.raised
    assert len(told(area.leader, "report.escalated")) == 1 and not told(area.worker2, "report.escalated")
    assert act(late + timedelta(minutes=5), reports.escalate_late_reports) == 0
    act(late, reports.accept_report, report, actor=area.leader)
    assert report.accepted_by_id == area.leader.id and not report.accepted_in_time


def test_without_a_grid_leader_the_moderators_hear_of_a_late_report(area, tree):
    db.session.delete(next(g for g in area.leader.grants))
    db.session.commit()
    report = raise_one(area, tree)
    act(report.accept_by + timedelta(hours=1), reports.escalate_late_reports)
    assert told(area.moderator, "report.escalated")


def test_the_chain_figures_count_and_time_each_step(area, tree):
    first = raise_one(area, tree)
    act(NOON + timedelta(hours=1), reports.settle_report, first, actor=area.worker, outcome="已修好")
    second = raise_one(area, tree, title="垃圾没人清")
    act(NOON + timedelta(hours=3), reports.accept_report, second, actor=area.worker)
    act(NOON + timedelta(hours=3), reports.dispatch_report, second, actor=area.worker, organisations=[area.company])
    raise_one(area, tree, title="井盖松动", at=NOON + timedelta(days=40))
    figures = reports.chain_figures(tree.fc, NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert (figures["raised"], figures["accepted"], figures["in_time"], figures["settled"],
            figures["dispatched"], figures["done"]) == (2, 2, 1, 1, 1, 1)
    assert figures["median_accept_hours"] == 2 and figures["median_settle_hours"] == 1
    motion = second.motion
    motion.state, motion.completed_at = MotionState.completed, NOON + timedelta(hours=11)
    db.session.commit()
    figures = reports.chain_figures(tree.fc, NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert figures["done"] == 2 and figures["median_settle_hours"] == 6
    assert reports.chain_figures(tree.jm, NOON - timedelta(days=1), NOON + timedelta(days=1))["raised"] == 0


def test_reading_a_grids_reports(area, tree):
    report = raise_one(area, tree)
    assert reports.reports_of_grid(area.micro1, actor=area.worker) == [report]
    assert reports.reports_of_grid(area.large, actor=area.leader) == [report]
    assert reports.reports_of_grid(area.micro2, actor=area.worker2) == []
    with pytest.raises(NotAllowed):
        reports.reports_of_grid(area.micro1, actor=area.resident)
    assert reports.reports_by(area.resident) == [report]


# --- nested grids and their leaders ---------------------------------------------------------

def test_a_large_grid_covers_the_buildings_of_its_micro_grids(area, tree):
    assert area.large.covers(tree.e1) and area.large.covers(tree.b2) and not area.micro1.covers(tree.b2)
    assert [b.id for b in area.large.all_buildings] == [tree.b1.id, tree.b2.id]
    assert permissions.has_role(area.leader, tree.e1, Role.grid_leader)
    assert reports.grid_for(tree.e1) == area.micro1


def test_a_micro_grid_lies_in_a_large_grid_of_its_own_community(area, tree, admin):
    with unit_of_work():
        places.create_grid(tree.fc, "第二网格", [], actor=admin, parent=area.large)
    with pytest.raises(InvalidInput):
        with unit_of_work():
            places.create_grid(tree.fc, "第三网格", [], actor=admin, parent=area.micro1)
    with pytest.raises(Conflict):
        with unit_of_work():
            places.delete_grid(area.large, actor=admin)


def test_a_grid_leader_leads_a_grid_not_a_place(area, tree, admin):
    with pytest.raises(InvalidInput):
        with unit_of_work():
            accounts.grant_role(area.worker, Role.grid_leader, actor=admin, place=tree.b1)
    with unit_of_work():
        grant = accounts.grant_role(area.worker, Role.grid_leader, actor=admin, grid=area.micro2)
    assert grant.grid_id == area.micro2.id
