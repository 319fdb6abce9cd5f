"""Reminders: a ballot over a period reminds those who have not voted 72 and 24 hours
before it closes, nobody who has voted; a meeting's invitees 24 hours and 1 hour before it
begins; each once per person and deadline, even with several senders at once; in each
person's language."""
import threading
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.notifications import outbox, reminders
from consult.notifications.models import Notification
from consult.voting.models import Ballot
from tests.voting.test_pages import people, run_ballot, vote  # noqa: F401  (a fixture and helpers)

from .servers import SmtpServer

START = datetime(2026, 12, 1, 2, 0)   # 10:00 in Beijing


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(START)
    yield
    clock.set_now(None)


def reminded(kind="ballot.reminder"):
    db.session.commit()
    return sorted(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def run():
    with unit_of_work():
        return reminders.run()


def test_those_who_have_not_voted_are_reminded_72_and_24_hours_before_the_close(app, client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    ballot = db.session.get(Ballot, ballot.id)
    ballot.closes_at = START + timedelta(hours=100)
    db.session.commit()
    vote(client, auth, "13900000001", ballot, "yes")   # household 101: both its members have voted
    assert run() == 0
    clock.set_now(START + timedelta(hours=29))        # 71 hours before the close
    assert run() == 2
    assert reminded() == sorted([people.zhang.id, people.zhao.id])
    assert run() == 0                                  # once
    clock.advance(hours=10)
    assert run() == 0
    vote(client, auth, "13900000002", ballot, "no")
    clock.set_now(START + timedelta(hours=77))        # 23 hours before
    assert run() == 1
    assert reminded() == sorted([people.zhang.id, people.zhao.id, people.zhao.id])
    clock.set_now(START + timedelta(hours=101))
    assert run() == 0


def test_a_ballot_opened_late_skips_the_reminder_whose_time_had_passed(app, client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    ballot = db.session.get(Ballot, ballot.id)
    ballot.closes_at = START + timedelta(hours=30)
    db.session.commit()
    assert run() == 0                                  # the 72-hour moment was before it opened
    clock.set_now(START + timedelta(hours=7))
    assert run() == 4   # nobody has voted: both members of 101, 102 and 201


def test_meeting_invitees_are_reminded_in_their_language(app, tree, make_user, make_household):
    from consult.accounts.models import Role

    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    chinese = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    english = make_user("Anna", phone="13900000002", household=make_household(tree.e1, "102"))
    chinese.email, english.email, english.locale = "w@example.org", "a@example.org", "en"
    db.session.commit()
    with SmtpServer() as smtp:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="none",
                          OUTBOX_SEND_AFTER_COMMIT=False)
        with unit_of_work():
            meetings.schedule(tree.b1, actor=moderator, title="加装电梯协商会", kind=MeetingKind.circle,
                              form=MeetingForm.hybrid, starts_at=START + timedelta(days=3), location="议事厅",
                              quorum=Quorum.none, invite_residents=True, people=[], free_items=["方案"])
        outbox.send_all()
        smtp.inbox.acknowledged.clear()
        clock.set_now(START + timedelta(days=2, minutes=1))
        assert run() == 2
        clock.set_now(START + timedelta(days=3, hours=-1, minutes=1))
        assert run() == 2 and run() == 0
        assert outbox.send_all().sent == 4
        from email.header import decode_header, make_header

        subjects = {rcpt[0]: [] for rcpt, _m in smtp.inbox.acknowledged}
        for rcpt, message in smtp.inbox.acknowledged:
            subjects[rcpt[0]].append(str(make_header(decode_header(message["Subject"]))))
    assert any("begins within 24 hours" in s for s in subjects["a@example.org"])
    assert any("begins within 1 hours" in s for s in subjects["a@example.org"])
    assert all("加装电梯协商会" in s and "begins" not in s for s in subjects["w@example.org"])
    with force_locale("en"):
        texts = [n.text for n in db.session.scalars(select(Notification).where(
            Notification.kind == "meeting.reminder", Notification.user_id == english.id))]
    assert len(texts) == 2


def test_several_processes_at_once_remind_each_person_once(app, client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    ballot = db.session.get(Ballot, ballot.id)
    ballot.closes_at = START + timedelta(hours=100)
    db.session.commit()
    clock.set_now(START + timedelta(hours=30))
    real_app = app
    counts, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        with real_app.app_context():
            try:
                barrier.wait()
                counts.append(run())
            except Exception as error:   # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 4   # wang, his son, zhang, zhao: each once
    assert len(reminded()) == 4 == len(set(reminded()))
    assert db.session.scalar(select(func.count()).select_from(reminders.ReminderSent)) == 4
