"""Staff see how many of a meeting's messages were delivered per channel; a person's own
data includes how their messages reach them."""
import json

from consult import clock
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications.outbox import DeliverySetting
from consult.notifications.push import PushSubscription

from .servers import WeChatServer
from tests.meetings.conftest import cast  # noqa: F401  (a fixture)


def test_the_moderator_sees_a_meetings_deliveries_per_channel(app, client, auth, tree, cast):  # noqa: F811
    from datetime import timedelta

    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind, Quorum

    with WeChatServer() as wechat:
        wechat.configure(app, WECHAT_TEMPLATES={"meeting.invited": "TPL-meeting"}, OUTBOX_SEND_AFTER_COMMIT=False,
                         OUTBOX_SEND_CONCURRENCY=1)
        for person in (cast.wang, cast.zhang):
            db.session.add(DeliverySetting(user_id=person.id, wechat_openid=f"o-{person.id}", code_attempts=0))
        db.session.commit()
        wechat.answers = ["ok", "unfollowed"]
        clock.set_now(utcnow().replace(hour=3))   # 11:00 in Beijing
        try:
            with unit_of_work():
                meeting = meetings.schedule(tree.b1, actor=cast.moderator, title="加装电梯协商会",
                                            kind=MeetingKind.circle, form=MeetingForm.hybrid,
                                            starts_at=utcnow() + timedelta(days=1), location="议事厅",
                                            quorum=Quorum.half, invite_residents=True, people=[],
                                            free_items=["方案"])
            result = outbox.send_all()
        finally:
            clock.set_now(None)
        assert (result.sent, result.gave_up) == (1, 1)
    auth.login("moderator")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "消息送达：" in page and "微信 1/2 (1 条失败)" in page
    auth.logout()
    auth.login(cast.wang.phone)
    assert "消息送达：" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


def test_my_data_has_my_delivery_settings_push_endpoints_and_wechat_link(app, client, auth, make_user):
    person = make_user("王秀英", phone="13900000001")
    db.session.add(DeliverySetting(user_id=person.id, channels={"email": ["ballot"], "sms": ["ballot", "meeting"]},
                                   quiet_start="21:00", quiet_end="07:30", digest=True, sms_number="13900000001",
                                   sms_verified_at=clock.utcnow(), wechat_openid="o-wang-openid",
                                   wechat_linked_at=clock.utcnow(), code_attempts=0))
    db.session.add(PushSubscription(user_id=person.id, endpoint="https://push.example.org/send/abc",
                                    p256dh="B" * 87, auth="secret-auth-key"))
    db.session.commit()
    auth.login("13900000001")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    settings = data["delivery_settings"]
    assert settings["quiet_hours"] == "21:00–07:30" and settings["digest"] is True
    assert settings["sms_number"] == "13900000001" and settings["wechat_openid"] == "o-wang-openid"
    assert "短信: 表决, 会议" in settings["channels"] and "电子邮件: 表决" in settings["channels"]
    assert [b["endpoint"] for b in data["push_subscriptions"]] == ["https://push.example.org/send/abc"]
    assert "secret-auth-key" not in json.dumps(data) and "B" * 87 not in json.dumps(data)
    page = client.get("/account/data").get_data(as_text=True)
    assert "我的消息接收方式" in page and "o-wang-openid" in page and "https://push.example.org/send/abc" in page
