import re

import pytest
from sqlalchemy import func, select

from consult.accounts import service as accounts
from consult.accounts.models import InviteCode, Role, User
from consult.database import unit_of_work
from consult.extensions import db
from tests.conftest import PASSWORD

AGREED = {"consent": "y", "notice_version": "0"}   # the built-in privacy notice, agreed to


def session_cookie(response):
    return next((c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), "")


def test_login_by_phone_and_logout(client, auth, make_user):
    make_user("王秀英", phone="13912345678")
    response = auth.login("13912345678")
    assert response.status_code == 302
    assert "王秀英" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/account").status_code == 302  # back to sign-in


def test_login_wrong_password_shows_message(client, auth, make_user):
    make_user(phone="13912345678")
    response = auth.login("13912345678", "wrong password")
    assert response.status_code == 422
    assert "密码错误" in response.get_data(as_text=True)


def test_login_is_throttled(client, auth, make_user, app):
    make_user(phone="13912345678")
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert auth.login("13912345678", "wrong password").status_code == 422
    assert auth.login("13912345678").status_code == 429


def test_session_is_renewed_at_login(client, auth, make_user):
    make_user(phone="13912345678")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    auth.login("13912345678")
    with client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" in sess


def test_session_cookie_flags(client, auth, make_user):
    make_user(phone="13912345678")
    cookie = session_cookie(auth.login("13912345678"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client, make_user):
    make_user(phone="13912345678")
    token = client.csrf_token()
    response = client.post("/login", data={"identifier": "13912345678", "password": PASSWORD,
                                           "csrf_token": token}, base_url="https://localhost")
    assert "Secure" in session_cookie(response)


def test_post_without_csrf_token_refused(client, make_user):
    make_user(phone="13912345678")
    response = client.post("/login", data={"identifier": "13912345678", "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_register_with_invite_code(client, tree, make_household, admin):
    household = make_household(tree.e1, "101")
    with unit_of_work():
        code = accounts.issue_invite(household, actor=admin).code
    response = client.post_form("/register", {
        "code": code, "name": "王秀英", "phone": "139 1234 5678", "relation": "owner",
        "password": "a long password", "confirm": "a long password", **AGREED})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == "13912345678"))
    assert user.households == [household]
    assert "王秀英" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("change, status", [
    ({"code": "WRONG123"}, 422),
    ({"phone": "12"}, 422),
    ({"confirm": "another password"}, 422),
    ({"name": "名" * 51}, 422),
    ({"consent": ""}, 422),
    ({"notice_version": "1"}, 409),
])
def test_register_bad_input_changes_nothing(client, tree, make_household, admin, change, status):
    household = make_household(tree.e1, "101")
    with unit_of_work():
        code = accounts.issue_invite(household, actor=admin).code
    data = {"code": code, "name": "王秀英", "phone": "13912345678", "relation": "owner",
            "password": "a long password", "confirm": "a long password", **AGREED, **change}
    response = client.post_form("/register", data)
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the administrator
    assert db.session.scalar(select(InviteCode.used_at)) is None


def test_used_code_is_refused_on_the_page(client, tree, make_household, admin):
    household = make_household(tree.e1, "101")
    with unit_of_work():
        code = accounts.issue_invite(household, actor=admin).code
    form = {"code": code, "name": "王秀英", "phone": "13912345678", "relation": "owner",
            "password": "a long password", "confirm": "a long password", **AGREED}
    assert client.post_form("/register", form).status_code == 302
    client.post_form("/logout")
    response = client.post_form("/register", {**form, "phone": "13912345679"})
    assert response.status_code == 422
    assert "已被使用" in response.get_data(as_text=True)


def test_change_password_signs_out_other_devices(app, client, auth, make_user):
    make_user(phone="13912345678")
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login("13912345678")
    auth.login("13912345678")
    response = client.post_form("/account/password", {
        "current": PASSWORD, "password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200       # this device stays signed in
    assert other.get("/account").status_code == 302        # the other one is signed out


def test_language_is_switched_and_remembered(client, auth, make_user):
    user = make_user(phone="13912345678")
    auth.login("13912345678")
    client.post_form("/language", {"locale": "en", "next": "/"})
    assert "My households" in client.get("/").get_data(as_text=True)
    assert db.session.get(User, user.id).locale == "en"
    auth.logout()
    auth.login("13912345678")
    assert "My households" in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_foreign_redirects(client):
    response = client.post_form("/language", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("url", ["/account", "/account/password", "/admin/people", "/places/", "/places/1"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_resident_cannot_open_administration(client, auth, tree, make_household, make_user):
    make_user(phone="13912345678", household=make_household(tree.e1))
    auth.login("13912345678")
    assert client.get("/admin/people").status_code == 403
    assert client.get("/admin/people/new").status_code == 403
    assert client.get(f"/places/{tree.fc.id}/import").status_code == 403
    assert client.get(f"/places/{tree.fc.id}/audit").status_code == 403
    assert client.get(f"/places/{tree.fc.id}/edit").status_code == 403


def test_admin_creates_account_and_sees_password_once(client, auth, admin, tree, make_household):
    household = make_household(tree.e1)
    auth.login("admin")
    response = client.post_form("/admin/people/new", {
        "name": "李桂兰", "phone": "13900001111", "username": "", "password": "",
        "household_id": str(household.id), "relation": "family"}, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    password = re.search(r"密码是 (\S+) ——", text)
    assert password, text
    person = db.session.scalar(select(User).where(User.phone == "13900001111"))
    assert person.households == [household]


def test_admin_create_account_duplicate_phone(client, auth, admin, make_user):
    make_user(phone="13900001111")
    auth.login("admin")
    response = client.post_form("/admin/people/new", {
        "name": "李桂兰", "phone": "13900001111", "username": "", "password": "", "relation": "owner"})
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(User).where(User.name == "李桂兰")) == 0


def test_people_list_is_scoped_to_the_administrators_places(client, auth, tree, make_user, make_household):
    make_user("富成居民", household=make_household(tree.e1))
    make_user("嘉铭居民", household=make_household(tree.jb))
    make_user("社区管理员", username="fcadmin", role=Role.administrator, place=tree.fc)
    auth.login("fcadmin")
    text = client.get("/admin/people").get_data(as_text=True)
    assert "富成居民" in text and "嘉铭居民" not in text


def test_admin_corrects_a_persons_record(client, auth, admin, make_user):
    person = make_user("王小民", phone="13900001111")
    make_user("别人", phone="13900002222")
    auth.login("admin")
    response = client.post_form(f"/people/{person.id}", {"name": "王小明", "phone": "13900001112", "username": ""})
    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.name, person.phone) == ("王小明", "13900001112")
    response = client.post_form(f"/people/{person.id}", {"name": "王小明", "phone": "13900002222", "username": ""})
    assert response.status_code == 409
    db.session.refresh(person)
    assert person.phone == "13900001112"


def test_person_page_is_closed_to_other_residents(client, auth, tree, make_household, make_user):
    other = make_user("邻居", household=make_household(tree.e1, "102"))
    make_user(phone="13912345678", household=make_household(tree.e1, "101"))
    auth.login("13912345678")
    assert client.get(f"/people/{other.id}").status_code == 403


def test_saving_an_email_address_says_what_it_is_for(client, auth, make_user):
    make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    page = client.post_form("/account", {"email": "wang@example.org"}, follow_redirects=True).get_data(as_text=True)
    assert "邮箱已保存：消息也会发到这个邮箱。" in page
    page = client.post_form("/account", {"email": ""}, follow_redirects=True).get_data(as_text=True)
    assert "邮箱已删除：消息只在应用内通知您。" in page
