"""The main pages of every role, on a phone (390 px) and on a laptop (1366 px), checked by
axe-core in Chromium: no serious or critical violation, no two elements sharing an id, and
every menu link, breadcrumb, back link and button at least 44 × 44 px to tap, and no text
under 16 px. In elders' mode (长辈模式) the same pages again, with targets of at least
56 × 56 px and body text of at least 22 px; and an elderly owner votes there at 390 px.

axe-core is installed by ``make install`` (npm, the version pinned in the Makefile) into
instance/node; without it this test says so (and fails in CI)."""
from pathlib import Path

import pytest

from tests.conftest import service_missing
from tests.e2e.conftest import ROOT, screenshot, sign_in

pytestmark = pytest.mark.e2e

AXE = ROOT / "instance" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
TARGETS = ".site-nav a, .breadcrumbs a, a.back, .pager a, .button, button, summary"
MINIMUM = 44 - 0.5   # CSS pixels; half a pixel for rounding


@pytest.fixture(scope="module")
def scene(e2e_database):
    """A matter raised in building 3 and a department's officer, in the server's database,
    so that the pages show their forms and lists."""
    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import OrganisationKind, Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.motions import service as motions
    from consult.motions.models import Answer
    from consult.places.models import Place
    from consult.proposals import service as proposals
    from consult.proposals.models import Category
    from tests.conftest import config_for
    from tests.motions.support import organisation

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context(), app.test_request_context():
        building = db.session.scalar(select(Place).where(Place.name == "3号楼"))
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        subdistrict = db.session.scalar(select(Place).where(Place.name == "大屯街道"))
        resident = db.session.scalar(select(User).where(User.phone == "13912340077"))
        with unit_of_work():
            matter = proposals.raise_proposal(
                building, actor=resident, title="3号楼门口积水", body="下雨后单元门口积水很深。",
                category=db.session.scalar(select(Category).order_by(Category.position)))
            officer = User(name="城管孙科长", username="officer", password_hash=hash_password("officer password"))
            db.session.add_all([officer, RoleGrant(user=officer, role=Role.department_rep, place=subdistrict)])
        department = organisation(subdistrict, OrganisationKind.department, "城管执法队", officer)
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        with unit_of_work():
            # In the community itself: the motion tests count the motions of building 3.
            motion = motions.assign(community, actor=moderator, title="清理社区门口积水", body="疏通雨水口",
                                    organisations=[department])
        with unit_of_work():
            motions.answer(motion, actor=officer, answer=Answer.accept)
        ids = type("Ids", (), dict(proposal=matter.id, building=building.id, community=community.id,
                                   motion=motion.id))
        db.engine.dispose()
    return ids


def pages_of(scene) -> dict[str, tuple]:
    proposal, building, community = f"/proposals/{scene.proposal}", f"/places/{scene.building}", \
        f"/places/{scene.community}"
    motion = f"/motions/{scene.motion}"
    return {
        "visitor": (None, ["/", "/login", "/register"]),
        "resident": (("13912340077", "resident password"),
                     ["/", "/proposals/", proposal, "/ballots/", "/meetings/", building, "/inbox", "/account"]),
        "moderator": (("moderator", "moderator password"),
                      ["/", proposal, motion, community, f"{community}/figures", "/search?q=积水"]),
        "grid worker": (("grid", "grid password"), ["/", building, "/ballots/"]),
        "department": (("officer", "officer password"), ["/", "/desk", motion]),
        "administrator": (("admin", "admin password"), ["/", "/places/", community, "/people"]),
    }


def duplicate_ids(page) -> list[str]:
    return page.evaluate("""() => {
        const seen = new Map();
        for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
        return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    }""")


SMALL_TARGETS_SCRIPT = """(all, minimum) => all
        .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && r.height > 0 && (r.width < minimum || r.height < minimum))
        .map(([e, r]) => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 20)}" `
                         + `${Math.round(r.width)}×${Math.round(r.height)}`)"""


def small_targets(page) -> list[str]:
    return page.locator(TARGETS).evaluate_all(SMALL_TARGETS_SCRIPT, MINIMUM)


def small_text_under(page, minimum) -> list[str]:
    return page.evaluate("""(minimum) => [...document.body.querySelectorAll('*')]
        .filter(e => !e.closest('svg') && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                     && e.getClientRects().length)
        .filter(e => parseFloat(getComputedStyle(e).fontSize) < minimum)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 20)}" `
                  + getComputedStyle(e).fontSize)""", minimum)


def small_text(page) -> list[str]:
    """Text under 16 px: elderly readers need at least that, meta text included."""
    return small_text_under(page, 15.5)


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    }""")
    return found


@pytest.mark.parametrize("size", list(SIZES))
def test_main_pages_of_every_role_pass_axe_and_are_easy_to_tap(browser, live_server, scene, size):
    if not Path(AXE).exists():
        service_missing("axe-core (run `make install`, which installs it with npm into instance/node)")
    problems = []
    for role, (login, pages) in pages_of(scene).items():
        # The scripts of axe are added to the page from outside: the pages' own policy
        # forbids scripts that are not theirs, which is right for them and not for a test.
        context = browser.new_context(viewport=SIZES[size], base_url=live_server.url, bypass_csp=True)
        page = context.new_page()
        if login:
            sign_in(page, *login)
        for path in pages:
            page.goto(path)
            where = f"{role} {path} at {SIZES[size]['width']} px"
            problems += [f"{where}: {v}" for v in serious_violations(page)]
            problems += [f"{where}: duplicate id {i}" for i in duplicate_ids(page)]
            problems += [f"{where}: small target {t}" for t in small_targets(page)]
            problems += [f"{where}: small text {t}" for t in small_text(page)]
            assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"], where
            if path == "/":
                screenshot(page, f"home-{role.replace(' ', '-')}-{size}")
        context.close()
    assert not problems, "\n".join(problems)


# --- 长辈模式 ---------------------------------------------------------------------------------

ELDERS_MINIMUM = 56 - 0.5    # tap targets in elders' mode
ELDERS_TEXT = 22 - 0.5       # body text in elders' mode
ELDERS_SMALLEST = 22 * 0.9 - 0.5   # nothing, meta text included, under 0.9 of it


@pytest.fixture(scope="module")
def elder(e2e_database):
    """An elderly owner in building 7 (a building of its own, so that the other browser
    tests' lists do not change) and an open ballot of its households."""
    from sqlalchemy import select

    from consult import create_app
    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.models import Place, PlaceKind, Relation
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy
    from consult.clock import utcnow
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from datetime import timedelta
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context(), app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        with unit_of_work():
            building = places.create_place(community, PlaceKind.building, "7号楼", actor=admin)
            entrance = places.create_place(building, PlaceKind.entrance, "1单元", actor=admin)
            grandfather = User(name="孙大爷", phone="13912340166", password_hash=hash_password("elder password"))
            db.session.add(grandfather)
            places.attach_member(places.add_household(entrance, "101", "70.00", actor=admin), grandfather,
                                 Relation.owner, actor=admin)
            places.add_household(entrance, "102", "70.00", actor=admin)
        with unit_of_work():
            ballot = voting.draft_ballot(building, actor=moderator, question="是否同意更换7号楼单元门？",
                                         electorate=Electorate.households, secrecy=Secrecy.named,
                                         rule="simple_majority")
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
        with unit_of_work():
            meeting = meetings.schedule(building, actor=moderator, title="7号楼单元门协商会", kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=utcnow() + timedelta(hours=1),
                                        invite_residents=True, free_items=["单元门更换"])
        ids = type("Ids", (), dict(ballot=ballot.id, building=building.id, meeting=meeting.id))
        db.engine.dispose()
    return ids


def small_body_text(page, minimum) -> list[str]:
    """Text in the page's main part under ``minimum`` px, buttons and tags apart."""
    return page.evaluate("""(minimum) => [...document.querySelectorAll('main p, main li, main dd, main dt, main label, main a, main h1, main h2, main h3, main td')]
        .filter(e => e.getClientRects().length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .filter(e => !e.closest('.button, .tag, .meta, .muted, .hint, .breadcrumbs, .count, .tile-hint, .table'))
        .filter(e => parseFloat(getComputedStyle(e).fontSize) < minimum)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 20)}" `
                  + getComputedStyle(e).fontSize)""", minimum)


def test_elders_mode_is_large_high_contrast_easy_to_tap_and_votes_end_to_end(browser, live_server, elder):
    if not Path(AXE).exists():
        service_missing("axe-core (run `make install`, which installs it with npm into instance/node)")
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES["phone"], device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    sign_in(page, "13912340166", "elder password")
    # The switch is in the header of every page; it stays on the account.
    switch = page.locator(".elders-switch button")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    expect(page.locator("html")).to_have_class("elders")
    expect(page.locator(".elders-switch button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 22

    # Home: four large tiles with their counts.
    page.goto("/")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(4)
    expect(page.locator(".tile-vote .tile-count")).to_have_text("1")
    screenshot(page, "elders-home-phone")

    problems = []
    ballot = f"/ballots/{elder.ballot}"
    for path in ["/", "/?all=1", "/proposals/", "/ballots/", ballot, "/meetings/", "/inbox", "/account",
                 f"/places/{elder.building}"]:
        page.goto(path)
        where = f"elders' mode {path} at 390 px"
        problems += [f"{where}: {v}" for v in serious_violations(page)]
        problems += [f"{where}: duplicate id {i}" for i in duplicate_ids(page)]
        problems += [f"{where}: small target {t}"
                     for t in page.locator(TARGETS + ", .tile, label.choice").evaluate_all(
                         SMALL_TARGETS_SCRIPT, ELDERS_MINIMUM)]
        problems += [f"{where}: body text {t}" for t in small_body_text(page, ELDERS_TEXT)]
        problems += [f"{where}: small text {t}" for t in small_text_under(page, ELDERS_SMALLEST)]
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"], where
    assert not problems, "\n".join(problems)

    # Voting, from the home page's tile to the receipt, at 390 px.
    page.goto("/")
    page.locator(".tile-vote").click()
    page.get_by_role("link", name="是否同意更换7号楼单元门？").click()
    expect(page.locator("h1")).to_contain_text("是否同意更换7号楼单元门？")
    page.get_by_label("赞成", exact=True).check()
    screenshot(page, "elders-ballot-phone")
    page.get_by_role("button", name="投票", exact=True).click()
    expect(page.locator(".voted")).to_contain_text("您已投票")
    expect(page.locator(".voted")).to_contain_text("赞成")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"]
    screenshot(page, "elders-voted-phone")
    page.goto("/")
    expect(page.locator(".tile-vote .tile-count")).to_have_text("0")
    page.set_viewport_size(SIZES["laptop"])
    screenshot(page, "elders-home-laptop")
    context.close()


def test_a_visitor_turns_elders_mode_on_in_the_header(browser, live_server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES["phone"], base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("button", name="长辈模式").click()
    expect(page.locator("html")).to_have_class("elders")
    for path in ["/", "/login", "/register"]:
        page.goto(path)
        expect(page.locator("html")).to_have_class("elders")
        where = f"visitor in elders' mode {path}"
        problems = [f"{where}: {v}" for v in serious_violations(page)]
        problems += [f"{where}: small target {t}"
                     for t in page.locator(TARGETS).evaluate_all(SMALL_TARGETS_SCRIPT, ELDERS_MINIMUM)]
        problems += [f"{where}: body text {t}" for t in small_body_text(page, ELDERS_TEXT)]
        assert not problems, "\n".join(problems)
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"], where
    screenshot(page, "elders-register-visitor-phone")
    context.close()


def test_a_grid_worker_turns_elders_mode_on_for_a_resident_from_the_household_page(browser, live_server, e2e_database):
    """The grid worker of building 3 sets it for an elderly owner there, and back off."""
    import sqlite3

    from playwright.sync_api import expect

    with sqlite3.connect(e2e_database[0]) as connection:
        (household,) = connection.execute(
            "SELECT h.id FROM households h JOIN household_members m ON m.household_id = h.id "
            "JOIN users u ON u.id = m.user_id WHERE u.phone = '13912340088'").fetchone()
    context = browser.new_context(viewport=SIZES["phone"], base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    sign_in(page, "grid", "grid password")
    page.goto(f"/households/{household}")
    page.get_by_role("button", name="开启长辈模式").click()
    expect(page.locator(".flash-success")).to_contain_text("已为赵奶奶开启长辈模式")
    expect(page.locator(".list")).to_contain_text("使用长辈模式")
    # The grid worker's own pages stay as they were.
    expect(page.locator("html")).not_to_have_class("elders")
    assert not serious_violations(page) and not small_targets(page)
    screenshot(page, "elders-set-by-grid-worker-phone")
    page.get_by_role("button", name="关闭长辈模式").click()
    expect(page.locator(".flash-success")).to_contain_text("已为赵奶奶关闭长辈模式")
    context.close()


def test_an_elder_votes_in_the_live_room_in_elders_mode(browser, live_server, elder):
    """At 390 px in elders' mode: the room's vote, its choices and its button are large."""
    from playwright.sync_api import expect

    moderator = browser.new_context(viewport=SIZES["laptop"], base_url=live_server.url).new_page()
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto(f"/meetings/{elder.meeting}/room")
    expect(moderator.locator("#connection")).to_have_text("已连接")
    moderator.get_by_role("button", name="开始会议").click()
    expect(moderator.locator("#meeting-state")).to_have_text("进行中")

    context = browser.new_context(viewport=SIZES["phone"], device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    sign_in(page, "13912340166", "elder password")
    if page.locator(".elders-switch button").get_attribute("aria-pressed") == "false":
        page.locator(".elders-switch button").click()
    expect(page.locator("html")).to_have_class("elders")
    page.locator(".tile-meet").click()
    page.get_by_role("link", name="7号楼单元门协商会").click()
    page.get_by_role("link", name="进入会议室").click()
    expect(page.locator("#connection")).to_have_text("已连接")
    expect(moderator.locator("#attendance")).to_contain_text("孙**")

    moderator.locator("#ballot-form-box summary").click()
    moderator.get_by_label("表决事项").fill("是否同意换成不锈钢单元门？")
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(page.locator(".room-ballot")).to_contain_text("是否同意换成不锈钢单元门？")
    form = page.locator(".cast-form")
    form.get_by_label("赞成", exact=True).check()
    problems = [f"room: {v}" for v in serious_violations(page)]
    problems += [f"room: small target {t}" for t in page.locator(TARGETS + ", label.choice").evaluate_all(
        SMALL_TARGETS_SCRIPT, ELDERS_MINIMUM)]
    problems += [f"room: body text {t}" for t in small_body_text(page, ELDERS_TEXT)]
    assert not problems, "\n".join(problems)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"]
    screenshot(page, "elders-room-ballot-phone")
    form.get_by_role("button", name="投票").click()
    expect(page.locator(".room-ballot")).to_contain_text("您已投票")
    expect(moderator.locator(".room-ballot .tally")).to_contain_text("赞成 1")
    moderator.context.close()
    context.close()
