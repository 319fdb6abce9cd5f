"""Quiet hours hold every channel that interrupts (SMS, WeChat, push) but not e-mail, and
urgent kinds pass; a person who chose the daily digest gets what is not urgent once a
day, one message per channel carrying them all."""
from datetime import datetime
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import digest, outbox
from consult.notifications import service as notifications
from consult.notifications.outbox import Delivery, DeliverySetting
from consult.notifications.push import PushSubscription

from .servers import PushService, SmtpServer, WeChatServer
from .test_push import push  # noqa: F401  (a fixture)

TEMPLATES = {"ballot.opened": "TPL-ballot", "meeting.invited": "TPL-meeting", "meeting.cancelled": "TPL-cancel",
             "meeting.reminder": "TPL-reminder", "digest": "TPL-digest"}
NIGHT = datetime(2026, 12, 2, 15, 0)     # 23:00 in Beijing
MORNING = datetime(2026, 12, 3, 0, 5)    # 08:05
AFTERNOON = datetime(2026, 12, 2, 6, 0)  # 14:00


@pytest.fixture
def channels(app, push):  # noqa: F811
    with WeChatServer() as wechat, SmtpServer() as smtp:
        wechat.configure(app, WECHAT_TEMPLATES=TEMPLATES)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="none",
                          OUTBOX_SEND_CONCURRENCY=1)
        yield wechat, push, smtp.inbox
    clock.set_now(None)


@pytest.fixture
def resident(make_user, push):  # noqa: F811
    def make(**setting):
        person = make_user("王秀英", phone="13900000001")
        person.email = "wang@example.org"
        db.session.add(DeliverySetting(user_id=person.id, wechat_openid="o-wang", code_attempts=0, **setting))
        subscription = push.subscription()
        db.session.add(PushSubscription(user_id=person.id, endpoint=subscription["endpoint"],
                                        p256dh=subscription["keys"]["p256dh"], auth=subscription["keys"]["auth"]))
        db.session.commit()
        return person
    return make


def statuses():
    db.session.commit()
    return {(row.channel, row.status) for row in db.session.scalars(select(Delivery))}


def test_quiet_hours_hold_wechat_and_push_but_not_email_and_not_urgent_kinds(app, channels, resident):
    wechat, push, inbox = channels
    person = resident()
    clock.set_now(NIGHT)
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="加装电梯", ballot=5)
    result = outbox.send_all()
    assert (result.sent, result.deferred) == (1, 2)
    assert statuses() == {("email", "sent"), ("wechat", "queued"), ("push", "queued")}
    assert wechat.sent == [] and push.payloads == []
    with unit_of_work():
        notifications.notify([person], "meeting.cancelled", title="业主大会", meeting=3)
    assert outbox.send_all().sent == 3           # urgent: e-mail, WeChat and push at once
    assert [m["template_id"] for m in wechat.sent] == ["TPL-cancel"] and len(push.payloads) == 1
    clock.set_now(MORNING)
    assert outbox.send_all().sent == 2
    assert [m["template_id"] for m in wechat.sent] == ["TPL-cancel", "TPL-ballot"] and len(push.payloads) == 2


def test_own_quiet_hours_apply_to_every_interrupting_channel(app, channels, resident):
    wechat, push, inbox = channels
    person = resident(quiet_start="13:00", quiet_end="15:00")
    clock.set_now(AFTERNOON)
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="加装电梯", ballot=5)
    assert outbox.send_all().deferred == 2
    held = {row.channel: row.next_attempt_at for row in db.session.scalars(select(Delivery))
            if row.status == "queued"}
    assert held == {"wechat": datetime(2026, 12, 2, 7, 0), "push": datetime(2026, 12, 2, 7, 0)}


def test_the_daily_digest_carries_the_day_in_one_message_per_channel(app, channels, resident):
    wechat, push, inbox = channels
    app.config["DIGEST_TIME"] = "18:00"
    person = resident(digest=True)
    clock.set_now(AFTERNOON)
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="加装电梯", ballot=5)
        notifications.notify([person], "meeting.invited", title="业主大会", meeting=3)
        notifications.notify([person], "meeting.cancelled", title="楼栋会", meeting=4)   # urgent
    assert outbox.send_all().sent == 3                    # only the urgent one, on each channel
    assert [m["template_id"] for m in wechat.sent] == ["TPL-cancel"]
    assert {status for _c, status in statuses()} == {"sent", "held"}
    with unit_of_work():
        assert digest.run() == 0                          # not yet 18:00
    clock.set_now(datetime(2026, 12, 2, 10, 0))           # 18:00
    with unit_of_work():
        assert digest.run() == 3                          # e-mail, WeChat, push
    with unit_of_work():
        assert digest.run() == 0                          # once
    assert outbox.send_all().sent == 3
    assert [m["template_id"] for m in wechat.sent] == ["TPL-cancel", "TPL-digest"]
    assert wechat.sent[-1]["url"] == "https://consult.test/inbox"
    assert inbox.wait_received(2)
    _rcpt, mail = inbox.acknowledged[-1]
    body = mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")
    assert "加装电梯" in body and "业主大会" in body and "楼栋会" not in body
    assert "2" in str(make_header(decode_header(mail["Subject"])))
    assert statuses() == {(channel, "sent") for channel in ("email", "wechat", "push")}
    carried = db.session.scalars(select(Delivery).where(Delivery.bundle.is_(None), Delivery.sent_at.is_not(None)))
    assert len(list(carried)) == 9                        # 3 messages × 3 channels, each counted as delivered


def test_turning_the_digest_off_sends_what_waited(app, client, auth, channels, resident):
    wechat, push, inbox = channels
    person = resident(digest=True)
    clock.set_now(AFTERNOON)
    with unit_of_work():
        notifications.notify([person], "ballot.opened", question="加装电梯", ballot=5)
    assert outbox.send_all().sent == 0
    auth.login(person.phone)
    page = client.get("/account/messages").get_data(as_text=True)
    assert '<input checked id="digest" name="digest" type="checkbox"' in page
    assert client.post_form("/account/messages", {"channel": ["wechat:ballot", "email:ballot", "push:ballot"],
                                                  }).status_code == 302
    assert db.session.get(DeliverySetting, person.id).digest is False
    assert outbox.send_all().sent == 3
    assert [m["template_id"] for m in wechat.sent] == ["TPL-ballot"]


def test_a_reminder_before_a_deadline_does_not_wait_for_the_digest(app, channels, resident):
    wechat, push, inbox = channels
    person = resident(digest=True)
    clock.set_now(AFTERNOON)
    with unit_of_work():
        notifications.notify([person], "meeting.reminder", title="业主大会", meeting=3, hours=1)
    assert outbox.send_all().sent == 3
    assert [m["template_id"] for m in wechat.sent] == ["TPL-reminder"]
