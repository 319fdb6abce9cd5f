from datetime import timedelta

import pytest

from consult.accounts.models import Role
from consult.clock import utcnow
from consult.database import unit_of_work
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum


@pytest.fixture
def cast(tree, make_household, make_user):
    """The people of a circle council on building 1."""
    return type("Cast", (), dict(
        moderator=make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc),
        wang=make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101")),
        zhang=make_user("张建国", phone="13900000002", household=make_household(tree.e1, "102")),
        zhao=make_user("赵大妈", phone="13900000003", household=make_household(tree.e2, "201")),
        outsider=make_user("刘先生", phone="13900000004", household=make_household(tree.b2, "101")),
        expert=make_user("周律师", phone="13900000009", role=Role.expert, place=tree.sub),
    ))


@pytest.fixture
def meeting(tree, cast):
    with unit_of_work():
        return meetings.schedule(tree.b1, actor=cast.moderator, title="1号楼加装电梯协商会", kind=MeetingKind.circle,
                                 form=MeetingForm.hybrid, starts_at=utcnow() + timedelta(days=1), location="社区议事厅",
                                 quorum=Quorum.half, invite_residents=True, people=[cast.expert],
                                 free_items=["加装电梯方案", "费用分摊"])


def run(fn, *args, **kwargs):
    """One room action as one transaction, like the transport."""
    with unit_of_work():
        return fn(*args, **kwargs)
