"""A grid worker takes a building from no votes to full participation on a phone: the
turnout desk, the door-knocking list with a visit and a reminder, the QR ballot sheet,
an assisted vote for an elderly owner and a phone-call vote entered on paper."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_a_grid_worker_brings_a_building_to_full_participation(browser, live_server, phone_page, tmp_path):
    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto("/places/")
    moderator.get_by_role("link", name="大屯街道").click()
    moderator.get_by_role("link", name="富成花园社区").click()
    moderator.get_by_role("link", name="3号楼", exact=True).click()
    moderator.get_by_role("link", name="3号楼的投票").click()
    moderator.get_by_role("link", name="发起投票").click()
    moderator.get_by_label("表决事项").fill("是否同意更换单元门禁？")
    moderator.get_by_role("button", name="保存草稿").click()
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(moderator.locator(".meta")).to_contain_text("投票中")
    ballot_url = moderator.url

    grid = phone_page
    sign_in(grid, "grid", "grid password")
    grid.goto(ballot_url)
    grid.get_by_role("link", name="参与情况与入户动员清单").click()
    expect(grid.locator("h1")).to_contain_text("参与情况")
    # The building's households with members (other tests register some): none has voted.
    expect(grid.locator("#buildings")).to_contain_text(re.compile(r"已投票：0 / \d+"))
    households = int(re.search(r"已投票：0 / (\d+)", grid.locator("#buildings").inner_text()).group(1))
    assert households >= 2
    grid.locator("#buildings").get_by_role("link", name="3号楼").click()
    expect(grid.locator("h1")).to_contain_text("入户动员清单")
    expect(grid.locator("#doors .door")).to_have_count(households)
    expect(grid.locator("#doors")).to_contain_text("王大爷")
    expect(grid.locator("#doors")).to_contain_text("赵奶奶")

    # One tap reminds the building's non-voters; a second is not offered today.
    grid.get_by_role("button", name="提醒未投票的住户").click()
    expect(grid.locator(".flash-success")).to_contain_text(re.compile(r"已提醒 \d+ 位"))
    expect(grid.get_by_role("button", name="提醒未投票的住户")).to_have_count(0)

    # Nobody at home at 503: the visit is recorded with its time.
    neighbour = grid.locator(".door", has_text="王大爷")
    neighbour.get_by_text("记录入户").click()
    neighbour.get_by_label("无人在家").check()
    neighbour.get_by_role("button", name="保存入户记录").click()
    expect(grid.locator(".flash-success")).to_contain_text("入户情况已记录")
    expect(grid.locator(".door", has_text="王大爷").locator(".last-visit")).to_contain_text("无人在家")

    # The ballot sheet with one QR per household is a PDF to print.
    sheet = grid.get_by_role("link", name="带二维码的纸质表决票（PDF）")
    answer = grid.request.get(sheet.get_attribute("href"))
    assert answer.ok and answer.headers["content-type"] == "application/pdf"

    # An assisted vote for the elderly owner at 504, confirmed by a photo of her signature.
    grid.locator(".door", has_text="赵奶奶").get_by_role("link", name="协助投票").click()
    expect(grid.locator("h1")).to_contain_text("协助投票")
    grid.get_by_label("赞成", exact=True).check()
    from PIL import Image

    Image.new("RGB", (900, 600), (250, 250, 245)).save(tmp_path / "signature.jpg", "JPEG")
    grid.get_by_label("或：业主签字的照片").set_input_files(str(tmp_path / "signature.jpg"))
    screenshot(grid, "turnout-assisted-vote-phone")
    grid.get_by_role("button", name="提交业主的投票").click()
    expect(grid.locator(".flash-success")).to_contain_text("协助投票")
    expect(grid.locator("#waiting-count")).to_contain_text(f"{households} 人中还有 {households - 1} 人未投票")

    # 王大爷 votes by phone: a paper ballot entered with a witness.
    grid.locator(".door", has_text="王大爷").get_by_role("link", name="录入纸质选票").click()
    grid.get_by_label("反对", exact=True).check()
    Image.new("RGB", (900, 1200), (250, 250, 245)).save(tmp_path / "paper.jpg", "JPEG")
    grid.get_by_label("已签字纸质选票的照片").set_input_files(str(tmp_path / "paper.jpg"))
    grid.get_by_label("见证人（姓名和身份）").fill("电话投票 楼门长见证")
    grid.get_by_role("button", name="录入纸质选票").click()
    expect(grid.locator(".flash-success")).to_contain_text("纸质选票已录入")

    # Any other household of the building votes with help too, door by door.
    grid.goto(ballot_url)
    grid.get_by_role("link", name="参与情况与入户动员清单").click()
    grid.locator("#buildings").get_by_role("link", name="3号楼").click()
    for left in range(households - 2, 0, -1):
        expect(grid.locator("#doors .door")).to_have_count(left)
        grid.locator("#doors .door").first.get_by_role("link", name="协助投票").click()
        grid.get_by_label("赞成", exact=True).check()
        grid.get_by_label("或：业主签字的照片").set_input_files(str(tmp_path / "signature.jpg"))
        grid.get_by_role("button", name="提交业主的投票").click()
        expect(grid.locator(".flash-success")).to_contain_text("协助投票")

    grid.goto(ballot_url)
    grid.get_by_role("link", name="参与情况与入户动员清单").click()
    expect(grid.locator("#buildings")).to_contain_text(f"已投票：{households} / {households}")
    grid.locator("#buildings").get_by_role("link", name="3号楼").click()
    expect(grid.locator("#all-voted")).to_be_visible()
    assert grid.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(grid, "turnout-door-list-done-phone")
