import pytest

from consult.accounts.models import Role


@pytest.fixture
def area(tree, make_household, make_user):
    homes = [make_household(tree.e1, f"{n}01") for n in (1, 2, 3)]
    return type("Area", (), dict(
        residents=[make_user(f"居民{n}", phone=f"1390000000{n}", household=h) for n, h in enumerate(homes, 1)],
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))
