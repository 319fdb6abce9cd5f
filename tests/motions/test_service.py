"""Motions through their whole loop, with the clock moved by hand: assignment, whistle,
acknowledgement, answers, more time, completion, rating, reopening, follow-up and
escalation."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, permissions
from consult.accounts.models import OrganisationKind
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.motions import service as motions
from consult.motions.models import Answer, MotionState, Raters, Rating, Score
from consult.notifications.models import Notification
from consult.proposals import service as proposals
from consult.proposals.models import Category, ProposalState

from .support import T0, assign, do, organisation

def test_assign_sets_deadlines_per_organisation_kind_and_notifies(area):
    motion = assign(area)
    assert motion.state is MotionState.assigned and not motion.whistle
    assert motion.lead.acknowledge_by == T0 + timedelta(hours=24)
    assert motion.complete_by == T0 + timedelta(days=7)
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == area.manager.id)) \
        == "motion.assigned"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "motion.assign")) == 1


def test_only_moderators_assign_and_only_to_organisations_serving_the_place(area, make_user):
    with pytest.raises(NotAllowed):
        do(motions.assign, area.tree.b1, actor=area.manager, title="x", body="", organisations=[area.company])
    far = organisation(area.tree.jm, OrganisationKind.property_company, "嘉铭物业")
    with pytest.raises(InvalidInput, match="does not serve|不服务"):
        assign(area, orgs=[far])
    with pytest.raises(InvalidInput):
        do(motions.assign, area.tree.b1, actor=area.moderator, title="  ", body="", organisations=[area.company])
    assert db.session.scalar(select(func.count()).select_from(motions.Motion)) == 0


def test_acknowledge_answer_progress_complete_and_the_record(area):
    motion = assign(area)
    clock.advance(hours=3)
    do(motions.acknowledge, motion, actor=area.manager)
    assert motion.state is MotionState.acknowledged and motion.acknowledge_seconds == 3 * 3600
    assert motion.lead.in_time
    with pytest.raises(InvalidTransition):
        do(motions.acknowledge, motion, actor=area.manager)
    with pytest.raises(InvalidInput):
        do(motions.answer, motion, actor=area.manager, answer=Answer.partial, reason="")
    do(motions.answer, motion, actor=area.manager, answer=Answer.partial, reason="先修电梯，外墙另议")
    assert motion.state is MotionState.in_progress and motion.answer is Answer.partial
    do(motions.post_progress, motion, actor=area.manager, body="配件已订购")
    clock.advance(days=2)
    do(motions.complete, motion, actor=area.manager, evidence="电梯已修复并通过检验")
    assert motion.state is MotionState.completed
    assert motion.complete_seconds == 3600 * 51
    assert motion.evaluation_closes_at == clock.utcnow() + timedelta(days=7)
    assert [u.action for u in motion.updates] == ["assign", "acknowledge", "accept_part", "progress", "complete"]


def test_a_responder_of_another_company_can_do_nothing(area):
    motion = assign(area)
    for operation, kw in ((motions.acknowledge, {}), (motions.answer, {"answer": Answer.accept})):
        with pytest.raises(NotAllowed):
            do(operation, motion, actor=area.rival, **kw)
    assert motions.desk(area.other, "new") == []
    assert motions.desk(area.company, "new") == [motion]
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    with pytest.raises(NotAllowed):
        do(motions.post_progress, motion, actor=area.rival, body="x")
    assert not permissions.is_responder(area.rival, motion)


def test_residents_cannot_act_as_responders_or_moderators(area):
    motion = assign(area)
    with pytest.raises(NotAllowed):
        do(motions.acknowledge, motion, actor=area.residents[0])
    with pytest.raises(NotAllowed):
        do(motions.withdraw, motion, actor=area.residents[0], reason="x")


def test_decline_goes_to_the_moderator_who_sends_it_back(area):
    motion = assign(area)
    with pytest.raises(InvalidInput):
        do(motions.answer, motion, actor=area.manager, answer=Answer.decline, reason=" ")
    do(motions.answer, motion, actor=area.manager, answer=Answer.decline, reason="不属于物业职责")
    assert motion.state is MotionState.declined and motion.acknowledged_at == T0
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == area.moderator.id)) \
        == "motion.declined"
    clock.advance(hours=5)
    do(motions.send_back, motion, actor=area.moderator, reason="属于物业服务合同范围", complete_days=3)
    assert motion.state is MotionState.in_progress
    assert motion.complete_by == T0 + timedelta(hours=5, days=3)


def test_more_time_is_asked_and_granted_or_refused_on_the_record(area):
    motion = assign(area)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    with pytest.raises(InvalidInput):
        do(motions.ask_time, motion, actor=area.manager, until=motion.complete_by - timedelta(days=1), reason="x")
    until = motion.complete_by + timedelta(days=5)
    do(motions.ask_time, motion, actor=area.manager, until=until, reason="配件需从厂家订购")
    with pytest.raises(Conflict):
        do(motions.ask_time, motion, actor=area.manager, until=until, reason="again")
    with pytest.raises(NotAllowed):
        do(motions.decide_time, motion, actor=area.manager, grant=True)
    do(motions.decide_time, motion, actor=area.moderator, grant=True)
    assert motion.complete_by == until and motion.extension_until is None
    do(motions.ask_time, motion, actor=area.manager, until=until + timedelta(days=3), reason="再延")
    with pytest.raises(InvalidInput):
        do(motions.decide_time, motion, actor=area.moderator, grant=False, reason="")
    do(motions.decide_time, motion, actor=area.moderator, grant=False, reason="已延期一次")
    assert motion.complete_by == until
    assert [u.action for u in motion.updates][-4:] == ["ask_time", "grant_time", "ask_time", "refuse_time"]


def test_whistle_summons_several_departments_each_reports(area):
    motion = assign(area, place=area.tree.fc, orgs=[area.enforcement, area.station, area.company])
    assert motion.whistle and len(motion.responders) == 3
    clock.advance(hours=2)
    do(motions.acknowledge, motion, actor=area.officer)
    reported = {r.organisation.name: r.acknowledged_at is not None for r in motion.responders}
    assert reported == {"城管执法队": True, "派出所": False, "富成物业": False}
    clock.advance(hours=23)   # 25 h: the two others missed their deadline
    assert motions.follow_up() == 2
    late = {r.organisation.name for r in motion.responders if r.overdue_at}
    assert late == {"派出所", "富成物业"}
    with pytest.raises(NotAllowed, match="城管执法队"):
        do(motions.answer, motion, actor=area.police, answer=Answer.accept)
    do(motions.acknowledge, motion, actor=area.police)
    assert not motion.responders[1].in_time


def rate(motion, who, score, comment=None):
    return do(motions.rate, motion, actor=who, score=score, comment=comment)


def completed(area, **kw):
    motion = assign(area, **kw)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    do(motions.complete, motion, actor=area.manager, evidence="已修复")
    return motion


def test_residents_rate_once_per_household_and_satisfaction_closes_after_the_window(area, make_user):
    motion = completed(area)
    rate(motion, area.residents[0], Score.satisfied, "很快")
    spouse = make_user("配偶", household=area.homes[0])
    with pytest.raises(Conflict):
        rate(motion, area.residents[0], Score.unsatisfied)
    with pytest.raises(Conflict):
        rate(motion, spouse, Score.unsatisfied)
    with pytest.raises(NotAllowed):
        rate(motion, area.manager, Score.satisfied)
    rate(motion, area.residents[1], Score.basically)
    rate(motion, area.residents[2], Score.satisfied)
    summary = motions.ratings_summary(motion)
    assert summary["total"] == 3 and summary["satisfied_share"] == 1
    clock.advance(days=7)
    with pytest.raises(InvalidTransition):
        rate(motion, area.residents[3], Score.satisfied)
    assert motions.follow_up() == 1
    assert motion.state is MotionState.closed and motion.reopened_count == 0


def test_enough_unsatisfied_households_reopen(area):
    motion = completed(area)
    rate(motion, area.residents[0], Score.satisfied)
    rate(motion, area.residents[1], Score.unsatisfied)
    assert motion.state is MotionState.completed    # 1 of 2: fewer ratings than the minimum of 3
    rate(motion, area.residents[2], Score.satisfied)
    assert motion.state is MotionState.reopened     # 1 of 3 = 33% ≥ 30%
    assert motion.reopened_count == 1
    do(motions.send_back, motion, actor=area.moderator, reason="电梯仍有异响")
    do(motions.complete, motion, actor=area.manager, evidence="更换曳引机")
    assert motion.evaluation_round == 2
    rate(motion, area.residents[1], Score.satisfied)   # a new round: the household rates again


def test_the_author_unsatisfied_reopens_at_once_and_the_matter_follows(area, tree):
    author = area.residents[4]
    category = db.session.scalars(select(Category)).first()
    proposal = do(proposals.raise_proposal, tree.b1, actor=author, title="电梯经常停运", body="三天两头坏",
                  category=category)
    motion = completed(area, proposal=proposal, raters=Raters.proposal)
    assert proposal.state is ProposalState.awaiting_evaluation
    with pytest.raises(NotAllowed):
        rate(motion, area.residents[0], Score.satisfied)    # not the author nor a co-signer
    rate(motion, author, Score.unsatisfied, "还是坏")
    assert motion.state is MotionState.reopened and proposal.state is ProposalState.reopened
    do(motions.send_back, motion, actor=area.moderator, reason="请彻底维修")
    assert proposal.state is ProposalState.in_action


def test_a_deadline_missed_before_any_reminder_is_noted_once_and_then_rests(area):
    motion = assign(area)
    clock.advance(days=8)            # both deadlines passed while nothing looked
    assert motions.follow_up() == 2
    assert motion.lead.overdue_at is not None and motion.completion_overdue_at is not None
    assert motion.lead.reminded_at is None and motion.complete_reminded_at is None
    assert not motions.follow_up_due() and motions.follow_up() == 0


def test_two_processes_following_up_at_once_remind_only_once(app, area):
    """One server's follow-up holds its transaction open; another's, running meanwhile,
    must not remind the same responder again (PostgreSQL skips the locked rows, SQLite
    runs the second writer after the first)."""
    motion = assign(area)
    clock.advance(hours=20)
    first_done, second_done, steps = threading.Event(), threading.Event(), {}

    def first():
        with app.app_context():
            with unit_of_work():
                steps["first"] = motions.follow_up()
                first_done.set()
                second_done.wait(timeout=2)     # still holding its rows
            db.session.remove()
    thread = threading.Thread(target=first)
    thread.start()
    assert first_done.wait(timeout=10)
    with unit_of_work():
        steps["second"] = motions.follow_up()
    second_done.set()
    thread.join()
    assert steps == {"first": 1, "second": 0}
    db.session.expire_all()
    reminders = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "motion.reminder"))
    assert reminders == len(motions._responder_people(motion)) > 0
    assert motion.lead.reminded_at is not None


def test_reminder_overdue_and_escalation_up_the_tree_without_repeats(area):
    motion = assign(area)            # building 1 → compound → community → subdistrict
    clock.advance(hours=20)          # 4 h before the acknowledgement deadline
    assert motions.follow_up_due()
    assert motions.follow_up() == 1 and motion.lead.reminded_at is not None
    assert motions.follow_up() == 0 and not motions.follow_up_due()
    clock.advance(hours=5)
    assert motions.follow_up() == 1 and motion.overdue_at is not None
    assert motion.escalation_level == 0
    clock.advance(hours=47)
    assert motions.follow_up() == 0  # within the grace period
    clock.advance(hours=2)
    assert motions.follow_up() == 1
    assert motion.escalation_level == 1 and motion.escalated_to == area.tree.north
    assert motions.follow_up() == 0
    clock.advance(hours=49)
    motions.follow_up()
    assert motion.escalated_to == area.tree.fc
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == area.moderator.id)))
    assert {"motion.overdue", "motion.escalated"} <= kinds
    do(motions.acknowledge, motion, actor=area.manager)
    assert not motion.lead.in_time


def test_completion_deadline_reminder_and_overdue(area):
    motion = assign(area)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    clock.advance(days=7, hours=-3)
    assert motions.follow_up() == 1 and motion.complete_reminded_at is not None
    clock.advance(hours=4)
    assert motions.follow_up() == 1 and motion.completion_overdue_at is not None
    assert motion in motions.desk(area.company, "overdue")
    do(motions.complete, motion, actor=area.manager, evidence="迟了一小时")
    assert motion.updates[-1].detail["in_time"] is False


def test_withdraw_and_the_matter(area, tree):
    category = db.session.scalars(select(Category)).first()
    proposal = do(proposals.raise_proposal, tree.b1, actor=area.residents[0], title="楼道灯", body="不亮",
                  category=category)
    motion = assign(area, proposal=proposal)
    assert proposal.state is ProposalState.in_action
    with pytest.raises(InvalidInput):
        do(motions.withdraw, motion, actor=area.moderator, reason="")
    do(motions.withdraw, motion, actor=area.moderator, reason="重复派单")
    assert motion.state is MotionState.withdrawn
    with pytest.raises(InvalidTransition):
        do(motions.acknowledge, motion, actor=area.manager)


def test_rating_twice_at_the_same_moment_counts_once(area):
    motion = completed(area)
    rate(motion, area.residents[0], Score.satisfied)
    # The database itself refuses a second row for the household and round.
    with pytest.raises(Exception):
        with unit_of_work():
            db.session.add(Rating(motion_id=motion.id, round=1, household_id=area.homes[0].id,
                                  user_id=area.residents[0].id, score=Score.unsatisfied))
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_follow_up_from_the_command_line_and_on_access(area, runner, client, auth):
    motion = assign(area)
    clock.advance(hours=25)
    result = runner.invoke(args=["follow-up"])
    assert result.exit_code == 0 and "1 follow-up steps" in result.output
    db.session.expire_all()
    assert motion.lead.overdue_at is not None
    clock.advance(days=7)   # the completion deadline passes: a page view notices it
    auth.login(area.manager.phone)
    assert client.get("/desk?tab=overdue").status_code == 200
    db.session.expire_all()
    assert motion.completion_overdue_at is not None


def test_a_new_motion_goes_by_default_to_the_usual_responder_or_the_property_company(area):
    tree = area.tree
    # No history: the property company of the nearest place up (the compound), not a department.
    usual = motions.default_organisation(tree.b1)
    assert usual.kind is OrganisationKind.property_company and usual.place_id == tree.north.id
    # A community whose compounds have the companies: one below.
    assert motions.default_organisation(tree.fc).kind is OrganisationKind.property_company
    # History: the organisation that led on this category here before.
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    lamp = do(proposals.raise_proposal, tree.b1, actor=area.residents[0], title="楼道灯", body="不亮",
              category=categories[0])
    do(proposals.triage, lamp, actor=area.moderator, category=categories[0], tier=lamp.tier)
    assign(area, proposal=lamp, orgs=[area.enforcement, area.company])
    assert motions.default_organisation(tree.b1, categories[0]) == area.enforcement
    assert motions.default_organisation(tree.b1, categories[1]).kind is OrganisationKind.property_company
