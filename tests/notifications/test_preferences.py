"""People choose their channels and quiet hours on the account page and confirm a mobile
number by a code sent to it; staff see how many messages were delivered per channel."""
from datetime import datetime

import pytest
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications import service as notifications
from consult.notifications.outbox import Delivery, DeliverySetting

from .servers import TencentSmsServer
from .test_sms import TEMPLATES, tencent
from tests.voting.test_pages import people, run_ballot  # noqa: F401  (a fixture and a helper)


@pytest.fixture
def sms(app):
    with TencentSmsServer("AKID-test", "secret-of-the-test") as server:
        app.config.update(SMS_SIGN_NAME="协商议事", SMS_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False,
                          SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")
        tencent(app, server)
        clock.set_now(datetime(2026, 12, 2, 2, 0))
        yield server
        clock.set_now(None)


def last_code(server) -> str:
    request = server.requests[-1]
    assert request["TemplateId"] == "SMS_100009"
    return request["TemplateParamSet"][0]


def test_a_number_gets_sms_only_once_confirmed_by_its_code(app, client, auth, sms, make_user):
    person = make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    page = client.get("/account")
    assert "/account/messages" in page.get_data(as_text=True)
    assert client.post_form("/account/messages/number", {"number": "139 0000 0001"}).status_code == 302
    code = last_code(sms)
    assert len(code) == 6 and code.isdigit()
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="表决", ballot=1)
    assert db.session.scalar(select(Delivery).where(Delivery.channel == "sms")) is None   # not yet confirmed
    wrong = "000000" if code != "000000" else "111111"
    assert client.post_form("/account/messages/code", {"code": wrong}).status_code == 422
    assert client.post_form("/account/messages/code", {"code": code}).status_code == 302
    setting = db.session.get(DeliverySetting, person.id)
    db.session.refresh(setting)
    assert setting.sms_number == "13900000001" and setting.sms_verified_at is not None
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="表决", ballot=2)
    assert outbox.send_all().sent == 1
    assert sms.requests[-1]["PhoneNumberSet"] == ["+8613900000001"]


def test_wrong_codes_are_counted_and_stop_after_five(app, client, auth, sms, make_user):
    make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    client.post_form("/account/messages/number", {"number": "13900000002"})
    code = last_code(sms)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post_form("/account/messages/code", {"code": wrong}).status_code == 422
    assert client.post_form("/account/messages/code", {"code": code}).status_code == 429
    assert client.post_form("/account/messages/number", {"number": "13900000002"}).status_code == 429  # a minute
    clock.advance(minutes=2)
    assert client.post_form("/account/messages/number", {"number": "13900000002"}).status_code == 302
    assert client.post_form("/account/messages/code", {"code": last_code(sms)}).status_code == 302


def test_choices_decide_the_channels_and_quiet_hours(app, client, auth, sms, make_user):
    person = make_user("王秀英", phone="13900000001")
    person.email = "w@example.org"
    db.session.add(DeliverySetting(user_id=person.id, sms_number="13900000001", sms_verified_at=clock.utcnow()))
    db.session.commit()
    auth.login("13900000001")
    page = client.get("/account/messages").get_data(as_text=True)
    assert 'value="sms:ballot" aria-label' in page and 'value="sms:proposal"' in page
    assert client.post_form("/account/messages", {"channel": ["sms:proposal", "email:meeting"],
                                                  "quiet_start": "21:30", "quiet_end": "07:00"}).status_code == 302
    assert client.post_form("/account/messages", {"quiet_start": "25:00", "quiet_end": "07:00"}).status_code == 422
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="表决", ballot=1)
        notifications.notify([person], "meeting.invited", title="会", meeting=1)
    rows = db.session.execute(select(Delivery.channel, Delivery.notification_id)).all()
    assert [channel for channel, _n in rows] == ["email"]   # ballots: nothing; meetings: e-mail only
    setting = db.session.get(DeliverySetting, person.id)
    assert outbox.quiet_until(setting, datetime(2026, 12, 2, 13, 45)) == datetime(2026, 12, 2, 23, 0)


def test_staff_see_deliveries_per_channel_on_the_voters_page(app, client, auth, sms, tree, people):
    for person in (people.wang, people.zhang):
        db.session.add(DeliverySetting(user_id=person.id, sms_number=person.phone, sms_verified_at=clock.utcnow()))
    db.session.commit()
    sms.answers = ["ok", "permanent"]
    ballot = run_ballot(client, auth, tree.b1)
    assert outbox.send_all().sent == 1
    auth.login("grid")
    page = client.get(f"/ballots/{ballot.id}/voters").get_data(as_text=True)
    assert "消息送达：" in page and "短信 1/2 (1 条失败)" in page


def test_the_account_page_says_when_sms_is_off(app, client, auth, make_user):
    make_user("王秀英", phone="13900000001")
    auth.login("13900000001")
    text = client.get("/account").get_data(as_text=True)
    assert "未开通：本站尚未配置此渠道" in text
    assert client.post_form("/account/messages/number", {"number": "13900000001"}).status_code == 422
