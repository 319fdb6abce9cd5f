"""A moderator schedules and runs a council; a resident takes part from a phone: the floor
and a named ballot's tally reach the resident's page without reloading."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_council_with_floor_and_live_tally(browser, live_server, phone_page):
    from consult.clock import utcnow

    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    errors = []
    moderator.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto("/places/")
    moderator.get_by_role("link", name="大屯街道").click()
    moderator.get_by_role("link", name="富成花园社区").click()
    moderator.get_by_role("link", name="3号楼", exact=True).click()
    moderator.get_by_role("link", name="3号楼的会议").click()
    moderator.get_by_role("link", name="安排会议").click()
    moderator.get_by_label("会议名称").fill("3号楼充电桩协商会")
    moderator.get_by_label("形式").select_option(label="线上")
    moderator.get_by_label("开始时间").fill((utcnow() + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M"))
    moderator.get_by_label("邀请该地所有居民").check()
    moderator.get_by_label("其他议程事项，每行一个").fill("充电桩选址\n收费办法")
    moderator.get_by_role("button", name="安排并发出邀请").click()
    expect(moderator.locator(".flash-success")).to_contain_text("会议已安排")
    meeting_url = moderator.url
    moderator.get_by_role("link", name="进入会议室").click()
    expect(moderator.locator("#connection")).to_have_text("已连接")
    expect(moderator.locator("#current-item")).to_contain_text("第一项议程: 充电桩选址")    # before the start
    expect(moderator.locator("#current-item")).not_to_contain_text("还没有议程事项")
    moderator.get_by_role("button", name="开始会议").click()
    expect(moderator.locator("#meeting-state")).to_have_text("进行中")

    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    resident.get_by_role("link", name="会议", exact=True).click()
    resident.get_by_role("link", name="3号楼充电桩协商会").click()
    resident.get_by_role("link", name="进入会议室").click()
    expect(resident.locator("#connection")).to_have_text("已连接")
    expect(resident.locator("#current-item")).to_contain_text("充电桩选址")
    expect(moderator.locator("#attendance")).to_contain_text("王**")      # signed in by entering

    moderator.get_by_role("button", name="开放发言申请").click()
    resident.get_by_role("button", name="举手发言").click()
    expect(moderator.locator("#hands")).to_contain_text("王**")
    moderator.locator("input.seconds").fill("90")
    moderator.get_by_role("button", name="请其发言").click()
    expect(resident.locator("#floor")).to_contain_text("王** 正在发言")
    expect(resident.locator("#floor .timer")).to_contain_text("剩余")

    resident.locator("#statement-body").fill("建议装在地面停车场东侧。")
    resident.get_by_role("button", name="发送").click()
    expect(moderator.locator("#statements")).to_contain_text("建议装在地面停车场东侧")

    moderator.locator("#ballot-form-box summary").click()
    moderator.get_by_label("表决事项").fill("是否同意装在东侧？")
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(resident.locator(".room-ballot")).to_contain_text("是否同意装在东侧")
    resident.locator(".cast-form").get_by_label("赞成", exact=True).check()
    screenshot(resident, "room-ballot-phone")
    resident.locator(".cast-form").get_by_role("button", name="投票").click()
    expect(resident.locator(".room-ballot")).to_contain_text("您已投票")
    expect(moderator.locator(".room-ballot .tally")).to_contain_text("赞成 1")      # the live tally
    expect(moderator.locator(".room-ballot .turnout")).to_contain_text("1 / 2")
    moderator.locator(".room-ballot").get_by_role("button", name="结束并计票").click()
    dialog = moderator.locator("#room-confirm")                        # it asks first
    expect(dialog).to_contain_text("此操作无法撤销")
    expect(dialog).to_contain_text("是否同意装在东侧")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(moderator.locator(".room-ballot .turnout")).to_contain_text("1 / 2")     # still open
    moderator.locator(".room-ballot").get_by_role("button", name="结束并计票").click()
    dialog.get_by_role("button", name="结束并计票").click()
    expect(resident.locator(".room-ballot .verdict")).to_have_text("通过")
    screenshot(resident, "room-phone")
    screenshot(moderator, "room-moderator-phone")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    resident.reload()                                                   # a reload shows the whole state
    expect(resident.locator("#floor")).to_contain_text("王** 正在发言")
    expect(resident.locator(".room-ballot .verdict")).to_have_text("通过")
    moderator.locator("#state-buttons").get_by_role("button", name="结束会议").click()
    expect(moderator.locator("#room-confirm")).to_contain_text("会议结束后不能恢复")
    moderator.locator("#room-confirm").get_by_role("button", name="结束会议").click()
    expect(resident.locator("#meeting-state")).to_have_text("已结束")
    expect(resident.locator("#statement-form")).to_be_hidden()          # nothing more to post
    moderator.goto(meeting_url)
    assert not errors, errors


def _schedule_council(database) -> tuple[int, int]:
    """A hybrid council of 3号楼 with its residents and the grid worker invited, scheduled
    directly in the database: (meeting id, first item id)."""
    from consult import create_app
    from consult.accounts.models import User
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.places.models import Place
    from sqlalchemy import select
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{database}"))
    with app.app_context(), app.test_request_context():
        with unit_of_work():
            moderator = db.session.scalar(select(User).where(User.username == "moderator"))
            grid = db.session.scalar(select(User).where(User.username == "grid"))
            building = db.session.scalar(select(Place).where(Place.name == "3号楼"))
            meeting = meetings.schedule(building, actor=moderator, title="3号楼停车协商会", kind=MeetingKind.circle,
                                        form=MeetingForm.hybrid, location="活动室",
                                        starts_at=utcnow() + timedelta(hours=1), invite_residents=True,
                                        people=[grid], free_items=["停车位划线", "收费办法"])
        ids = meeting.id, meeting.agenda[0].id, meeting.agenda[1].id
        db.engine.dispose()
    return ids


def test_what_people_type_survives_the_room_s_events(browser, e2e_database):
    """While ≥50 events and tallies arrive, the moderator's decision and sign-in fields keep
    what was typed (and the focus), the resident's chosen option stays chosen; what was
    typed and chosen is what gets submitted."""
    import socketio

    from tests.live import LiveServer
    from tests.live import sign_in as http_sign_in

    path, _code = e2e_database
    meeting_id, first_item, second_item = _schedule_council(path)
    server = LiveServer(path, name="room-events", env={
        "ROOM_ACTIONS_PER_SECOND": "1000", "ROOM_PERSON_ACTIONS_PER_SECOND": "1000",
        "ROOM_STATEMENTS_PER_MINUTE": "1000", "ROOM_HANDS_PER_MINUTE": "1000"})
    contexts = []
    try:
        pages = []
        for login, password in (("moderator", "moderator password"), ("13912340077", "resident password")):
            context = browser.new_context(viewport=PHONE, base_url=server.url)
            contexts.append(context)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            sign_in(page, login, password)
            page.goto(f"/meetings/{meeting_id}/room")
            expect(page.locator("#connection")).to_have_text("已连接")
            pages.append((page, errors))
        (moderator, moderator_errors), (resident, resident_errors) = pages

        # Another moderator's phone, driving the room from a script.
        http = http_sign_in(server.url, "moderator", "moderator password")
        robot = socketio.Client(reconnection=False)
        robot.connect(server.url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                      transports=["websocket"], auth={"meeting": meeting_id, "last_seq": 0}, wait_timeout=10)
        act = lambda action, **data: robot.call("act", {"action": action, **data}, timeout=10)  # noqa: E731
        assert act("sign_in")["ok"] and act("start")["ok"]
        expect(resident.locator("#meeting-state")).to_have_text("进行中")
        ballot = act("ballot_open", question="划线方案选哪个？", kind="single", rule="plurality",
                     options=["甲方案", "乙方案", "丙方案"])
        assert ballot["ok"], ballot

        moderator.locator(".decision-form button[type=submit]").click()          # nothing written yet
        expect(moderator.locator(".decision-form .form-error")).to_contain_text("2000")  # said beside the form
        resident.locator(".cast-form").get_by_label("乙方案").check()
        moderator.locator("#present-handle").fill("13912340088")
        decision = moderator.locator("#decision-text")
        decision.fill("同意按乙方案划线，物业两周内完成。")
        decision.focus()
        received = [page.evaluate("window.consultRoom.received") for page in (moderator, resident)]

        for n in range(20):
            assert act("speakers", open=n % 2 == 0)["ok"]
            if n % 5 == 4:
                assert act("item", item=second_item if n % 10 == 4 else first_item)["ok"]
            if n % 4 == 0:
                assert act("statement", body=f"第{n}条意见")["ok"]
        assert act("cast", ballot=ballot["ballot"], choice="1")["ok"]        # a tally for everyone
        for n in range(20):
            assert act("speakers", open=n % 2 == 0)["ok"]
        for page, before in zip((moderator, resident), received):
            page.wait_for_function(f"window.consultRoom.received >= {before + 50}", timeout=20_000)

        expect(decision).to_have_value("同意按乙方案划线，物业两周内完成。")
        assert moderator.evaluate("document.activeElement && document.activeElement.id") == "decision-text"
        expect(moderator.locator("#present-handle")).to_have_value("13912340088")
        expect(resident.locator(".cast-form").get_by_label("乙方案")).to_be_checked()

        expect(moderator.locator(".decision-form .form-error")).to_be_visible()      # still there
        moderator.locator(".decision-form button[type=submit]").click()
        expect(moderator.locator("#agenda")).to_contain_text("同意按乙方案划线")
        expect(moderator.locator(".decision-form .form-error")).to_be_hidden()
        moderator.locator(".present-form button[type=submit]").click()
        expect(moderator.locator("#attendance")).to_contain_text("赵**")
        resident.locator(".cast-form button[type=submit]").click()
        expect(resident.locator(".room-ballot")).to_contain_text("您已投票")
        robot.disconnect()
        assert not moderator_errors and not resident_errors, (moderator_errors, resident_errors)
    finally:
        for context in contexts:
            context.close()
        server.stop()
