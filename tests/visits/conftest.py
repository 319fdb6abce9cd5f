import pytest

from consult.accounts.models import Role


@pytest.fixture
def area(tree, make_household, make_user):
    h101 = make_household(tree.e1, "101")
    h102 = make_household(tree.e1, "102")
    h201 = make_household(tree.b2, "201")
    return type("Area", (), dict(
        h101=h101, h102=h102, h201=h201,
        resident=make_user("居民", phone="13900000001", household=h101),
        neighbour=make_user("邻居", phone="13900000002", household=h102),
        grid=make_user("网格员", username="grid", role=Role.grid_worker, place=tree.b1),
        leader=make_user("楼门长", username="leader", role=Role.building_leader, place=tree.b2),
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))
