"""Web push: a browser subscribes on the account page; messages are pushed to a local push
service that checks the VAPID signature and decrypts the payload with the browser's key."""
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications import service as notifications
from consult.notifications.outbox import Delivery
from consult.notifications.push import PushSubscription

from .servers import PushService


@pytest.fixture
def push(app):
    vapid = Vapid()
    vapid.generate_keys()
    public = b64urlencode(vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    with PushService() as service:
        app.config.update(VAPID_PRIVATE_KEY=vapid.private_pem().decode(), VAPID_PUBLIC_KEY=public,
                          VAPID_SUBJECT="mailto:operator@example.org", OUTBOX_SEND_AFTER_COMMIT=False,
                          SITE_URL="https://consult.test")
        service.server_key = public
        # Pushes wait out the night's quiet hours: these tests run at a time of day.
        clock.set_now(datetime(2026, 12, 2, 2, 0))   # 10:00 in Beijing
        yield service
        clock.set_now(None)


def subscribe(client, subscription):
    token = client.csrf_token()
    return client.post("/account/push", json=subscription, headers={"X-CSRFToken": token})


def test_a_subscribed_browser_gets_the_message_encrypted_and_signed(app, client, auth, push, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    page = client.get("/account/messages").get_data(as_text=True)
    assert 'id="push-on"' in page and app.config["VAPID_PUBLIC_KEY"] in page
    assert client.post("/account/push", json=push.subscription()).status_code == 400   # no CSRF token
    assert subscribe(client, push.subscription()).status_code == 201
    assert subscribe(client, {"endpoint": "javascript:alert(1)", "keys": {}}).status_code == 422
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="加装电梯", ballot=5)
    result = outbox.send_all()
    assert result.sent == 1, db.session.scalar(select(Delivery.last_error))
    assert push.bad_signatures == 0
    (payload,) = push.payloads
    delivery = db.session.scalar(select(Delivery).where(Delivery.channel == "push"))
    assert payload["url"] == "https://consult.test/ballots/5" and "加装电梯" in payload["title"]
    assert payload["tag"] == delivery.dedupe_key
    assert client.get("/sw.js").headers["Service-Worker-Allowed"] == "/"
    assert client.get("/manifest.webmanifest").mimetype == "application/manifest+json"


def test_an_ended_subscription_is_forgotten_and_a_busy_service_retried(app, client, auth, push, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    assert subscribe(client, push.subscription("one")).status_code == 201
    assert subscribe(client, push.subscription("two")).status_code == 201
    push.answers = ["busy", "busy"]
    app.config["OUTBOX_RETRY_SECONDS"] = 0   # due again at once
    with unit_of_work():
        notifications.notify([person], "meeting.invited", title="业主大会", meeting=2)
    assert outbox.send_all().failed == 1
    push.answers = ["gone", "gone"]
    assert outbox.send_all().gave_up == 1
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_a_key_other_than_the_one_subscribed_with_is_refused(app, client, auth, push, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    subscribe(client, push.subscription())
    other = Vapid()
    other.generate_keys()
    pem = other.private_pem().decode()
    app.config["VAPID_PRIVATE_KEY"] = pem
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="x", ballot=1)
    result = outbox.send_all()
    assert result.failed == 1 and push.bad_signatures == 1 and push.payloads == []
