"""The main pages of every role, on a phone (390 px) and on a laptop (1366 px), checked by
axe-core in Chromium: no serious or critical violation, no two elements sharing an id, and
every menu link, breadcrumb, back link and button at least 44 × 44 px to tap, and no text
under 16 px.

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


def small_targets(page) -> list[str]:
    return page.locator(TARGETS).evaluate_all("""(all, minimum) => all
        .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && r.height > 0 && (r.width < minimum || r.height < minimum))
        .map(([e, r]) => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 20)}" `
                         + `${Math.round(r.width)}×${Math.round(r.height)}`)""", MINIMUM)


def small_text(page) -> list[str]:
    """Text under 16 px: elderly readers need at least that, meta text included."""
    return page.evaluate("""() => [...document.body.querySelectorAll('*')]
        .filter(e => !e.closest('svg') && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                     && e.getClientRects().length)
        .filter(e => parseFloat(getComputedStyle(e).fontSize) < 15.5)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 20)}" `
                  + getComputedStyle(e).fontSize)""")


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
