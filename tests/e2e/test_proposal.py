"""A resident raises a matter on a phone; the moderator triages it to circle discussion;
the resident sees the timeline change."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_raise_triage_and_see_the_timeline(browser, live_server, phone_page, tmp_path):
    from tests.e2e.conftest import PHONE

    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    resident.get_by_role("link", name="议题").first.click()
    resident.get_by_role("link", name="3号楼").click()
    resident.get_by_label("标题").fill("3号楼楼道灯不亮")
    resident.get_by_label("发生了什么、在哪里、从什么时候开始").fill("2单元三楼到五楼的灯**一周**都不亮了。")
    resident.get_by_label("类别").select_option(label="安全隐患")
    from PIL import Image

    Image.new("RGB", (1200, 900), (90, 90, 110)).save(tmp_path / "corridor.jpg", "JPEG")
    resident.get_by_label("照片（最多 4 张）").set_input_files(str(tmp_path / "corridor.jpg"))
    resident.get_by_role("button", name="提交").click()
    expect(resident.locator("h1")).to_have_text("3号楼楼道灯不亮")
    expect(resident.locator(".meta")).to_contain_text("待理事")
    expect(resident.locator(".prose strong")).to_have_text("一周")
    expect(resident.locator(".photos img")).to_have_count(1)
    resident.locator(".photos img").scroll_into_view_if_needed()
    # Waits for the photo to load (no string evaluated in the page: the CSP forbids eval).
    expect(resident.locator(".photos img")).to_have_js_property("naturalWidth", 1200)
    url = resident.url

    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    moderator = context.new_page()
    sign_in(moderator, "moderator", "moderator password")
    # The home page lists the matter to triage, one tap from its page.
    waiting = moderator.locator("#needs-triage + ul li", has_text="3号楼楼道灯不亮")
    expect(waiting).to_be_visible()
    screenshot(moderator, "home-moderator-phone")
    waiting.get_by_role("link", name="去分类").click()
    expect(moderator).to_have_url(url)
    screenshot(moderator, "proposal-moderator-phone")
    moderator.get_by_label("议事层级").select_option(label="围圈议")
    moderator.get_by_role("button", name="受理", exact=True).click()
    expect(moderator.locator(".meta")).to_contain_text("围圈议")
    context.close()

    resident.reload()
    expect(resident.locator(".meta")).to_contain_text("讨论中")
    expect(resident.locator(".timeline")).to_contain_text("已分类受理")
    screenshot(resident, "proposal-phone")
    # …and the resident's home page says that something happened to their matter.
    resident.goto("/")
    expect(resident.locator("#needs-news + ul")).to_contain_text("3号楼楼道灯不亮")
    screenshot(resident, "home-resident-phone")

