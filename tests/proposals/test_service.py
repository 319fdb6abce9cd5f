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
