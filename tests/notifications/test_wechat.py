"""The WeChat official account: the channel against a local server that speaks the
documented API (the access token, template messages, errcodes), and linking a person's
WeChat by the web OAuth flow from the account page or a QR code."""
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications import service as notifications
from consult.notifications.outbox import Delivery, DeliverySetting

from .servers import WeChatServer

TEMPLATES = {"ballot.opened": "TPL-ballot-opened", "meeting.invited": "TPL-meeting"}


@pytest.fixture
def wechat(app):
    with WeChatServer() as server:
        server.configure(app, WECHAT_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False,
                         SITE_URL="https://consult.test")
        clock.set_now(datetime(2026, 12, 2, 2, 0))   # 10:00 in Beijing
        yield server
        clock.set_now(None)


@pytest.fixture
def linked(make_user):
    count = []

    def make(**setting):
        count.append(1)
        person = make_user(f"业主{len(count)}", phone=f"1390000{len(count):04d}")
        db.session.add(DeliverySetting(user_id=person.id, wechat_openid=f"o-openid-{len(count)}",
                                       wechat_linked_at=clock.utcnow(), **setting))
        db.session.commit()
        return person
    return make


def rows():
    db.session.commit()
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == "wechat").order_by(Delivery.id)))


def test_a_template_message_goes_to_the_linked_openid_and_opens_the_page(app, wechat, linked):
    owner = linked()
    with unit_of_work():
        notifications.notify([owner], "ballot.opened", question="加装电梯的表决，请在线投票，截止下周五中午", ballot=12)
    assert outbox.send_all().sent == 1
    (message,) = wechat.sent
    (row,) = rows()
    assert message["touser"] == "o-openid-1" and message["template_id"] == "TPL-ballot-opened"
    assert message["url"] == "https://consult.test/ballots/12"
    assert message["client_msg_id"] == row.dedupe_key
    assert message["data"]["thing1"]["value"] == "加装电梯的表决，请在线投票，截止下周五…"
    assert len(message["data"]["thing2"]["value"]) <= 20
    assert row.status == "sent" and row.provider_message_id == "1001"
    assert len(wechat.tokens_issued) == 1


def test_a_kind_without_a_template_is_not_sent_by_wechat(app, wechat, linked):
    owner = linked()
    with unit_of_work():
        notifications.notify([owner], "meeting.cancelled", title="业主大会", meeting=3)
    assert rows() == []


def test_an_invalid_or_expired_token_is_fetched_again_and_the_send_retried(app, wechat, linked):
    people = [linked(), linked(), linked()]
    with unit_of_work():
        notifications.notify(people[:1], "ballot.opened", question="表决", ballot=1)
    assert outbox.send_all().sent == 1
    wechat.revoke()                       # e.g. another installation asked for a new one
    wechat.answers = ["ok", "expired"]
    with unit_of_work():
        notifications.notify(people[1:], "ballot.opened", question="表决", ballot=2)
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    assert outbox.send_all().sent == 2
    assert [row.status for row in rows()] == ["sent", "sent", "sent"]
    assert len(wechat.tokens_issued) == 3 and len(wechat.sent) == 3


def test_rate_limits_are_tried_again_and_an_unfollowed_account_given_up(app, wechat, linked):
    first, second = linked(), linked()
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1
    wechat.answers = ["rate", "unfollowed"]
    with unit_of_work():
        notifications.notify([first, second], "ballot.opened", question="表决", ballot=1)
    result = outbox.send_all()
    assert (result.sent, result.failed, result.gave_up) == (0, 1, 1)
    by_user = {row.user_id: row for row in rows()}
    assert by_user[first.id].status == "failed" and "45009" in by_user[first.id].last_error
    assert by_user[second.id].status == "gave_up" and "43004" in by_user[second.id].last_error
    clock.advance(minutes=5)
    assert outbox.send_all().sent == 1
    assert [m["touser"] for m in wechat.sent] == ["o-openid-1"]


def test_a_wrong_secret_gives_no_token_and_nothing_is_sent(app, wechat, linked):
    app.config["WECHAT_APP_SECRET"] = "not-the-secret"
    with unit_of_work():
        notifications.notify([linked()], "ballot.opened", question="表决", ballot=1)
    assert outbox.send_all().gave_up == 1
    assert "40125" in rows()[0].last_error and wechat.sent == []


def test_wechat_is_a_channel_people_choose_per_kind(app, client, auth, wechat, linked):
    person = linked()
    auth.login(person.phone)
    page = client.get("/account/messages").get_data(as_text=True)
    assert 'value="wechat:ballot"' in page and "解除微信绑定" in page
    assert client.post_form("/account/messages", {"channel": ["wechat:meeting"]}).status_code == 302
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="表决", ballot=1)
        notifications.notify([person], "meeting.invited", title="会", meeting=1)
    (row,) = rows()
    assert row.address == "o-openid-1"
    assert outbox.send_all().sent == 1 and wechat.sent[0]["template_id"] == "TPL-meeting"


def test_without_credentials_wechat_is_off_and_the_page_says_so(app, client, auth, linked):
    person = linked()
    app.config.update(WECHAT_APP_ID=None, WECHAT_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False)
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="表决", ballot=1)
    assert rows() == []
    auth.login(person.phone)
    page = client.get("/account/messages").get_data(as_text=True)
    assert "本站不发送微信消息。" in page
    assert client.get("/account/messages/wechat").status_code == 404


def _link_state(response) -> dict:
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/connect/oauth2/authorize" and target.fragment == "wechat_redirect"
    return {key: values[0] for key, values in parse_qs(target.query).items()}


def test_a_person_links_their_wechat_by_oauth_and_unlinks_it(app, client, auth, wechat, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    query = _link_state(client.get("/account/messages/wechat"))
    assert query["appid"] == wechat.app_id and query["scope"] == "snsapi_base"
    assert query["redirect_uri"] == "https://consult.test/account/messages/wechat/back"
    # a state that is not this browser's links nothing
    refused = client.get("/account/messages/wechat/back", query_string={
        "code": wechat.authorize("o-someone-else"), "state": "forged-state"})
    assert refused.status_code == 302
    assert db.session.get(DeliverySetting, person.id) is None
    query = _link_state(client.get("/account/messages/wechat"))
    back = client.get("/account/messages/wechat/back", query_string={
        "code": wechat.authorize("o-wang"), "state": query["state"]})
    assert back.status_code == 302 and back.headers["Location"].endswith("/account/messages")
    setting = db.session.get(DeliverySetting, person.id)
    assert setting.wechat_openid == "o-wang" and setting.wechat_linked_at is not None
    # the same state cannot be used twice
    again = client.get("/account/messages/wechat/back", query_string={
        "code": wechat.authorize("o-other"), "state": query["state"]})
    assert again.status_code == 302
    db.session.refresh(setting)
    assert setting.wechat_openid == "o-wang"
    page = client.get("/account/messages").get_data(as_text=True)
    assert "解除微信绑定" in page
    assert client.post_form("/account/messages/wechat/remove").status_code == 302
    db.session.refresh(setting)
    assert setting.wechat_openid is None


def test_a_phone_scanning_the_qr_code_links_the_account_shown(app, client, auth, wechat, make_user):
    person = make_user("王秀英", phone="13900000001")
    other = make_user("李四", phone="13900000002")
    db.session.add(DeliverySetting(user_id=other.id, wechat_openid="o-taken"))
    db.session.commit()
    auth.login("13900000001")
    page = client.get("/account/messages").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    from consult.notifications import wechat_link

    with app.test_request_context():
        state = parse_qs(urlsplit(wechat_link.qr_url(person)).query)["state"][0]
    phone = app.test_client()   # WeChat's browser on the phone: no session of the site
    taken = phone.get("/account/messages/wechat/back", query_string={"code": wechat.authorize("o-taken"),
                                                                      "state": state})
    assert taken.status_code == 400 and "已接收另一个账号" in taken.get_data(as_text=True)
    linked = phone.get("/account/messages/wechat/back", query_string={"code": wechat.authorize("o-phone"),
                                                                       "state": state})
    assert linked.status_code == 200
    assert db.session.get(DeliverySetting, person.id).wechat_openid == "o-phone"
    forged = phone.get("/account/messages/wechat/back", query_string={
        "code": wechat.authorize("o-x"), "state": f"q.{other.id}.forged.signature"})
    assert forged.status_code == 400
    assert db.session.get(DeliverySetting, other.id).wechat_openid == "o-taken"
