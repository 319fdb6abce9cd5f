"""Sessions end on the server: a cookie kept from before a sign-out, or from a device
signed out elsewhere, idle too long or signed in too long ago, opens nothing."""
from datetime import datetime, timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select

from consult.accounts import service as accounts
from consult.accounts.models import SignIn
from consult.clock import advance, travel_to
from consult.extensions import db
from tests.conftest import PASSWORD, AuthActions, FormClient
from tests.meetings.conftest import cast, meeting  # noqa: F401  (fixtures)
from tests.meetings.test_live import Phone, act

PHONE = "13912345678"
ANDROID_WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2148A) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.40")
WINDOWS_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")


def device(app, user_agent=None, address="127.0.0.1") -> FormClient:
    """Another browser, signed in as the resident."""
    other = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    other.environ_base.update({"REMOTE_ADDR": address, **{f"HTTP_{k.upper().replace('-', '_')}": v
                                                          for k, v in headers.items()}})
    AuthActions(other).login(PHONE)
    return other


def copy_of(source: FormClient, app) -> FormClient:
    """A fresh browser holding the session cookie copied from ``source``."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def signed_in(browser: FormClient) -> bool:
    response = browser.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_copied_cookie_does_not_open_the_account_after_sign_out(app, client, auth, make_user):
    make_user(phone=PHONE)
    auth.login(PHONE)
    thief = copy_of(client, app)
    assert signed_in(thief)              # the copy works while the sign-in lasts
    auth.logout()
    assert not signed_in(thief)          # and not after the sign-out
    assert not signed_in(client)


def test_remember_cookie_does_not_open_an_ended_sign_in(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    auth.login(PHONE)
    thief = copy_of(client, app)
    auth.logout()
    with app.test_request_context():
        thief.set_cookie("remember_token", encode_cookie(str(user.id)))
    assert not signed_in(thief)
    stranger = app.test_client()
    with app.test_request_context():
        stranger.set_cookie("remember_token", encode_cookie(str(user.id)))
    assert not signed_in(stranger)


def test_sign_in_records_device_and_network_not_address(app, make_user):
    user = make_user(phone=PHONE)
    device(app, ANDROID_WECHAT, "203.0.113.77")
    sign_in = db.session.scalar(select(SignIn).where(SignIn.user_id == user.id))
    assert sign_in.device == "WeChat · Android"
    assert sign_in.network == "203.0.113.0/24"
    assert sign_in.ended_at is None and len(sign_in.token) == 32


@pytest.mark.parametrize("user_agent, words", [
    (ANDROID_WECHAT, "WeChat · Android"),
    (WINDOWS_EDGE, "Edge · Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Mobile/15E148 Safari/604.1", "Safari · iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox · Linux"),
    ("curl/8.0", ""),
    (None, ""),
])
def test_describe_device(user_agent, words):
    assert accounts.describe_device(user_agent) == words


@pytest.mark.parametrize("address, network", [
    ("203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:1:2::5", "2001:db8:1::/48"),
    ("unknown", None),
])
def test_network_of(address, network):
    assert accounts.network_of(address) == network


def test_idle_sign_in_ends(app, client, auth, make_user):
    make_user(phone=PHONE)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    with travel_to(datetime(2026, 3, 1, 8, 0)):
        auth.login(PHONE)
        advance(seconds=idle.total_seconds() - 60)
        assert signed_in(client)                 # used just in time: the idle time starts again
        advance(seconds=idle.total_seconds() - 60)
        assert signed_in(client)
        advance(seconds=idle.total_seconds())
        assert not signed_in(client)
        auth.login(PHONE)                        # signing in again works
        assert signed_in(client)


def test_sign_in_ends_after_the_longest_time_however_busy(app, client, auth, make_user):
    make_user(phone=PHONE)
    longest = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    with travel_to(datetime(2026, 3, 1, 8, 0)):
        auth.login(PHONE)
        for _ in range(longest.days - 1):
            advance(days=1)
            assert signed_in(client)
        advance(days=1)
        assert not signed_in(client)


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    start = datetime(2026, 3, 1, 8, 0)
    with travel_to(start):
        auth.login(PHONE)
        advance(seconds=30)
        client.get("/account")
        last_seen = lambda: db.session.scalar(select(SignIn.last_seen_at).where(SignIn.user_id == user.id))  # noqa: E731
        assert last_seen() == start
        advance(seconds=31)
        client.get("/account")
        assert last_seen() == start + timedelta(seconds=61)


def test_account_page_lists_live_devices(app, client, auth, make_user):
    make_user(phone=PHONE)
    device(app, ANDROID_WECHAT, "203.0.113.77")
    gone = device(app, WINDOWS_EDGE, "198.51.100.3")
    AuthActions(gone).logout()
    client.environ_base["HTTP_USER_AGENT"] = WINDOWS_EDGE
    auth.login(PHONE)
    page = client.get("/account").get_data(as_text=True)
    assert "WeChat · Android" in page and "203.0.113.0/24" in page
    assert "198.51.100.0/24" not in page          # signed out: not listed
    assert page.count("本设备") == 1
    assert "203.0.113.77" not in page


def test_ending_one_device_from_the_list(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    phone = device(app, ANDROID_WECHAT)
    auth.login(PHONE)
    other = db.session.scalar(select(SignIn).where(SignIn.user_id == user.id, SignIn.device == "WeChat · Android"))
    response = client.post_form(f"/account/sign-ins/{other.id}/end")
    assert response.status_code == 302
    assert not signed_in(phone)
    assert signed_in(client)


def test_ending_a_device_needs_the_csrf_token(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    phone = device(app, ANDROID_WECHAT)
    auth.login(PHONE)
    other = db.session.scalar(select(SignIn).where(SignIn.user_id == user.id, SignIn.device == "WeChat · Android"))
    assert client.post(f"/account/sign-ins/{other.id}/end").status_code == 400
    assert signed_in(phone)


def test_nobody_ends_anothers_device(app, client, auth, make_user):
    make_user(phone=PHONE)
    neighbour = make_user("邻居", phone="13900001111")
    theirs = device(app)  # signed in as the resident
    AuthActions(client).login("13900001111")
    sign_in = db.session.scalar(select(SignIn).where(SignIn.user_id != neighbour.id))
    assert client.post_form(f"/account/sign-ins/{sign_in.id}/end").status_code == 404
    assert signed_in(theirs)


def test_sign_out_everywhere(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    phones = [device(app), device(app)]
    auth.login(PHONE)
    thief = copy_of(client, app)
    response = client.post_form("/account/sign-ins/end-all")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not any(signed_in(b) for b in [*phones, client, thief])
    assert db.session.scalar(select(func.count()).select_from(SignIn)
                             .where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))) == 0


def test_password_change_ends_the_other_devices_records(app, client, auth, make_user):
    user = make_user(phone=PHONE)
    phone = device(app)
    auth.login(PHONE)
    client.post_form("/account/password", {"current": PASSWORD, "password": "a brand new password",
                                           "confirm": "a brand new password"})
    assert signed_in(client) and not signed_in(phone)
    assert db.session.scalar(select(func.count()).select_from(SignIn)
                             .where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))) == 1


def test_deactivation_ends_every_sign_in(app, client, auth, admin, make_user):
    person = make_user(phone=PHONE)
    phone = device(app)
    auth.login("admin")
    page = client.post_form(f"/people/{person.id}/active", {"active": ""}, follow_redirects=True)
    assert "账号已停用：对方不能再登录，已登录的设备也已退出。" in page.get_data(as_text=True)
    assert not signed_in(phone)
    assert db.session.scalar(select(func.count()).select_from(SignIn)
                             .where(SignIn.user_id == person.id, SignIn.ended_at.is_(None))) == 0


# --- the live room authenticates through the same sign-in -------------------------------------

def _socket(app, browser, meeting):
    return Phone(app, browser, {"meeting": meeting.id})


def test_socket_with_a_cookie_copied_before_sign_out_is_refused(app, meeting, cast):  # noqa: F811
    http = app.test_client()
    AuthActions(http).login("13900000001")
    thief = copy_of(http, app)
    assert _socket(app, thief, meeting).is_connected()
    AuthActions(http).logout()
    assert not _socket(app, copy_of(thief, app), meeting).is_connected()


def test_socket_of_an_idle_sign_in_is_refused_and_stops_acting(app, meeting, cast):  # noqa: F811
    http = app.test_client()
    with travel_to(datetime(2026, 3, 1, 8, 0)):
        AuthActions(http).login("13900000001")
        room = _socket(app, http, meeting)
        assert room.is_connected()
        advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        answer = act(room, "raise_hand")
        assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"
        assert not _socket(app, copy_of(http, app), meeting).is_connected()
