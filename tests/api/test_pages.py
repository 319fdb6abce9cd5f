"""The account page's tokens and the administrators' app clients."""
import re

from sqlalchemy import select

from consult.accounts.models import Role
from consult.api import service
from consult.api.models import ApiClient, ApiToken
from consult.extensions import db


def test_a_person_creates_a_token_that_is_shown_once_and_revokes_it(client, auth, api, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    assert "/account/api-tokens" in client.get("/account").get_data(as_text=True)
    created = client.post_form("/account/api-tokens", {"name": "楼门公告屏", "days": "30"})
    page = created.get_data(as_text=True)
    secret = re.search(r'<code id="secret">([^<]+)</code>', page).group(1)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    assert api(secret).get("/api/v1/me").get_json()["id"] == person.id
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "楼门公告屏" in listing and secret not in listing and secret[:10] in listing
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == service.digest(secret)
    client.post_form(f"/account/api-tokens/{stored.id}/revoke")
    assert api(secret).get("/api/v1/me").status_code == 401


def test_a_token_needs_a_name_and_a_lifetime_within_bounds(client, auth, make_user):
    make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    assert client.post_form("/account/api-tokens", {"name": "", "days": "30"}).status_code == 422
    assert client.post_form("/account/api-tokens", {"name": "x", "days": "9999"}).status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_another_persons_token(client, auth, make_user, make_token):
    owner = make_user("王秀英")
    make_token(owner)
    make_user("李明", phone="13900000002")
    auth.login("13900000002")
    stored = db.session.scalar(select(ApiToken))
    assert client.post_form(f"/account/api-tokens/{stored.id}/revoke").status_code == 404
    db.session.refresh(stored)
    assert stored.revoked_at is None


def test_an_administrator_registers_an_app_and_it_gets_tokens(client, auth, api, tree, make_user):
    make_user("社区管理员", username="fc-admin", role=Role.administrator, place=tree.fc)
    board = make_user("公告屏账号", username="board")
    auth.login("fc-admin")
    page = client.post_form("/admin/api-clients", {"name": "公告屏", "account": "board",
                                                   "places": str(tree.fc.id), "scopes": "read"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    client_id = re.search(r"client_id: <code>([^<]+)</code>", text).group(1)
    secret = re.search(r'<code id="secret">([^<]+)</code>', text).group(1)
    token = api().client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": "Basic " + __import__("base64").b64encode(
                                  f"{client_id}:{secret}".encode()).decode()}).get_json()["access_token"]
    assert api(token).get("/api/v1/me").get_json()["id"] == board.id
    registered = db.session.scalar(select(ApiClient))
    assert registered.place_ids == [tree.fc.id] and registered.secret_hash == service.digest(secret)
    client.post_form(f"/admin/api-clients/{registered.id}/revoke")
    assert api(token).get("/api/v1/me").status_code == 401


def test_a_resident_may_not_register_apps(client, auth, tree, make_user, make_household):
    make_user("王秀英", phone="13900000001", household=make_household(tree.e1))
    auth.login("13900000001")
    assert client.get("/admin/api-clients").status_code == 403
