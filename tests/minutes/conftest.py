"""A scripted council meeting on building 1 that has ended: the minutes tests start from it."""
from datetime import datetime

import pytest

from consult import clock

from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.motions import service as motions
from consult.voting import service as voting

from tests.meetings.conftest import cast, meeting  # noqa: F401  (the council and its meeting)


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(datetime(2026, 5, 9, 1, 0))    # 09:00 in Shanghai
    yield
    clock.set_now(None)


def run(fn, *args, **kwargs):
    with unit_of_work():
        return fn(*args, **kwargs)


@pytest.fixture
def ended(tree, cast, meeting, make_user):  # noqa: F811
    """Everything a room can do, once: the draft must show each of it."""
    manager = make_user("孙经理", username="manager", role=Role.property_manager, place=tree.fc)
    company = Organisation(place=tree.fc, kind=OrganisationKind.property_company, name="富成物业")
    db.session.add(company)
    db.session.add(OrganisationMember(organisation=company, user=manager))
    db.session.commit()
    first, second = meeting.agenda
    run(meetings.change_state, meeting, "start", actor=cast.moderator)
    run(meetings.sign_in, meeting, actor=cast.wang)
    run(meetings.sign_in, meeting, actor=cast.zhang)
    run(meetings.mark_present, meeting, cast.zhao, actor=cast.moderator)
    run(meetings.sign_in, meeting, actor=cast.expert)
    run(meetings.set_speakers_open, meeting, True, actor=cast.moderator)
    run(meetings.raise_hand, meeting, actor=cast.wang)
    run(meetings.give_floor, meeting, cast.wang, actor=cast.moderator, seconds=120)
    run(meetings.post_statement, meeting, actor=cast.wang, body="一楼住户担心电梯噪音和采光，希望井道放在北侧。")
    run(meetings.post_statement, meeting, actor=cast.wang, body="我的电话13912345678，欢迎联系。")
    rude = run(meetings.post_statement, meeting, actor=cast.zhang, body="广告：低价装修")
    run(meetings.hide_statement, meeting, rude, actor=cast.moderator, reason="与议题无关")
    run(meetings.take_floor, meeting, actor=cast.moderator)
    run(meetings.raise_hand, meeting, actor=cast.zhang)
    run(meetings.lower_hand, meeting, cast.zhang, actor=cast.moderator)
    run(meetings.post_statement, meeting, actor=cast.expert, body="加装电梯须经专有部分面积和人数双三分之二参与表决。")
    ballot = run(meetings.open_ballot, meeting, actor=cast.moderator, question="是否同意北侧加装电梯方案")
    for person in (cast.wang, cast.zhao, cast.expert):
        run(voting.cast, ballot, actor=person, choice="yes")
    run(voting.cast, ballot, actor=cast.zhang, choice="no")
    run(meetings.close_ballot, meeting, ballot, actor=cast.moderator)
    run(meetings.record_decision, meeting, first, actor=cast.moderator, text="采用北侧方案，报街道审批")
    run(meetings.set_item, meeting, second, actor=cast.moderator)
    run(meetings.post_statement, meeting, actor=cast.zhao, body="费用按楼层分摊，高层多出。")
    run(meetings.record_decision, meeting, second, actor=cast.moderator, text="一楼不出资，二楼以上按楼层系数分摊")
    run(meetings.raise_hand, meeting, actor=cast.zhang)
    run(meetings.lower_all_hands, meeting, actor=cast.moderator)
    run(meetings.change_state, meeting, "pause", actor=cast.moderator)
    run(meetings.change_state, meeting, "resume", actor=cast.moderator)
    run(motions.assign, tree.b1, actor=cast.moderator, title="提交加装电梯审批材料", body="按北侧方案准备材料",
        organisations=[company], meeting=meeting)
    run(meetings.change_state, meeting, "end", actor=cast.moderator)
    return type("Ended", (), dict(meeting=meeting, cast=cast, ballot=ballot, company=company, manager=manager))
