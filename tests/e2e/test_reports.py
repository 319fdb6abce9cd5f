"""The chain 群众报单—网格员承单—部门接单 on phones: a resident reports from their entrance,
the grid worker takes it up from their messages and sends it on to a department, which
finds it on its desk; the resident reads where it stands."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e

TITLE = "2单元门口井盖松动"


@pytest.fixture(scope="module")
def grid_and_department(e2e_database):
    """A grid over 3号楼 and the subdistrict's law enforcement team with its officer,
    written to the server's database."""
    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Grid, Place
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context():
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        subdistrict = db.session.scalar(select(Place).where(Place.name == "大屯街道"))
        building = db.session.scalar(select(Place).where(Place.name == "3号楼"))
        with unit_of_work():
            db.session.add(Grid(community=community, name="第三网格", buildings=[building]))
            officer = User(name="城管吴队长", username="lawteam", password_hash=hash_password("lawteam password"))
            team = Organisation(kind=OrganisationKind.department, name="大屯城管执法队", place=subdistrict)
            db.session.add_all([officer, team, OrganisationMember(organisation=team, user=officer),
                                RoleGrant(user=officer, role=Role.department_rep, place=subdistrict,
                                          organisation=team)])
        db.engine.dispose()


def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url)
    return context.new_page()


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_report_goes_from_the_resident_to_the_grid_worker_and_on_to_a_department(browser, live_server,
                                                                                    phone_page, grid_and_department):
    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    resident.goto("/places/")
    for name in ("大屯街道", "富成花园社区", "3号楼", "2单元"):
        resident.get_by_role("link", name=name, exact=True).first.click()
    resident.get_by_role("link", name="向网格员报单").click()
    expect(resident.locator(".lead")).to_contain_text("第三网格")
    resident.get_by_label("反映什么事？").fill(TITLE)
    resident.get_by_label("在哪里，从什么时候开始").fill("昨天晚上开始，踩上去会晃。")
    resident.get_by_role("button", name="提交报单").click()
    expect(resident.locator(".flashes")).to_contain_text("您的报单已送达网格员")
    expect(resident.locator("h1 .tag")).to_have_text("待网格员承单")
    fits_the_phone(resident)
    screenshot(resident, "report-raised-phone")
    report_url = resident.url

    grid = phone(browser, live_server)
    sign_in(grid, "grid", "grid password")
    grid.goto("/inbox")
    grid.get_by_role("link", name=f"网格内有居民报单：“{TITLE}”").first.click()
    grid.get_by_role("button", name="承单").click()
    expect(grid.locator(".flashes")).to_contain_text("您已承单")
    expect(grid.locator("h1 .tag")).to_have_text("网格员已承单")
    grid.get_by_text("派单给责任单位").click()
    grid.get_by_label("派给").select_option(label="大屯城管执法队 · 职能部门")
    grid.get_by_label("给对方的说明").fill("井盖在人行道上，请尽快处置。")
    grid.get_by_role("button", name="派单", exact=True).click()
    expect(grid.locator(".flashes")).to_contain_text("已派单")
    expect(grid.locator("h1 .tag")).to_have_text("已派单给责任单位")
    fits_the_phone(grid)
    screenshot(grid, "report-dispatched-phone")
    grid.context.close()

    officer = phone(browser, live_server)
    sign_in(officer, "lawteam", "lawteam password")
    officer.goto("/desk")
    expect(officer.locator("main")).to_contain_text(TITLE)
    officer.context.close()

    resident.goto(report_url)
    expect(resident.locator("h1 .tag")).to_have_text("已派单给责任单位")
    expect(resident.locator("main")).to_contain_text(TITLE)
