"""What a neighbour, the author and the moderator read of the same matter on a phone: the
author's mobile number in the text masked for the neighbour, in full for the author and
the staff; the author's name masked for the neighbour only."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def neighbour(e2e_database):
    """A resident of the same entrance, written straight into the site's database."""
    from consult import create_app
    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Household, HouseholdMember, Relation
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context():
        with unit_of_work():
            entrance = db.session.scalars(db.select(Household)).first().place
            household = Household(place=entrance, room="505", area=70)
            person = User(name="孙阿姨", phone="13912340066", password_hash=hash_password("neighbour password"))
            db.session.add_all([household, person,
                                HouseholdMember(household=household, user=person, relation=Relation.owner,
                                                is_designated_voter=True)])
        db.engine.dispose()
    return "13912340066", "neighbour password"


def test_a_number_in_a_matter_is_masked_for_the_neighbour_only(browser, live_server, phone_page, neighbour):
    author = phone_page
    sign_in(author, "13912340077", "resident password")
    author.get_by_role("link", name="议题").first.click()
    author.get_by_role("link", name="3号楼", exact=True).click()
    author.get_by_label("标题").fill("2单元楼门禁坏了")
    author.get_by_label("发生了什么、在哪里、从什么时候开始").fill("门禁刷不开，有事请打我电话 13912340077。")
    author.get_by_label("类别").select_option(label="安全隐患")
    author.get_by_role("button", name="提交").click()
    expect(author.locator(".prose")).to_contain_text("13912340077")
    url = author.url

    page = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(page, *neighbour)
    page.goto(url)
    expect(page.locator(".prose")).to_contain_text("139****0077")
    expect(page.locator("main")).not_to_contain_text("13912340077")
    expect(page.locator("main")).to_contain_text("王**")
    expect(page.locator("main")).not_to_contain_text("王大爷")
    screenshot(page, "proposal-neighbour-masked")

    staff = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(staff, "moderator", "moderator password")
    staff.goto(url)
    expect(staff.locator(".prose")).to_contain_text("13912340077")
    expect(staff.locator("main")).to_contain_text("王大爷")
