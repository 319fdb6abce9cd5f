import pytest

from consult.accounts.models import Role


@pytest.fixture
def folks(tree, make_household, make_user):
    return type("Folks", (), dict(
        author=make_user("老人", phone="13900000001", household=make_household(tree.e1, "101")),
        volunteer=make_user("志愿者", phone="13900000002", household=make_household(tree.b2, "201")),
        other=make_user("另一位志愿者", phone="13900000003", household=make_household(tree.b2, "202")),
        stranger=make_user("外社区居民", phone="13900000009", household=make_household(tree.jb, "801")),
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))
