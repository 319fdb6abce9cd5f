"""SMS through Alibaba Cloud and Tencent Cloud, each adapter (with the provider's own SDK)
against a local server speaking the provider's API and checking its signature: success,
throttling, permanent and temporary errors; quiet hours and daily limits."""
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications import service as notifications
from consult.notifications.outbox import Delivery, DeliverySetting

from .servers import AliyunSmsServer, TencentSmsServer

# 2 December 2026, 10:00 in Beijing
DAYTIME = datetime(2026, 12, 2, 2, 0)
TEMPLATES = {"ballot.opened": "SMS_100001", "meeting.invited": "SMS_100002", "meeting.cancelled": "SMS_100003",
             "verify": "SMS_100009"}


def aliyun(app, server, secret=None):
    app.config.update(SMS_PROVIDER="aliyun", SMS_ALIYUN_ACCESS_KEY_ID=server.key_id,
                      SMS_ALIYUN_ACCESS_KEY_SECRET=secret or server.secret, SMS_ALIYUN_ENDPOINT=server.endpoint,
                      SMS_ALIYUN_PROTOCOL="http")


def tencent(app, server, secret=None):
    app.config.update(SMS_PROVIDER="tencent", SMS_TENCENT_SECRET_ID=server.key_id,
                      SMS_TENCENT_SECRET_KEY=secret or server.secret, SMS_TENCENT_APP_ID="1400000001",
                      SMS_TENCENT_ENDPOINT=server.endpoint, SMS_TENCENT_PROTOCOL="http")


PROVIDERS = {"aliyun": (AliyunSmsServer, aliyun), "tencent": (TencentSmsServer, tencent)}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request, app):
    server_class, configure = PROVIDERS[request.param]
    with server_class("LTAI-test-key", "secret-of-the-test") as server:
        app.config.update(SMS_SIGN_NAME="协商议事", SMS_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False,
                          SITE_URL="https://consult.test")
        configure(app, server)
        server.name = request.param
        server.configure = lambda secret=None: configure(app, server, secret)
        clock.set_now(DAYTIME)
        yield server
        clock.set_now(None)


@pytest.fixture
def verified(make_user):
    count = []

    def make(**setting):
        count.append(1)
        number = f"1380000{len(count):04d}"
        person = make_user(f"业主{len(count)}", phone=number)
        db.session.add(DeliverySetting(user_id=person.id, sms_number=number, sms_verified_at=clock.utcnow(),
                                       **setting))
        db.session.commit()
        return person
    return make


def sms_rows():
    db.session.commit()
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == "sms").order_by(Delivery.id)))


def sent_parameters(server, index=-1):
    request = server.requests[index]
    if server.name == "aliyun":
        return (request["PhoneNumbers"], request["SignName"], request["TemplateCode"],
                json.loads(request["TemplateParam"]), request["OutId"])
    return (request["PhoneNumberSet"][0].removeprefix("+86"), request["SignName"], request["TemplateId"],
            request["TemplateParamSet"], request["SessionContext"])


def test_an_sms_is_signed_sent_and_its_message_id_recorded(app, provider, verified):
    owner = verified()
    with unit_of_work():
        notifications.notify([owner], "ballot.opened", question="加装电梯的表决，请在线投票", ballot=12)
    result = outbox.send_all()
    assert result.sent == 1 and provider.bad_signatures == 0
    number, sign, template, params, key = sent_parameters(provider)
    (row,) = sms_rows()
    assert (number, sign, template, key) == (owner.phone, "协商议事", "SMS_100001", row.dedupe_key)
    expected = ["加装电梯的表决，请在线投票", "https://consult.test/ballots/12"]
    assert (list(params.values()) if isinstance(params, dict) else params) == expected
    assert row.status == "sent" and row.provider_message_id
    assert provider.acknowledged == [row.dedupe_key]


def test_a_wrong_secret_is_refused_by_the_provider_and_given_up(app, provider, verified):
    provider.configure(secret="not-the-secret")
    with unit_of_work():
        notifications.notify([verified()], "ballot.opened", question="表决", ballot=1)
    assert outbox.send_all().gave_up == 1
    assert provider.bad_signatures == 1 and provider.requests == []
    assert "Signature" in sms_rows()[0].last_error


def test_throttling_and_temporary_errors_are_retried_permanent_ones_given_up(app, provider, verified):
    first, second = verified(), verified()
    provider.answers = ["throttle", "permanent"]
    with unit_of_work():
        notifications.notify([first, second], "meeting.invited", title="业主大会", meeting=4)
    result = outbox.send_all()
    assert (result.failed, result.gave_up) == (1, 1)
    throttled, refused = sorted(sms_rows(), key=lambda d: d.status)   # sent at once: either may be first
    assert throttled.status == "failed" and throttled.next_attempt_at > clock.utcnow()
    assert refused.status == "gave_up"
    provider.answers = ["temporary"]
    clock.advance(minutes=2)
    assert outbox.send_all().failed == 1
    throttled = db.session.get(Delivery, throttled.id)
    assert (throttled.status, throttled.attempts) == ("failed", 2)
    clock.advance(minutes=3)
    assert outbox.send_all().sent == 1
    assert provider.acknowledged == [throttled.dedupe_key]
    clock.advance(days=1)
    assert outbox.send_all().claimed == 0   # nothing acknowledged is sent again


def test_quiet_hours_hold_an_sms_until_the_morning_except_urgent_ones(app, provider, verified):
    clock.set_now(datetime(2026, 12, 2, 15, 0))   # 23:00 in Beijing
    owner, night_owl = verified(), verified(quiet_start="01:00", quiet_end="06:00")
    with unit_of_work():
        notifications.notify([owner, night_owl], "ballot.opened", question="表决", ballot=1)
        notifications.notify([owner], "meeting.cancelled", title="业主大会", meeting=4)
    result = outbox.send_all()
    assert (result.sent, result.deferred) == (2, 1)
    held = [d for d in sms_rows() if d.status == "queued"]
    assert [d.user_id for d in held] == [owner.id]
    assert held[0].next_attempt_at == datetime(2026, 12, 3, 0, 0)   # 08:00 in Beijing
    assert held[0].attempts == 0
    clock.set_now(datetime(2026, 12, 3, 0, 1))
    assert outbox.send_all().sent == 1


def test_daily_limits_per_person_and_per_installation(app, provider, verified):
    app.config.update(SMS_DAILY_LIMIT_PER_PERSON=2, SMS_DAILY_LIMIT=3)
    busy, other, third = verified(), verified(), verified()
    for ballot in range(3):
        with unit_of_work():
            notifications.notify([busy], "ballot.opened", question="表决", ballot=ballot)
    result = outbox.send_all()
    assert (result.sent, result.deferred) == (2, 1)
    with unit_of_work():
        notifications.notify([other, third], "ballot.opened", question="表决", ballot=9)
    result = outbox.send_all()
    assert (result.sent, result.deferred) == (1, 1)
    waiting = [d for d in sms_rows() if d.status == "queued"]
    assert {d.last_error for d in waiting} == {"daily limit per person", "daily limit of the installation"}
    tomorrow_morning = datetime(2026, 12, 3, 0, 0)
    assert {d.next_attempt_at for d in waiting} == {tomorrow_morning}
    clock.set_now(tomorrow_morning + timedelta(minutes=1))
    assert outbox.send_all().sent == 2


def test_without_credentials_or_a_verified_number_no_sms_is_queued(app, make_user, verified):
    app.config.update(SMS_PROVIDER="aliyun", SMS_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False)
    owner = verified()
    unverified = make_user("未验证", phone="13800009999")
    db.session.add(DeliverySetting(user_id=unverified.id, sms_number="13800009999"))
    db.session.commit()
    with unit_of_work():
        notifications.notify([owner, unverified], "ballot.opened", question="表决", ballot=1)
    assert sms_rows() == []   # no credentials: the channel is off
    app.config.update(SMS_ALIYUN_ACCESS_KEY_ID="id", SMS_ALIYUN_ACCESS_KEY_SECRET="secret")
    with unit_of_work():
        notifications.notify([owner, unverified], "ballot.opened", question="表决", ballot=2)
        notifications.notify([owner], "proposal.raised", title="x", place="1号楼", proposal=1)  # no template
    assert [d.user_id for d in sms_rows()] == [owner.id]
