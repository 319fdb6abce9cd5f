"""The privacy notice: shown and agreed to at registration, versioned by administrators,
and asked for again from everyone signed in when a new version is published."""
import re

import pytest
from sqlalchemy import select

from consult.accounts import consent
from consult.accounts import service as accounts
from consult.accounts.models import Consent, PrivacyNotice, Role, User
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.errors import Conflict, NotAllowed
from consult.extensions import db
from tests.conftest import AuthActions

FORM = {"name": "王秀英", "phone": "13912345678", "relation": "owner",
        "password": "a long password", "confirm": "a long password"}


@pytest.fixture
def code(tree, make_household, admin):
    household = make_household(tree.e1, "101")
    with unit_of_work():
        return accounts.issue_invite(household, actor=admin).code


def _publish(admin, body="**收集**：姓名、手机号。") -> PrivacyNotice:
    with unit_of_work():
        return consent.publish_notice(body, actor=admin)


def test_registration_shows_the_notice_and_records_consent(client, code):
    page = client.get(f"/register?code={code}").get_data(as_text=True)
    assert "我们收集什么" in page and "谁能看到" in page and "多长时间" in page
    assert 'name="notice_version" type="hidden" value="0"' in page
    response = client.post_form("/register", {"code": code, **FORM, "consent": "y", "notice_version": "0"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == "13912345678"))
    assert [(c.version, c.user_id) for c in db.session.scalars(select(Consent))] == [(0, user.id)]


def test_registration_without_consent_is_refused(client, code):
    response = client.post_form("/register", {"code": code, **FORM, "notice_version": "0"})
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.phone == "13912345678")) is None


def test_registration_agrees_to_the_published_version(client, code, admin):
    notice = _publish(admin, "**本小区的说明**")
    page = client.get("/register").get_data(as_text=True)
    assert "<strong>本小区的说明</strong>" in page
    stale = client.post_form("/register", {"code": code, **FORM, "consent": "y", "notice_version": "0"})
    assert stale.status_code == 409                       # agreed to a text no longer in force
    response = client.post_form("/register", {"code": code, **FORM, "consent": "y",
                                              "notice_version": str(notice.version)})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200       # agreed at registration: not asked again


def test_only_installation_administrators_publish(tree, make_user, admin):
    local = make_user("社区管理员", username="fcadmin", role=Role.administrator, place=tree.fc)
    with pytest.raises(NotAllowed):
        consent.publish_notice("text", actor=local)
    first, second = _publish(admin, "v1"), _publish(admin, "v2")
    assert (first.version, second.version) == (1, 2)
    assert consent.current_notice() == (2, "v2")
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "privacy_notice.publish"


def test_administrator_edits_the_notice_on_a_page(client, auth, admin):
    auth.login("admin")
    page = client.get("/admin/privacy-notice").get_data(as_text=True)
    assert "我们收集什么" in page                            # the built-in text, to start from
    response = client.post_form("/admin/privacy-notice", {"body": "新的说明"})
    assert response.status_code == 302
    assert consent.current_notice() == (1, "新的说明")


def test_residents_cannot_edit_the_notice(client, auth, make_user):
    make_user(phone="13912345678")
    auth.login("13912345678")
    assert client.get("/admin/privacy-notice").status_code == 403
    assert client.post_form("/admin/privacy-notice", {"body": "x"}).status_code == 403
    assert db.session.scalar(select(PrivacyNotice)) is None


def test_a_new_version_asks_signed_in_people_again(client, auth, admin, make_user):
    make_user(phone="13912345678")
    auth.login("13912345678")
    assert client.get("/account").status_code == 200       # nothing published: nothing to ask
    notice = _publish(admin, "第二版说明")
    response = client.get("/account")
    assert response.status_code == 302 and "/consent" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第二版说明" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    blocked = client.post("/account", data={"email": "", "csrf_token": token})
    assert blocked.status_code == 302 and "/consent" in blocked.headers["Location"]
    agreed = client.post("/consent?next=/account", data={"notice_version": str(notice.version), "csrf_token": token})
    assert agreed.status_code == 302 and agreed.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    _publish(admin, "第三版说明")
    assert client.get("/").status_code == 302              # and again for the next version


def test_without_consent_one_can_still_leave_and_take_the_data(client, auth, admin, make_user):
    make_user(phone="13912345678")
    auth.login("13912345678")
    _publish(admin)
    assert client.get("/account/data.json").status_code == 200
    assert client.get("/account/delete").status_code == 200
    page = client.get("/consent").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302 and "/login" in client.get("/account").headers["Location"]


def test_consent_to_an_outdated_version_is_refused(admin, make_user):
    person = make_user()
    _publish(admin, "v1")
    _publish(admin, "v2")
    with pytest.raises(Conflict):
        consent.record_consent(person, 1)
    assert consent.needs_consent(person)
    with unit_of_work():
        consent.record_consent(person, 2)
    assert not consent.needs_consent(person)


def test_consents_are_in_my_data(client, code):
    client.post_form("/register", {"code": code, **FORM, "consent": "y", "notice_version": "0"})
    data = client.get("/account/data.json").get_json()
    assert [c["version"] for c in data["consents"]] == [0]


def test_other_devices_are_asked_too(app, client, auth, admin, make_user):
    make_user(phone="13912345678")
    other = app.test_client()
    AuthActions(other).login("13912345678")
    auth.login("13912345678")
    notice = _publish(admin)
    page = client.get("/consent").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/consent", data={"notice_version": str(notice.version), "csrf_token": token}).status_code == 302
    assert other.get("/account").status_code == 200        # the consent is the person's, not the device's
