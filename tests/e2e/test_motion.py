"""A moderator assigns a motion to the property company; its manager works it through on a
phone from the desk; a resident rates the result; the figures page shows the change."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e

TITLE = "修复3号楼2单元电梯"


@pytest.fixture(scope="module")
def property_company(e2e_database):
    """The community's property company with its manager, written to the server's database."""
    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import OrganisationKind, Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Place
    from tests.conftest import config_for
    from tests.motions.support import organisation

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context():
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        building = db.session.scalar(select(Place).where(Place.name == "3号楼"))
        with unit_of_work():
            manager = User(name="物业赵经理", username="manager", password_hash=hash_password("manager password"))
            db.session.add_all([manager, RoleGrant(user=manager, role=Role.property_manager, place=community)])
        company = organisation(community, OrganisationKind.property_company, "富成物业", manager)
        ids = type("Ids", (), dict(company=company.id, building=building.id))
        db.engine.dispose()
    return ids


def new_phone_page(browser, live_server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_motion_assigned_worked_through_on_a_phone_rated_and_counted(browser, live_server, phone_page,
                                                                     property_company):
    figures_url = f"/places/{property_company.building}/figures"
    moderator, moderator_errors = new_phone_page(browser, live_server)
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto(figures_url)
    expect(moderator.locator("#fig-received")).to_have_text("0")
    expect(moderator.locator("#fig-satisfaction")).to_have_text("—")
    expect(moderator.locator("#fig-completion")).to_have_text("—")

    moderator.goto(f"/places/{property_company.building}/motions/new")
    moderator.locator("input[name=title]").fill(TITLE)
    moderator.locator("textarea[name=body]").fill("电梯停运三天，请维修并说明原因。")
    moderator.locator("select[name=lead]").select_option(str(property_company.company))
    fits_the_phone(moderator)
    screenshot(moderator, "motion-new-phone")
    moderator.locator("form.card button[type=submit]").click()
    expect(moderator).to_have_url(re.compile(r"/motions/\d+$"))
    expect(moderator.locator("h1")).to_have_text(TITLE)
    expect(moderator.locator("#motion-state")).to_have_class(re.compile(r"\bmotion-assigned\b"))
    expect(moderator.locator(".responders")).to_contain_text("富成物业")
    motion_url = moderator.url

    manager = phone_page
    sign_in(manager, "manager", "manager password")
    manager.goto("/desk")
    expect(manager.locator("h1")).to_contain_text("富成物业")
    expect(manager.locator(".tab.current .badge")).to_have_text("1")
    row = manager.locator(".list .motion-row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3号楼")
    fits_the_phone(manager)
    screenshot(manager, "motion-desk-phone")
    row.get_by_role("link", name=TITLE).click()
    expect(manager).to_have_url(motion_url)

    manager.locator("form[action$='/acknowledge'] button[type=submit]").click()
    expect(manager.locator("#motion-state")).to_have_class(re.compile(r"\bmotion-acknowledged\b"))
    expect(manager.locator("form[action$='/acknowledge']")).to_have_count(0)
    expect(manager.locator(".responders .tag")).to_have_class(re.compile(r"\bstate-accepted\b"))

    answer = manager.locator("form[action$='/answer']")
    answer.locator("input[name=answer][value=accept]").check()
    screenshot(manager, "motion-answer-phone")
    answer.locator("button[type=submit]").click()
    expect(manager.locator("#motion-state")).to_have_class(re.compile(r"\bmotion-in_progress\b"))
    expect(manager.locator("form[action$='/answer']")).to_have_count(0)

    done = manager.locator("form[action$='/complete']")
    done.locator("textarea[name=body]").fill("已更换电梯控制板，并经特检所检验合格。")
    done.locator("button[type=submit]").click()
    expect(manager.locator("#motion-state")).to_have_class(re.compile(r"\bmotion-completed\b"))
    expect(manager.locator("form[action$='/complete']")).to_have_count(0)
    expect(manager.locator(".timeline")).to_contain_text("已更换电梯控制板")
    expect(manager.locator(".timeline > li")).to_have_count(4)    # assign, acknowledge, accept, complete
    expect(manager.locator("form[action$='/rate']")).to_have_count(0)    # a responder does not rate
    fits_the_phone(manager)
    screenshot(manager, "motion-detail-phone")

    resident, resident_errors = new_phone_page(browser, live_server)
    sign_in(resident, "13912340077", "resident password")
    resident.goto(motion_url)
    expect(resident.locator("#motion-state")).to_have_class(re.compile(r"\bmotion-completed\b"))
    expect(resident.locator(".timeline")).to_contain_text("已更换电梯控制板")
    expect(resident.locator("form[action$='/acknowledge'], form[action$='/complete']")).to_have_count(0)
    rating = resident.locator("form[action$='/rate']")
    expect(rating.locator("input[name=score]")).to_have_count(3)
    rating.locator("input[name=score][value=satisfied]").check()
    rating.locator("textarea[name=body]").fill("修得很快，谢谢。")
    fits_the_phone(resident)
    screenshot(resident, "motion-rate-phone")
    rating.locator("button[type=submit]").click()
    expect(resident.locator("#my-rating")).to_be_visible()
    expect(resident.locator("form[action$='/rate']")).to_have_count(0)
    expect(resident.locator(".rating")).to_contain_text("100")

    moderator.goto(figures_url)
    expect(moderator.locator("#fig-received")).to_have_text("1")
    expect(moderator.locator("#fig-completion")).to_contain_text("100")
    expect(moderator.locator("#fig-satisfaction")).to_contain_text("100")
    expect(moderator.locator("#fig-response")).to_contain_text("100")
    expect(moderator.locator("#fig-overdue")).to_have_text("0")
    expect(moderator.locator(".figures-table").last).to_contain_text("富成物业")
    fits_the_phone(moderator)
    screenshot(moderator, "figures-phone")

    # On a wide screen and on the narrowest phone the tables scroll inside their card,
    # never clipped and never widening the page; the chart's words stay readable.
    for width in (1366, 320):
        moderator.set_viewport_size({"width": width, "height": 900})
        moderator.goto(figures_url)
        assert moderator.evaluate("document.documentElement.scrollWidth") <= width
        for wrap in moderator.locator(".table-wrap").all():
            fits = wrap.evaluate("e => e.scrollWidth <= e.clientWidth")
            scrolls = wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"
            assert fits or scrolls
            box, table = wrap.bounding_box(), wrap.locator("table").bounding_box()
            assert fits or table["width"] > box["width"]
        sizes = moderator.locator(".chart svg").first.evaluate(
            "svg => { const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
            " return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())"
            ".map(t => parseFloat(getComputedStyle(t).fontSize) * scale); }")
        assert sizes and 12 <= min(sizes) and max(sizes) <= 28, sizes
        screenshot(moderator, f"figures-{width}")

    moderator.context.close()
    resident.context.close()
    assert not moderator_errors and not resident_errors, moderator_errors + resident_errors
