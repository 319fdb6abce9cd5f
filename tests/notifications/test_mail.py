"""E-mail copies through a real SMTP server (aiosmtpd) on 127.0.0.1."""
import socket
import time
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from consult.accounts.models import Role
from consult.extensions import db
from consult.notifications.mail import deliver_pending
from consult.notifications.models import Notification
from consult.proposals.models import Category


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", SITE_URL="https://consult.test")
    yield inbox
    controller.stop()


def wait_for(inbox, count, seconds=10):
    deadline = time.monotonic() + seconds
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


def test_a_moderator_with_an_address_gets_mail_of_a_new_matter(app, client, auth, smtp, tree, make_household,
                                                               make_user):
    make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    make_user("无邮箱主持人", username="other", role=Role.moderator, place=tree.fc)
    auth.login("moderator")
    assert client.post_form("/account", {"email": "li@example.org"}).status_code == 302
    auth.logout()
    auth.login("13900000001")
    category = str(db.session.scalar(select(Category.id)))
    response = client.post_form(f"/places/{tree.b1.id}/proposals/new", {
        "title": "电梯停运", "body": "x", "category_id": category, "on_behalf_of": "", "call_id": ""})
    assert response.status_code == 302
    messages = wait_for(smtp, 1)
    assert len(messages) == 1
    recipients, message = messages[0]
    assert recipients == ["li@example.org"]
    assert "电梯停运" in str(make_header(decode_header(message["Subject"])))
    assert "https://consult.test/proposals/" in message.get_payload(decode=True).decode()
    time.sleep(0.2)
    assert len(smtp.messages) == 1  # the one without an address gets none, and nothing twice
    assert db.session.scalars(select(Notification.emailed_at).where(Notification.emailed_at.is_not(None))).all()


def test_without_smtp_nothing_is_sent_and_a_failed_send_is_retried(app, tree, make_user):
    from consult.notifications import service as notifications

    person = make_user("李书记")
    person.email = "li@example.org"
    notifications.notify([person], "proposal.raised", title="电梯", place="1号楼", proposal=1)
    db.session.commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")  # nobody listens there
    assert deliver_pending() == 0
    assert db.session.scalar(select(Notification.emailed_at)) is None  # given back for a later round


def test_bad_email_address_refused(client, auth, make_user):
    user = make_user(phone="13900000001")
    auth.login("13900000001")
    assert client.post_form("/account", {"email": "not an address"}).status_code == 422
    db.session.refresh(user)
    assert user.email is None


def test_mail_queued_by_a_room_action_is_sent_after_its_commit_without_a_page(app, smtp, tree, make_household,
                                                                             make_user):
    """A room action runs as the room's ``act`` does: one unit of work, over the socket. The
    mail it queues goes out once that commits, with no later page to send it."""
    from consult import clock
    from consult.database import unit_of_work
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind, Quorum

    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    wang = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    wang.email = "wang@example.org"
    db.session.commit()
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=moderator, title="加装电梯议事会", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=clock.utcnow(), quorum=Quorum.none,
                                    people=[wang], free_items=["加装电梯"])
    invited = wait_for(smtp, 1)   # the invitation, sent after the page's commit
    assert len(invited) == 1
    for action in (lambda: meetings.change_state(meeting, "start", actor=moderator),
                   lambda: meetings.sign_in(meeting, actor=wang)):
        with unit_of_work():
            action()
    assert len(smtp.messages) == 1
    with unit_of_work():
        meetings.open_ballot(meeting, actor=moderator, question="是否同意北侧方案")
        time.sleep(0.3)
        assert len(smtp.messages) == 1   # nothing before the commit
    messages = wait_for(smtp, 2)
    assert len(messages) == 2
    recipients, message = messages[1]
    assert recipients == ["wang@example.org"]
    assert "是否同意北侧方案" in str(make_header(decode_header(message["Subject"])))
    # the server's acknowledgement is recorded just after it arrives (in the sender's thread)
    deadline = time.monotonic() + 5
    emailed = None
    while emailed is None and time.monotonic() < deadline:
        db.session.rollback()
        emailed = db.session.scalar(select(Notification.emailed_at).where(Notification.kind == "ballot.opened"))
        time.sleep(0.05)
    assert emailed is not None
