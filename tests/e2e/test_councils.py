"""Standing councils and conventions on phones: a moderator sets up the monthly council
(月月有协商) and drafts the residents' convention and puts it to the vote; a resident reads
the draft and finds the ballot."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def to_community(page):
    page.goto("/places/")
    for name in ("大屯街道", "富成花园社区"):
        page.get_by_role("link", name=name, exact=True).first.click()


def test_a_moderator_sets_up_the_monthly_council(phone_page):
    moderator = phone_page
    sign_in(moderator, "moderator", "moderator password")
    to_community(moderator)
    moderator.get_by_role("link", name="常态议事会").first.click()
    moderator.get_by_text("设立常态议事会").click()
    moderator.get_by_label("标题").fill("富成花园月度议事会")
    moderator.get_by_label("至少多久开一次").select_option(label="每月")
    moderator.get_by_label("每月几号").fill("10")
    moderator.get_by_role("textbox", name="位置").fill("社区议事厅")
    moderator.get_by_role("button", name="设立", exact=True).click()
    expect(moderator.locator(".flashes")).to_contain_text("常态议事会已设立")
    expect(moderator.locator("h1")).to_contain_text("富成花园月度议事会")
    expect(moderator.locator("main")).to_contain_text("每月 10 日 19:30")
    fits_the_phone(moderator)
    screenshot(moderator, "council-phone")


def test_a_convention_drafted_put_to_the_vote_and_read_by_a_resident(browser, live_server, phone_page):
    moderator = phone_page
    sign_in(moderator, "moderator", "moderator password")
    to_community(moderator)
    moderator.get_by_role("link", name="居民公约").first.click()
    moderator.get_by_text("起草公约").click()
    moderator.get_by_label("标题").fill("富成花园社区居民公约")
    moderator.get_by_label("内容").fill("第一条 爱护公共环境。\n第二条 邻里和睦。")
    moderator.get_by_role("button", name="公示草案").click()
    expect(moderator.locator(".flashes")).to_contain_text("草案已公示")
    moderator.get_by_role("button", name="提交表决").click()
    expect(moderator.locator(".flashes")).to_contain_text("表决已开始")
    fits_the_phone(moderator)
    url = moderator.url

    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url)
    resident = context.new_page()
    sign_in(resident, "13912340077", "resident password")
    resident.goto(url)
    expect(resident.locator("#pending")).to_contain_text("第二条 邻里和睦。")
    expect(resident.locator("#pending .tag")).to_have_text("表决中")
    resident.get_by_role("link", name="去表决").click()
    expect(resident.locator("h1")).to_contain_text("富成花园社区居民公约")
    fits_the_phone(resident)
    screenshot(resident, "convention-ballot-phone")
    context.close()
