import pytest

from consult.accounts.models import Role
from consult.places.models import Relation


@pytest.fixture
def people(tree, make_household, make_user):
    h101 = make_household(tree.e1, "101")
    return type("People", (), dict(
        h101=h101,
        owner=make_user("业主", phone="13900000001", household=h101),
        spouse=make_user("家属", phone="13900000003", household=h101, relation=Relation.family),
        neighbour=make_user("邻居", phone="13900000002", household=make_household(tree.b2, "201")),
        stranger=make_user("外社区居民", phone="13900000009", household=make_household(tree.jb, "801")),
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
        grid=make_user("网格员", username="grid", role=Role.grid_worker, place=tree.b1),
    ))
