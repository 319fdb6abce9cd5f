"""A moderator runs a building's ballot; a resident votes on a phone; a grid worker enters
an elderly owner's signed paper ballot; everyone reads the explained result."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_building_ballot_online_and_on_paper(browser, live_server, phone_page, tmp_path):
    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto("/places/")
    moderator.get_by_role("link", name="大屯街道").click()
    moderator.get_by_role("link", name="富成花园社区").click()
    moderator.get_by_role("link", name="3号楼", exact=True).click()
    moderator.get_by_role("link", name="3号楼的投票").click()
    moderator.get_by_role("link", name="发起投票").click()
    moderator.get_by_label("表决事项").fill("是否同意在楼下加装充电桩？")
    moderator.get_by_role("button", name="保存草稿").click()
    expect(moderator.locator(".flash-success")).to_contain_text("投票草稿已保存")
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(moderator.locator(".meta")).to_contain_text("投票中")
    ballot_url = moderator.url

    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    # The home page lists the open ballot; one tap leads to it.
    resident.locator("#needs-ballots + ul").get_by_role("link", name="投票").click()
    expect(resident.locator("h1")).to_contain_text("是否同意在楼下加装充电桩？")
    resident.get_by_label("赞成", exact=True).check()
    screenshot(resident, "ballot-cast-phone")
    resident.get_by_role("button", name="投票", exact=True).click()
    expect(resident.locator(".voted")).to_contain_text("您已投票")
    expect(resident.locator(".voted")).to_contain_text("赞成")
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    grid = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(grid, "grid", "grid password")
    # The home page lists the ballot whose paper votes the grid worker enters.
    grid.locator("#needs-paper + ul").get_by_role("link", name="录入纸质票").click()
    expect(grid.locator(".voters li")).to_have_count(2)
    grid.get_by_label("地址、姓名或手机号").fill("3号楼2单元504")
    grid.get_by_role("button", name="查找").click()
    expect(grid.locator(".voters li")).to_have_count(1)
    expect(grid.locator(".voters li")).to_contain_text("赵奶奶")
    screenshot(grid, "ballot-desk-search-phone")
    grid.get_by_role("link", name="录入纸质选票").click()
    # Sent empty, the form names everything missing at once.
    grid.get_by_role("button", name="录入纸质选票").click()
    expect(grid.locator(".error")).to_have_count(3)
    grid.get_by_label("反对", exact=True).check()
    from PIL import Image

    Image.new("RGB", (900, 1200), (250, 250, 245)).save(tmp_path / "paper.jpg", "JPEG")
    grid.get_by_label("已签字纸质选票的照片").set_input_files(str(tmp_path / "paper.jpg"))
    grid.get_by_label("见证人（姓名和身份）").fill("楼门长 孙**")
    grid.get_by_role("button", name="录入纸质选票").click()
    expect(grid.locator(".flash-success")).to_contain_text("纸质选票已录入")
    screenshot(grid, "ballot-paper-desk-phone")

    moderator.goto(ballot_url)
    expect(moderator.locator(".turnout")).to_contain_text("已有 2 /")
    moderator.get_by_role("button", name="结束并计票").click()
    expect(moderator.locator(".confirm h1")).to_contain_text("结束投票并计票")
    screenshot(moderator, "ballot-close-confirm")
    moderator.get_by_role("button", name="是的，确定").click()
    expect(moderator.locator(".result .verdict")).to_be_visible()
    expect(moderator.locator(".result .explanation")).to_contain_text("赞成票")

    resident.reload()
    expect(resident.locator(".result")).to_contain_text("赞成")
    expect(resident.locator(".result .explanation")).to_contain_text("1/2")
    screenshot(resident, "ballot-result-phone")
