"""The pages and the live room work under the Content-Security-Policy: Chromium reports no
violation on any of them, the room connects, the figures chart is drawn."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

RECORD = ("window.__violations = [];"
          "document.addEventListener('securitypolicyviolation',"
          " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture(scope="module")
def places_with_things(e2e_database):
    """A motion (so that the figures page draws its chart) and a meeting to enter."""
    from datetime import timedelta

    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import OrganisationKind, User
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.motions import service as motions
    from consult.places import service as places
    from consult.places.models import Place, PlaceKind
    from tests.conftest import config_for
    from tests.motions.support import organisation

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context(), app.test_request_context():
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        neighbour = db.session.scalar(select(User).where(User.phone == "13912340077"))
        with unit_of_work():   # a building of its own, so that the other tests' figures stay theirs
            building = places.create_place(community, PlaceKind.building, "9号楼", actor=admin)
        department = organisation(community, OrganisationKind.department, "城管执法队")
        with unit_of_work():
            motions.assign(building, actor=moderator, title="清理9号楼楼道杂物", body="消防通道被占", organisations=[department])
        with unit_of_work():
            meeting = meetings.schedule(building, actor=moderator, title="9号楼楼道治理议事会", kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=utcnow() + timedelta(hours=1),
                                        people=[neighbour], free_items=["楼道杂物"])
        ids = type("Ids", (), dict(building=building.id, community=community.id, meeting=meeting.id))
        db.engine.dispose()
    return ids


def test_no_page_breaks_the_policy(phone_page, places_with_things):
    page = phone_page
    page.context.add_init_script(RECORD)
    page.goto("/login")
    page.get_by_label("手机号或用户名").fill("moderator")
    page.get_by_label("密码").fill("moderator password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    urls = ["/", "/places/", f"/places/{places_with_things.building}", f"/places/{places_with_things.building}/proposals",
            f"/places/{places_with_things.community}/figures", f"/places/{places_with_things.building}/archive",
            f"/places/{places_with_things.building}/search?q=楼道", f"/meetings/{places_with_things.meeting}",
            "/inbox"]
    for url in urls:
        response = page.goto(url)
        assert response.status < 400, url
        assert page.evaluate("window.__violations") == [], url
    page.goto(f"/places/{places_with_things.community}/figures")
    expect(page.locator(".chart svg")).to_be_visible()
    page.goto(f"/meetings/{places_with_things.meeting}/room")
    expect(page.locator("#connection")).to_have_text("已连接")
    assert page.evaluate("window.__violations") == []
