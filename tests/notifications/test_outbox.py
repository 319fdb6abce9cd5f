"""The outbox: deliveries written with the change, sent at least once, retried with
backoff, given up on a permanent refusal, and never sent twice once acknowledged —
even when the sender is killed in the middle of a batch."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import outbox
from consult.notifications import service as notifications
from consult.notifications.models import Notification
from consult.notifications.outbox import Delivery

from .servers import SmtpServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp(app):
    with SmtpServer() as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_SECURITY="none",
                          SITE_URL="https://consult.test", OUTBOX_SEND_AFTER_COMMIT=False)
        yield server


@pytest.fixture
def people(make_user):
    made = []

    def make(count, email=True):
        users = []
        for _ in range(count):
            i = len(made)
            made.append(i)
            user = make_user(f"住户{i}", phone=f"1390000{i:04d}")
            user.email = f"r{i}@example.org" if email else None
            users.append(user)
        db.session.commit()
        return users
    return make


def deliveries():
    db.session.commit()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_deliveries_are_written_with_the_change_and_go_with_its_rollback(app, smtp, people):
    residents = people(3)
    nobody = people(1, email=False)
    with pytest.raises(RuntimeError):
        with unit_of_work():
            notifications.notify(residents, "ballot.opened", question="加装电梯", ballot=7)
            raise RuntimeError("the change fails")
    assert deliveries() == []
    with unit_of_work():
        notifications.notify(residents + nobody, "ballot.opened", question="加装电梯", ballot=7)
    rows = deliveries()
    assert [(d.channel, d.address, d.status) for d in rows] == [
        ("email", f"r{i}@example.org", "queued") for i in range(3)]
    assert len({d.dedupe_key for d in rows}) == 3
    assert outbox.send_all().sent == 3
    assert sorted(smtp.inbox.message_ids()) == sorted(f"<{d.dedupe_key}@localhost>" for d in rows)
    rows = deliveries()
    assert {d.status for d in rows} == {"sent"} and all(d.provider_message_id for d in rows)
    recipients, message = smtp.inbox.acknowledged[0]
    assert "https://consult.test/ballots/7" in message.get_payload(decode=True).decode()
    assert outbox.send_all().sent == 0   # nothing twice
    assert len(smtp.inbox.acknowledged) == 3
    assert db.session.scalar(select(func.count()).where(Notification.emailed_at.is_not(None))) == 3


def test_temporary_errors_back_off_exponentially_and_permanent_ones_give_up(app, smtp, people):
    clock.set_now(datetime(2026, 12, 1, 2, 0))
    try:
        good, refused = people(2)
        smtp.inbox.refuse.add(refused.email)
        with unit_of_work():
            notifications.notify([good, refused], "meeting.invited", title="业主大会", meeting=3)
        app.config.update(SMTP_PORT=1)   # nobody listens: a temporary error
        result = outbox.send_all()
        assert (result.sent, result.failed) == (0, 2)
        first = deliveries()[0]
        assert (first.status, first.attempts) == ("failed", 1)
        assert first.next_attempt_at == clock.utcnow() + timedelta(seconds=60)
        assert outbox.send_all().claimed == 0   # not before its time
        clock.advance(seconds=61)
        outbox.send_all()
        first = deliveries()[0]
        assert (first.status, first.attempts) == ("failed", 2)
        assert first.next_attempt_at == clock.utcnow() + timedelta(seconds=120)
        app.config.update(SMTP_PORT=smtp.port)
        clock.advance(seconds=121)
        result = outbox.send_all()
        assert (result.sent, result.gave_up) == (1, 1)
        by_address = {d.address: d for d in deliveries()}
        assert by_address[good.email].status == "sent"
        assert by_address[refused.email].status == "gave_up"
        assert "550" in by_address[refused.email].last_error
        clock.advance(days=2)
        assert outbox.send_all().claimed == 0
    finally:
        clock.set_now(None)


def test_a_sender_killed_mid_batch_loses_nothing_and_sends_nothing_acknowledged_twice(app, smtp, people):
    residents = people(5)
    with unit_of_work():
        notifications.notify(residents, "ballot.opened", question="维修基金", ballot=9)
    smtp.inbox.hold_at = 3   # the third message received is never answered
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none", "LOG_FORMAT": "plain",
           "SECRET_KEY": "test", "FLASK_APP": "consult"}
    command = [sys.executable, "-m", "flask", "--app", "consult", "send"]
    sender = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert smtp.inbox.wait_received(5), sender.communicate(timeout=5)
        # the four answered are recorded; then the sender dies with the fifth in flight
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum(d.status == "sent" for d in deliveries()) < 4:
            time.sleep(0.05)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait()
    rows = deliveries()
    assert sorted(d.status for d in rows) == ["sending", "sent", "sent", "sent", "sent"]
    assert len(smtp.inbox.acknowledged) == 4
    assert sorted(smtp.inbox.message_ids()) == sorted(f"<{d.dedupe_key}@localhost>" for d in rows if d.status == "sent")
    # A restart before the lease ends leaves the claimed rows alone…
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert len(smtp.inbox.acknowledged) == 4
    # …and once it has ended, takes them up.
    db.session.execute(update(Delivery).where(Delivery.status == "sending")
                       .values(lease_until=clock.utcnow() - timedelta(seconds=1)))
    db.session.commit()
    smtp.inbox.release.set()
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert "1 sent" in finished.stdout
    rows = deliveries()
    assert {d.status for d in rows} == {"sent"}
    acknowledged = smtp.inbox.message_ids()
    assert len(acknowledged) == 5 == len(set(acknowledged))
    assert sorted(acknowledged) == sorted(f"<{d.dedupe_key}@localhost>" for d in rows)
    assert sorted(r[0][0] for r in smtp.inbox.acknowledged) == sorted(u.email for u in residents)


def test_send_mail_stays_an_alias_of_send(app, smtp, people, runner):
    with unit_of_work():
        notifications.notify(people(2), "ballot.opened", question="维修基金", ballot=9)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "2 messages sent" in result.output
    assert len(smtp.inbox.acknowledged) == 2
