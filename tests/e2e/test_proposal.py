"""A resident raises a matter on a phone; the moderator triages it to circle discussion;
the resident sees the timeline change."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def second_neighbour(e2e_database):
    """Another resident of building 3, in the server's database, who co-signs."""
    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Household, HouseholdMember, Place, Relation
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context():
        with unit_of_work():
            entrance = db.session.scalar(select(Place).where(Place.name == "2单元"))
            if db.session.scalar(select(User).where(User.phone == "13912340066")) is None:
                person = User(name="孙阿姨", phone="13912340066", password_hash=hash_password("neighbour password"))
                home = Household(place=entrance, room="601", area=80)
                db.session.add_all([person, home, HouseholdMember(household=home, user=person,
                                                                  relation=Relation.owner, is_designated_voter=True)])
        db.engine.dispose()
    return "13912340066", "neighbour password"


def test_raise_triage_and_see_the_timeline(browser, live_server, phone_page, tmp_path, second_neighbour):
    from tests.e2e.conftest import PHONE

    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    resident.get_by_role("link", name="议题").first.click()
    resident.get_by_role("link", name="3号楼", exact=True).click()
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

    # A neighbour co-signs: the page then says so and offers no second signature.
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    neighbour = context.new_page()
    sign_in(neighbour, *second_neighbour)
    neighbour.goto(url)
    neighbour.get_by_role("button", name="我家联名支持").click()
    expect(neighbour.locator(".flash-success")).to_contain_text("您家已联名")
    expect(neighbour.locator("#cosigned")).to_be_disabled()
    expect(neighbour.locator("#cosigned")).to_have_text("✓ 您家已联名")
    expect(neighbour.get_by_role("button", name="我家联名支持")).to_have_count(0)
    screenshot(neighbour, "proposal-cosigned-phone")
    context.close()

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

