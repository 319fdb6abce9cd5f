"""In Chromium: the live room and a proposal page, every text in them an XSS payload, show
each payload as text. Nothing in the DOM was made by a payload (the page's own markup
only), the room's embedded state parses and the room works; statements with payloads
that arrive over the socket while the page is open are drawn as text too."""
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, sign_in
from tests.xss import PAYLOADS, marker

pytestmark = pytest.mark.e2e


def payload(n: int) -> str:
    return next(p for p in PAYLOADS if marker(p) == f"xss{n:03d}")


# A few of each family: </script> breakouts, event handlers, javascript: links, SVG and
# MathML, attribute breakouts, template injection, polyglots.
TITLE = payload(11)                        # </script><img src=x onerror=alert(1) xss011>
AGENDA = [payload(n) for n in (10, 23, 29, 79, 86, 132)]
STATEMENTS = [payload(n) for n in (1, 12, 24, 51, 87, 89, 127, 134)]
LIVE = [payload(n) for n in (13, 17, 33, 62, 75, 84, 94, 135, 139)]
QUESTION = payload(18)
OPTIONS = [payload(n) for n in (28, 47, 90)]
EXPERT = payload(25)
DECISION = payload(96)

# Everything in the DOM that the site's own pages never have, and a payload would make.
FIND = """() => {
  const found = [];
  const urls = ["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (tag.includes("xss")) found.push("element " + tag);
    if (["iframe", "frame", "object", "embed", "base", "math", "template", "marquee", "isindex"].includes(tag))
      found.push("forbidden " + tag);
    if (tag === "script" && !el.src && el.type !== "application/json") found.push("inline script");
    if (tag === "style" && !el.nonce) found.push("style element");
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.includes("xss") || name.startsWith("on") || ["style", "srcdoc", "formaction"].includes(name))
        found.push(name + " on " + tag);
      if (urls.includes(name) && /^(javascript|vbscript|data):/i.test(a.value.replace(/[\\u0000-\\u0020\\u007f]+/g, "")))
        found.push(name + "=" + a.value + " on " + tag);
    }
  }
  return found;
}"""
DIALOGS = "window.__dialogs = []; window.alert = window.confirm = window.prompt = (m) => { window.__dialogs.push(String(m)); };"


@pytest.fixture(scope="module")
def written(e2e_database):
    """A building whose name is a payload; a council there, live, whose title, agenda,
    statements, decision, ballot and one speaker's name are payloads; a matter with
    payloads in its title, text and comments."""
    from datetime import timedelta

    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.places import service as places
    from consult.places.models import Place, PlaceKind
    from consult.proposals import service as proposals
    from consult.voting.models import BallotKind
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context(), app.test_request_context():
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        entrance = db.session.scalar(select(Place).where(Place.name == "2单元"))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        neighbour = db.session.scalar(select(User).where(User.phone == "13912340077"))
        with unit_of_work():
            building = places.create_place(community, PlaceKind.building, payload(140), actor=admin)
            expert = User(name=EXPERT, phone="13912340099", password_hash=hash_password(PASSWORD))
            db.session.add_all([expert, RoleGrant(user=expert, role=Role.expert, place=building)])
        with unit_of_work():
            meeting = meetings.schedule(building, actor=moderator, title=TITLE, kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=utcnow() + timedelta(hours=1),
                                        people=[neighbour, expert], free_items=AGENDA)
        with unit_of_work():
            meetings.change_state(meeting, "start", actor=moderator)
        for person in (neighbour, expert):
            with unit_of_work():
                meetings.sign_in(meeting, actor=person)
        for n, text in enumerate(STATEMENTS):
            with unit_of_work():
                meetings.post_statement(meeting, actor=expert if n % 2 else neighbour, body=text)
        with unit_of_work():
            meetings.record_decision(meeting, meeting.agenda[0], actor=moderator, text=DECISION)
        with unit_of_work():
            meetings.set_speakers_open(meeting, True, actor=moderator)
        with unit_of_work():
            meetings.raise_hand(meeting, actor=expert)
        with unit_of_work():
            meetings.open_ballot(meeting, actor=moderator, question=QUESTION, kind=BallotKind.single,
                                 options=OPTIONS, rule="plurality")
        category = proposals.active_categories()[0]
        with unit_of_work():
            matter = proposals.raise_proposal(entrance, actor=neighbour, title=payload(137),
                                              body="\n\n".join(STATEMENTS + LIVE), category=category)
        for text in AGENDA:
            with unit_of_work():
                proposals.comment(matter, actor=neighbour, body=text)
        ids = type("Ids", (), dict(meeting=meeting.id, proposal=matter.id, agenda=[i.title for i in meeting.agenda]))
        db.engine.dispose()
    return ids


def nothing_injected(page):
    assert page.evaluate(FIND) == []
    assert page.evaluate("window.__dialogs") == []


def test_the_room_shows_every_payload_as_text(browser, live_server, phone_page, written):
    from tests.meetings.test_servers import RoomClient

    resident = phone_page
    resident.context.add_init_script(DIALOGS)
    sign_in(resident, "13912340077", "resident password")
    resident.goto(f"/meetings/{written.meeting}/room")
    expect(resident.locator("#connection")).to_have_text("已连接")         # the room's script runs
    assert resident.evaluate("window.consultRoom.state.meeting.title") == TITLE
    expect(resident.locator("h1")).to_have_text(TITLE)
    expect(resident.locator("#meeting-state")).to_have_text("进行中")
    expect(resident.locator("#current-item .current-title")).to_have_text(written.agenda[0])
    expect(resident.locator("#current-item .reason")).to_have_text(f"决定: {DECISION}")
    expect(resident.locator("#agenda > li")).to_have_count(len(AGENDA))
    for n, title in enumerate(AGENDA):
        expect(resident.locator("#agenda > li").nth(n)).to_contain_text(title)
    expect(resident.locator("#statements > li")).to_have_count(len(STATEMENTS))
    for n, text in enumerate(STATEMENTS):
        expect(resident.locator("#statements > li").nth(n)).to_contain_text(text)
    expect(resident.locator("#attendance")).to_contain_text(EXPERT)
    expect(resident.locator("#hands")).to_contain_text(EXPERT)
    expect(resident.locator(".room-ballot .question")).to_have_text(QUESTION)
    for option in OPTIONS:
        expect(resident.locator(".cast-form").get_by_text(option, exact=True)).to_have_count(1)
    nothing_injected(resident)

    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    moderator.context.add_init_script(DIALOGS)
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto(f"/meetings/{written.meeting}/room")
    expect(moderator.locator("#connection")).to_have_text("已连接")
    expect(moderator.locator("#hands")).to_contain_text(EXPERT)               # with the moderator's buttons
    expect(moderator.locator("#statements .link")).to_have_count(len(STATEMENTS))
    nothing_injected(moderator)

    speaker = RoomClient(live_server.url, "13912340099", written.meeting)    # statements over the socket
    try:
        for text in LIVE:
            assert speaker.act("statement", body=text)["ok"]
    finally:
        speaker.close()
    for page in (resident, moderator):
        expect(page.locator("#statements > li")).to_have_count(len(STATEMENTS) + len(LIVE))
        for n, text in enumerate(LIVE):
            item = page.locator("#statements > li").nth(len(STATEMENTS) + n)
            expect(item.locator("strong")).to_have_text(EXPERT)
            expect(item).to_contain_text(text)
        nothing_injected(page)

    resident.get_by_text(OPTIONS[1], exact=True).click()                      # the room still works
    resident.locator(".cast-form").get_by_role("button", name="投票").click()
    expect(resident.locator(".room-ballot")).to_contain_text("您已投票")
    expect(moderator.locator(".room-ballot .turnout")).to_contain_text("1 / 2")
    moderator.locator(".room-ballot").get_by_role("button", name="结束并计票").click()   # the count, options as text
    moderator.locator("#room-confirm").get_by_role("button", name="结束并计票").click()   # asked first
    for page in (resident, moderator):
        expect(page.locator(".room-ballot .verdict")).to_have_text("通过")
        expect(page.locator(".room-ballot .tally li")).to_have_count(len(OPTIONS))
        expect(page.locator(".room-ballot .tally li").nth(1)).to_have_text(f"{OPTIONS[1]} 1")
        expect(page.locator(".room-ballot .explanation")).to_contain_text(OPTIONS[1])
        nothing_injected(page)
    moderator.context.close()


def test_the_proposal_page_shows_every_payload_as_text(phone_page, written):
    page = phone_page
    page.context.add_init_script(DIALOGS)
    sign_in(page, "13912340077", "resident password")
    page.goto(f"/proposals/{written.proposal}")
    expect(page.locator("h1")).to_have_text(payload(137))
    for text in AGENDA:
        expect(page.get_by_text(text, exact=True)).to_have_count(1)          # each comment, as text
    nothing_injected(page)
