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
    moderator.get_by_role("button", name="结束并计票").click()
    expect(resident.locator(".room-ballot .verdict")).to_have_text("通过")
    screenshot(resident, "room-phone")
    screenshot(moderator, "room-moderator-phone")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    resident.reload()                                                   # a reload shows the whole state
    expect(resident.locator("#floor")).to_contain_text("王** 正在发言")
    expect(resident.locator(".room-ballot .verdict")).to_have_text("通过")
    moderator.get_by_role("button", name="结束会议").click()
    expect(resident.locator("#meeting-state")).to_have_text("已结束")
    moderator.goto(meeting_url)
    assert not errors, errors
