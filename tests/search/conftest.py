"""Search fixtures: people around the small area of ``tree`` and quick ways to write the
records that are searched, each in a transaction of its own like a page's action."""
from datetime import datetime

import pytest
from sqlalchemy import select

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.proposals.models import Category, Proposal, ProposalState, Tier

T0 = datetime(2025, 6, 1, 2, 0)   # 10:00 in Shanghai


@pytest.fixture
def people(tree, make_user, make_household):
    """Residents of building 1 (two entrances), of building 2 and of the next community's
    building 8; the community's moderator, building 2's leader and the compound's property
    manager."""
    return type("People", (), dict(
        moderator=make_user("李书记", phone="13900000010", role=Role.moderator, place=tree.fc),
        wang=make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101")),
        zhang=make_user("张建国", phone="13900000002", household=make_household(tree.e2, "201")),
        liu=make_user("刘先生", phone="13900000003", household=make_household(tree.b2, "101")),
        chen=make_user("陈阿姨", phone="13900000004", household=make_household(tree.jb, "301")),
        leader=make_user("楼门长", phone="13900000005", role=Role.building_leader, place=tree.b2),
        manager=make_user("物业赵经理", phone="13900000006", role=Role.property_manager, place=tree.north),
    ))


@pytest.fixture
def propose(people):
    category = db.session.scalars(select(Category).order_by(Category.id)).first()

    def make(place, title, body="", *, author=None, at=T0, tier=Tier.home, state=ProposalState.submitted) -> Proposal:
        with unit_of_work():
            proposal = Proposal(place_id=place.id, title=title, body=body, category_id=category.id, tier=tier,
                                state=state, author_id=(author or people.wang).id, created_at=at, updated_at=at)
            db.session.add(proposal)
        return proposal
    return make
