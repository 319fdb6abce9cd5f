import threading

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.proposals import service as proposals
from consult.proposals.lifecycle import TRANSITIONS
from consult.places.models import Relation
from consult.proposals.models import Category, CoSignature, Proposal, ProposalState, Tier


@pytest.fixture
def category(app):
    return db.session.scalar(select(Category).order_by(Category.position))


@pytest.fixture
def people(tree, make_household, make_user):
    h1, h2 = make_household(tree.e1, "101"), make_household(tree.e1, "102")
    return type("People", (), dict(
        author=make_user("王秀英", household=h1),
        spouse=make_user("王先生", household=h1),
        neighbour=make_user("张建国", household=h2),
        outsider=make_user("嘉铭居民", household=make_household(tree.jb, "101")),
        moderator=make_user("李书记", role=Role.moderator, place=tree.fc),
        leader=make_user("赵楼长", role=Role.building_leader, place=tree.b1),
        h1=h1, h2=h2,
    ))


def raise_one(tree, people, category, **kw):
    place = kw.pop("place", tree.b1)
    data = dict(actor=people.author, title="1号楼电梯经常停运", body="**电梯**又坏了", category=category)
    data.update(kw)
    with unit_of_work():
        return proposals.raise_proposal(place, **data)


def test_default_categories_are_seeded(app):
    names = db.session.scalars(select(Category.name_zh).order_by(Category.position)).all()
    assert names[:3] == ["环境卫生", "安全隐患", "物业服务"] and len(names) == 8


def test_resident_raises_in_their_building(tree, people, category):
    p = raise_one(tree, people, category)
    assert p.state is ProposalState.submitted and p.tier is Tier.home and p.author is people.author
    assert [e.action for e in p.events] == ["raise"] and not p.on_behalf


def test_resident_cannot_raise_elsewhere(tree, people, category):
    with pytest.raises(NotAllowed):
        raise_one(tree, people, category, place=tree.jb)


def test_leader_raises_on_behalf_of_a_resident(tree, people, category):
    p = raise_one(tree, people, category, actor=people.leader, on_behalf_of=people.neighbour)
    assert p.author is people.neighbour and p.entered_by_id == people.leader.id and p.on_behalf
    assert p.events[0].detail["on_behalf_of"] == people.neighbour.id


def test_resident_cannot_raise_on_behalf(tree, people, category):
    with pytest.raises(NotAllowed):
        raise_one(tree, people, category, on_behalf_of=people.neighbour)


@pytest.mark.parametrize("field, value", [("title", ""), ("title", "题" * 101), ("body", " "), ("body", "字" * 5001)])
def test_bad_input_raises_nothing(tree, people, category, field, value):
    with pytest.raises(InvalidInput):
        raise_one(tree, people, category, **{field: value})
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_cosign_once_per_household(tree, people, category):
    p = raise_one(tree, people, category)
    with unit_of_work():
        proposals.cosign(p, actor=people.neighbour)
    with pytest.raises(Conflict):
        with unit_of_work():
            proposals.cosign(p, actor=people.neighbour)
    with pytest.raises(Conflict):  # the author's household raised it
        proposals.cosign(p, actor=people.author)
    with pytest.raises(NotAllowed):
        proposals.cosign(p, actor=people.outsider)
    db.session.rollback()
    assert p.cosign_count == 1


def test_cosign_of_one_household_from_two_members_at_once(app, tree, people, category, make_user):
    """Two members of one household press the button at the same moment: one signature."""
    p = raise_one(tree, people, category)
    a = make_user("孙甲", household=people.h2, relation=Relation.family)
    barrier = threading.Barrier(2)
    outcomes = []

    def sign(user_id):
        with app.app_context():
            from consult.accounts.models import User

            user = db.session.get(User, user_id)
            proposal = db.session.get(Proposal, p.id)
            barrier.wait()
            try:
                with unit_of_work():
                    proposals.cosign(proposal, actor=user)
                outcomes.append("signed")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=(uid,)) for uid in (people.neighbour.id, a.id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()   # end the test's own snapshot, to read what the threads committed
    assert sorted(outcomes) == ["conflict", "signed"]
    assert db.session.scalar(select(func.count()).select_from(CoSignature)) == 1


def test_comment_and_hide_with_reason(tree, people, category):
    p = raise_one(tree, people, category)
    with unit_of_work():
        c = proposals.comment(p, actor=people.neighbour, body="同意，电梯太旧了")
    with pytest.raises(NotAllowed):
        proposals.hide_comment(c, actor=people.author, reason="不喜欢")
    with pytest.raises(InvalidInput):
        proposals.hide_comment(c, actor=people.moderator, reason="")
    with unit_of_work():
        proposals.hide_comment(c, actor=people.moderator, reason="含有人身攻击")
    assert c.hidden_reason == "含有人身攻击"
    with pytest.raises(NotAllowed):
        proposals.comment(p, actor=people.outsider, body="路过")


def test_triage_sets_tier_and_category(tree, people, category):
    p = raise_one(tree, people, category)
    other = db.session.scalars(select(Category).order_by(Category.position.desc())).first()
    with unit_of_work():
        proposals.triage(p, actor=people.moderator, category=other, tier=Tier.circle)
    assert (p.state, p.tier, p.category) == (ProposalState.accepted, Tier.circle, other)
    assert p.events[-1].action == "triage" and p.events[-1].from_state == "submitted"


@pytest.mark.parametrize("action", ["answer", "refer", "decline"])
def test_settling_actions_need_a_reason(tree, people, category, action):
    p = raise_one(tree, people, category)
    with pytest.raises(InvalidInput):
        proposals.transition(p, action, actor=people.moderator, reason="  ")
    db.session.rollback()
    with unit_of_work():
        proposals.transition(p, action, actor=people.moderator, reason="已转12345热线")
    assert p.state is TRANSITIONS[action].target and p.events[-1].reason == "已转12345热线"


@pytest.mark.parametrize("actor", ["author", "neighbour", "leader"])
def test_only_moderators_triage(tree, people, category, actor):
    p = raise_one(tree, people, category)
    with pytest.raises(NotAllowed):
        proposals.transition(p, "decline", actor=getattr(people, actor), reason="x")
    db.session.rollback()
    assert db.session.get(Proposal, p.id).state is ProposalState.submitted


def test_illegal_transition_is_refused(tree, people, category):
    p = raise_one(tree, people, category)
    with pytest.raises(InvalidTransition):
        proposals.transition(p, "close", actor=people.moderator)
    with pytest.raises(InvalidTransition):
        proposals.transition(p, "no-such-action", actor=people.moderator)


@pytest.mark.parametrize("state", list(ProposalState))
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_table(tree, people, category, state, action):
    """Every action from every state: allowed exactly where the table says so."""
    p = raise_one(tree, people, category)
    p.state = state
    db.session.commit()
    step = TRANSITIONS[action]
    if state in step.sources:
        with unit_of_work():
            if action == "escalate":
                proposals.escalate(p, actor=people.moderator, reason="需要社区协调", place=tree.fc)
            else:
                proposals.transition(p, action, actor=people.moderator, reason="理由")
        assert p.state is (step.target or state)
    else:
        with pytest.raises(InvalidTransition):
            proposals.transition(p, action, actor=people.moderator, reason="理由")


def test_escalate_up_the_tier_and_the_tree(tree, people, category, make_user):
    p = raise_one(tree, people, category)
    with unit_of_work():
        proposals.escalate(p, actor=people.moderator, reason="涉及全楼", tier=Tier.circle)
    with unit_of_work():
        proposals.escalate(p, actor=people.moderator, reason="需要物业和社区", tier=Tier.platform, place=tree.fc)
    assert (p.tier, p.place) == (Tier.platform, tree.fc)
    path = [(e.detail.get("from_place_name"), e.detail.get("to_place_name")) for e in p.events if e.action == "escalate"]
    assert path == [("1号楼", "1号楼"), ("1号楼", "富成花园社区")]
    with pytest.raises(InvalidInput):
        proposals.escalate(p, actor=people.moderator, reason="x", tier=Tier.home)
    with pytest.raises(InvalidInput):
        proposals.escalate(p, actor=people.moderator, reason="x", place=tree.jm)


def test_list_includes_places_below_and_filters(tree, people, category):
    raise_one(tree, people, category)
    raise_one(tree, people, category, title="小区停车难", place=tree.north)
    rows, total = proposals.proposals_in(tree.fc)
    assert total == 2 and rows[0].title == "小区停车难"
    assert proposals.proposals_in(tree.b1)[1] == 1
    assert proposals.proposals_in(tree.jm)[1] == 0
    assert proposals.proposals_in(tree.fc, state=ProposalState.accepted)[1] == 0


def test_waiting_for_lists_untriaged_matters_in_moderated_places(tree, people, category, make_user):
    p = raise_one(tree, people, category)
    other_moderator = make_user("嘉铭主持人", role=Role.moderator, place=tree.jm)
    assert proposals.waiting_for(people.moderator) == [p]
    assert proposals.waiting_for(other_moderator) == []
    assert proposals.waiting_for(people.author) == []
    with unit_of_work():
        proposals.triage(p, actor=people.moderator, category=category, tier=Tier.home)
    assert proposals.waiting_for(people.moderator) == []


def test_overdue_triage(tree, people, category):
    from datetime import timedelta

    p = raise_one(tree, people, category)
    assert not proposals.is_overdue(p, 3)
    p.updated_at -= timedelta(days=4)
    assert proposals.is_overdue(p, 3)


def test_merge_carries_cosigners_and_comments_over(tree, people, category, make_household, make_user):
    survivor = raise_one(tree, people, category, title="电梯停运")
    duplicate = raise_one(tree, people, category, actor=people.neighbour, title="电梯又坏了")
    third = make_user("钱阿姨", household=make_household(tree.e2, "201"))
    with unit_of_work():
        proposals.cosign(duplicate, actor=third)
        proposals.cosign(duplicate, actor=people.author)  # already the survivor's author household
        proposals.comment(duplicate, actor=third, body="我家也是")
    with unit_of_work():
        proposals.merge(duplicate, survivor, actor=people.moderator, reason="同一部电梯")
    assert duplicate.state is ProposalState.merged and duplicate.merged_into is survivor
    households = set(db.session.scalars(select(CoSignature.household_id).where(CoSignature.proposal_id == survivor.id)))
    assert households == {people.h2.id, third.memberships[0].household_id}  # the duplicate's author, and 钱阿姨
    assert survivor.cosign_count == 2 and duplicate.cosign_count == 0
    assert [c.body for c in survivor.comments] == ["我家也是"]
    assert survivor.events[-1].action == "merged_in" and duplicate.events[-1].detail["into"] == survivor.id


def test_merge_into_itself_or_a_closed_matter_is_refused(tree, people, category):
    p = raise_one(tree, people, category)
    q = raise_one(tree, people, category, title="另一件")
    with pytest.raises(InvalidInput):
        proposals.merge(p, p, actor=people.moderator, reason="x")
    q.state = ProposalState.closed
    with pytest.raises(InvalidInput):
        proposals.merge(p, q, actor=people.moderator, reason="x")


def test_call_gathers_proposals_until_its_deadline(tree, people, category):
    from datetime import timedelta

    from consult.clock import utcnow

    with unit_of_work():
        call = proposals.open_call(tree.fc, actor=people.moderator, title="回家营造——我的家园我建设",
                                   description="", closes_at=utcnow() + timedelta(days=7))
    p = raise_one(tree, people, category, call=call)
    assert p.call is call and proposals.calls_for(tree.e1, open_only=True) == [call]
    assert proposals.proposals_in(tree.fc, call_id=call.id)[1] == 1
    call.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(InvalidInput):
        raise_one(tree, people, category, call=call)
    assert proposals.calls_for(tree.e1, open_only=True) == []


def test_call_needs_a_moderator_and_a_future_deadline(tree, people):
    from datetime import timedelta

    from consult.clock import utcnow

    with pytest.raises(NotAllowed):
        proposals.open_call(tree.fc, actor=people.author, title="每月一题", description="",
                            closes_at=utcnow() + timedelta(days=7))
    with pytest.raises(InvalidInput):
        proposals.open_call(tree.fc, actor=people.moderator, title="每月一题", description="",
                            closes_at=utcnow() - timedelta(days=1))


def test_residents_report_comments(tree, people, category):
    p = raise_one(tree, people, category)
    c = proposals.comment(p, actor=people.neighbour, body="骂人的话")
    proposals.report_comment(c, actor=people.author)
    assert c.reported_count == 1
    with pytest.raises(InvalidInput):
        proposals.report_comment(c, actor=people.neighbour)


@pytest.mark.parametrize("role", [Role.building_leader, Role.grid_worker, Role.property_manager,
                                  Role.committee_member, Role.department_rep, Role.expert,
                                  Role.moderator, Role.administrator])
@pytest.mark.parametrize("action", ["answer", "refer", "decline", "deliberate", "merge"])
def test_role_table_for_triage_actions(tree, people, category, make_user, role, action):
    """Each role, held in the community, against each action that starts from 'accepted'."""
    from consult.permissions import can_transition

    p = raise_one(tree, people, category)
    p.state = ProposalState.accepted
    user = make_user("某人", role=role, place=tree.fc)
    assert can_transition(user, p, action) is (role in TRANSITIONS[action].who)
    assert not can_transition(people.author, p, action)


def test_triage_moves_a_matter_to_the_place_it_belongs_to(tree, people, category):
    p = raise_one(tree, people, category)  # raised in 1号楼, but concerns the whole compound
    assert tree.north in proposals.triage_places(p, people.moderator)
    assert tree.jm not in proposals.triage_places(p, people.moderator)
    with unit_of_work():
        proposals.triage(p, actor=people.moderator, category=category, tier=Tier.circle, place=tree.north)
    assert p.place is tree.north and p.events[-1].detail["to_place_name"] == "富成花园北区"
    q = raise_one(tree, people, category)
    with pytest.raises(NotAllowed):
        proposals.triage(q, actor=people.moderator, category=category, tier=Tier.home, place=tree.jb)
