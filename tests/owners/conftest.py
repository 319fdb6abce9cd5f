from datetime import datetime, timedelta

import pytest

from consult import clock
from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.voting import service as voting
from consult.voting.models import BallotKind, Electorate, Secrecy

T0 = datetime(2026, 3, 2, 2, 0)


@pytest.fixture(autouse=True)
def procedure(app):
    """The whole procedure, as installations run it; a clock the tests move."""
    app.config["OWNERS_PROCEDURE"] = True
    clock.set_now(T0)
    yield
    clock.set_now(None)


@pytest.fixture
def moderator(tree, make_user):
    return make_user("李书记", role=Role.moderator, place=tree.fc)


@pytest.fixture
def administrator(tree, make_user):
    return make_user("张管理员", role=Role.administrator, place=tree.fc)


@pytest.fixture
def building(tree, make_household, make_user):
    """Building 1: three units with an owner each, and a unit without a known owner."""
    units = [make_household(tree.e1, "101", "80.00"), make_household(tree.e1, "102", "90.00"),
             make_household(tree.e2, "201", "100.00"), make_household(tree.e2, "202", "50.00")]
    owners = [make_user(name, household=unit) for name, unit in zip(("王秀英", "赵大山", "钱多多"), units)]
    return type("Building", (), {"units": units, "owners": owners})


def draft(tree, moderator, *, kind=BallotKind.yes_no, options=(), rule="civil_code_278", days=20):
    with unit_of_work():
        return voting.draft_ballot(tree.b1, actor=moderator, question="是否使用维修资金更换电梯？",
                                   electorate=Electorate.owners, secrecy=Secrecy.named, rule=rule, kind=kind,
                                   options=options, opens_at=T0 + timedelta(days=days),
                                   closes_at=T0 + timedelta(days=days + 7))
