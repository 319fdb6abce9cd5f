"""After a council has ended, the moderator (its recorder) edits the drafted minutes on a
phone, sends them for signature and signs; a resident finds them by searching a
two-character word and downloads the PDF."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e

TITLE = "3号楼电梯维修协商会"


@pytest.fixture(scope="module")
def ended_meeting(e2e_database):
    """A council of building 3 run through the room's services and ended, in the server's
    database: ending it drafts the minutes."""
    from datetime import timedelta

    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import User
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.places.models import Place
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context(), app.test_request_context():
        building = db.session.scalar(select(Place).where(Place.name == "3号楼"))
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        neighbour = db.session.scalar(select(User).where(User.phone == "13912340077"))

        def run(fn, *args, **kwargs):
            with unit_of_work():
                return fn(*args, **kwargs)
        meeting = run(meetings.schedule, building, actor=moderator, title=TITLE, kind=MeetingKind.circle,
                      form=MeetingForm.online, starts_at=utcnow() + timedelta(minutes=5), invite_residents=True,
                      free_items=["电梯维修资金"])
        run(meetings.change_state, meeting, "start", actor=moderator)
        run(meetings.sign_in, meeting, actor=neighbour)
        run(meetings.post_statement, meeting, actor=neighbour, body="电梯每周都停，维修资金应尽快申请。")
        run(meetings.record_decision, meeting, meeting.agenda[0], actor=moderator, text="申请专项维修资金更换电梯主板")
        run(meetings.change_state, meeting, "end", actor=moderator)
        ids = type("Ids", (), dict(meeting=meeting.id, building=building.id))
        db.engine.dispose()
    return ids


def test_minutes_edited_signed_found_by_search_and_downloaded(phone_page, browser, live_server, ended_meeting):
    moderator = phone_page
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto(f"/meetings/{ended_meeting.meeting}")
    moderator.locator("#minutes-link").click()
    expect(moderator.locator("#minutes-text")).to_contain_text("会议过程")
    expect(moderator.locator("#minutes-text")).to_contain_text("申请专项维修资金更换电梯主板")
    body = moderator.locator("textarea[name=body]")
    body.fill(body.input_value() + "\n\n### 会后说明\n\n- 物业于下周一前提交维修资金申请。")
    screenshot(moderator, "minutes-draft-phone")
    moderator.get_by_role("button", name="保存草稿").click()
    expect(moderator.locator(".flash-success")).to_contain_text("草稿已保存。写完后请送签。")
    moderator.get_by_text("与主持人一同签字的代表").click()
    moderator.locator("input[name=people]").first.check()
    moderator.get_by_role("button", name="保存代表").click()
    moderator.get_by_role("button", name="提交签字").click()
    expect(moderator.locator(".flash-success")).to_contain_text("已送签：请 2 人签字")
    moderator.get_by_role("button", name="我已阅读纪要并签字").click()
    moderator.get_by_role("button", name="是的，确定").click()
    # Each step says what happened and what is left; the page does not call it unsigned.
    expect(moderator.locator(".flash-success")).to_contain_text("已签字，还差 1 位签字：代表 王")
    expect(moderator.locator("#version-state")).to_contain_text("2 人中已有 1 人签字")
    expect(moderator.locator("main")).not_to_contain_text("尚未签字")
    screenshot(moderator, "minutes-signed-once-phone")

    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    representative = context.new_page()
    sign_in(representative, "13912340077", "resident password")
    representative.goto(moderator.url)
    representative.get_by_role("button", name="我已阅读纪要并签字").click()
    representative.get_by_role("button", name="是的，确定").click()
    expect(representative.locator(".flash-success")).to_contain_text("所有人都已签字")
    context.close()
    moderator.reload()
    expect(moderator.locator(".tag.minutes-publicity")).to_be_visible()
    expect(moderator.locator("#minutes-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    sha = moderator.locator("#minutes-hash").inner_text()
    assert moderator.evaluate("document.documentElement.scrollWidth") <= 390

    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=live_server.url, accept_downloads=True)
    resident = context.new_page()
    sign_in(resident, "13912340077", "resident password")
    resident.goto(f"/places/{ended_meeting.building}")
    resident.locator("main input[name=q]").fill("电梯")
    resident.locator("main input[name=q]").press("Enter")
    hit = resident.get_by_role("link", name=re.compile("会议纪要：" + TITLE))
    expect(hit).to_be_visible()
    screenshot(resident, "minutes-search-phone")
    hit.click()
    expect(resident.locator("#minutes-text")).to_contain_text("物业于下周一前提交维修资金申请")
    expect(resident.locator("#minutes-hash")).to_have_text(sha)
    screenshot(resident, "minutes-published-phone")
    with resident.expect_download() as download:
        resident.locator("#download-pdf").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    resident.goto(f"/places/{ended_meeting.building}/archive")
    expect(resident.locator(".archive")).to_contain_text(TITLE)
    expect(resident.locator(".archive")).to_contain_text(sha[:12])
    screenshot(resident, "archive-phone")
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
