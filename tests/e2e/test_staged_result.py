"""An owners' decision after the vote, on phones: the preliminary result with the per-unit
record, an owner's objection to an entry, the moderator's answer on the record, and the
final result announced once the objection period is over."""
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(e2e_database):
    """An installation that runs owners' ballots without the register and notice stages
    (``OWNERS_PROCEDURE=0``): this test starts at the vote; tests/e2e/test_owners.py walks
    the stages before it."""
    server = LiveServer(e2e_database[0], name="no-procedure", env={"OWNERS_PROCEDURE": "0"})
    yield server
    server.stop()


def test_preliminary_result_objection_answer_final(browser, live_server, phone_page, e2e_database):
    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto("/places/")
    moderator.get_by_role("link", name="大屯街道").click()
    moderator.get_by_role("link", name="富成花园社区").click()
    moderator.get_by_role("link", name="3号楼", exact=True).click()
    moderator.get_by_role("link", name="3号楼的投票").click()
    moderator.get_by_role("link", name="发起投票").click()
    moderator.get_by_label("表决事项").fill("是否同意使用维修资金更换3号楼电梯？")
    moderator.locator("select[name=rule]").select_option("civil_code_278")
    moderator.locator("select[name=electorate]").select_option("owners")
    moderator.get_by_role("button", name="保存草稿").click()
    expect(moderator.locator(".settings")).to_contain_text("未参与表决的业主不计入多数")
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(moderator.locator(".meta")).to_contain_text("投票中")
    ballot_url = moderator.url
    ballot_id = int(ballot_url.rstrip("/").rsplit("/", 1)[1])

    owner = phone_page
    sign_in(owner, "13912340077", "resident password")
    owner.goto(ballot_url)
    expect(owner.locator(".participation")).to_contain_text("按面积：已参与 0.0%")
    owner.get_by_label("赞成", exact=True).check()
    owner.get_by_role("button", name="投票", exact=True).click()
    expect(owner.locator(".voted")).to_contain_text("您已投票")
    expect(owner.locator(".participation")).to_contain_text("按人数：已参与")

    moderator.reload()
    moderator.get_by_role("button", name="结束并计票").click()
    moderator.get_by_role("button", name="是的，确定").click()
    expect(moderator.locator(".stage")).to_contain_text("这是初步结果")

    # The owner reads the per-unit record and objects to their own entry.
    owner.reload()
    expect(owner.locator(".result h2")).to_contain_text("初步结果")
    owner.get_by_role("link", name="表决记录和异议").click()
    entry = owner.locator(".entry", has_text="503")
    expect(entry).to_contain_text("72.10")
    expect(entry).to_contain_text("赞成")
    expect(owner.locator(".entries")).not_to_contain_text("王大爷")
    entry.get_by_text("对这一条提出异议").click()
    entry.get_by_label("这条记录有什么问题").fill("本户面积应为72.60平方米，见不动产权证")
    screenshot(owner, "staged-result-objection-phone")
    entry.get_by_role("button", name="提交异议").click()
    expect(owner.locator(".flash-success")).to_contain_text("您的异议已记录")
    expect(owner.locator(".objections")).to_contain_text("待答复")
    assert owner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The moderator upholds it on the record, with the correction of the entry.
    moderator.goto(f"/ballots/{ballot_id}/record")
    objection = moderator.locator(".objection", has_text="本户面积应为")
    objection.get_by_label("答复", exact=True).select_option("upheld")
    objection.get_by_label("理由（记录在案）").fill("核对不动产权证，面积为72.60平方米")
    objection.get_by_label("更正该记录（异议成立，记名投票）").select_option("area")
    objection.get_by_label("更正后的面积（平方米）").fill("72.60")
    objection.get_by_role("button", name="书面答复").click()
    expect(moderator.locator(".flash-success")).to_contain_text("答复已记录在案")
    expect(moderator.locator(".objections")).to_contain_text("面积更正为 72.60 平方米")
    screenshot(moderator, "staged-result-answer-phone")

    # The objection period ends (moved here instead of waiting seven days): the next view
    # of the ballot announces the final result, recounted with the correction.
    with sqlite3.connect(e2e_database[0]) as db:
        db.execute("UPDATE ballots SET objections_until = '2000-01-01 00:00:00.000000' WHERE id = ?", (ballot_id,))
    owner.goto(ballot_url)
    expect(owner.locator(".stage")).to_contain_text("最终结果")
    expect(owner.locator(".result h2")).to_contain_text("最终结果")
    expect(owner.locator(".corrections")).to_contain_text("面积更正为 72.60 平方米")
    expect(owner.locator(".result .explanation")).to_contain_text("1 条记录经异议更正")
    expect(owner.get_by_role("link", name="可打印的公告（PDF）")).to_be_visible()
    screenshot(owner, "staged-result-final-phone")
    assert owner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    moderator.goto(ballot_url)
    moderator.get_by_role("link", name="程序合规核查").click()
    expect(moderator.locator(".requirements")).to_contain_text("最终结果已公告")
    with moderator.expect_download() as download:
        moderator.get_by_role("link", name="下载证据包（zip）").click()
    assert download.value.suggested_filename == f"ballot-{ballot_id}-evidence.zip"
