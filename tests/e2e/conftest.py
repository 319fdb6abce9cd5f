"""Browser tests: a live server in its own process (gevent, as ``make run`` serves it) on
a freshly migrated SQLite file, driven by Debian's headless Chromium through Playwright."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import config_for, migrate_to_head, service_missing
from tests.live import LiveServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "instance" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to run as root with its sandbox
    "--disable-gpu",
    "--disable-background-networking",  # no network here but loopback
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CONSULT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def e2e_database(tmp_path_factory):
    """A migrated SQLite file with a small area and one household invite code."""
    from consult import create_app
    from consult.accounts import service as accounts
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.models import PlaceKind, Relation

    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    uri = f"sqlite:///{path}"
    migrate_to_head(uri)
    app = create_app(config_for(uri))
    with app.app_context():
        with unit_of_work():
            admin = User(name="管理员", username="admin", password_hash=hash_password("admin password"))
            db.session.add_all([admin, RoleGrant(user=admin, role=Role.administrator)])
            db.session.flush()
            sub = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=admin)
            fc = places.create_place(sub, PlaceKind.community, "富成花园社区", actor=admin)
            b = places.create_place(fc, PlaceKind.building, "3号楼", actor=admin)
            e = places.create_place(b, PlaceKind.entrance, "2单元", actor=admin)
            household = places.add_household(e, "502", "89.60", actor=admin)
            code = accounts.issue_invite(household, actor=admin).code
            moderator = User(name="李书记", username="moderator", password_hash=hash_password("moderator password"))
            db.session.add_all([moderator, RoleGrant(user=moderator, role=Role.moderator, place=fc)])
            neighbour = User(name="王大爷", phone="13912340077", password_hash=hash_password("resident password"))
            db.session.add(neighbour)
            places.attach_member(places.add_household(e, "503", "72.10", actor=admin), neighbour,
                                 Relation.owner, actor=admin)
            # An elderly owner without the app, whose vote a grid worker enters from paper.
            grandmother = User(name="赵奶奶", phone="13912340088")
            db.session.add(grandmother)
            places.attach_member(places.add_household(e, "504", "65.00", actor=admin), grandmother,
                                 Relation.owner, actor=admin)
            grid = User(name="陈网格员", username="grid", password_hash=hash_password("grid password"))
            db.session.add_all([grid, RoleGrant(user=grid, role=Role.grid_worker, place=b)])
        db.engine.dispose()
    return path, code


@pytest.fixture(scope="session")
def live_server(e2e_database):
    server = LiveServer(e2e_database[0])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def invite_code(e2e_database):
    return e2e_database[1]


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        service_missing("Chromium (install Debian's chromium package, or set CONSULT_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A fresh browser profile at a phone's size. Fails the test on a script error, a
    console error, or a stylesheet, image or script that did not load. (A page itself may
    answer 422 or 403: that is what the tests look at.)"""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and not msg.text.startswith("Failed to load resource")
            and errors.append(msg.text))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
            and errors.append(f"{r.status} {r.url}"))
    yield page
    context.close()
    assert not errors, errors


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, login, password):
    """Sign in through the login page, as a person would."""
    page.goto("/login")
    page.get_by_label("手机号或用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
