"""The notice: at least OWNERS_NOTICE_DAYS before voting opens, to every owner through
their channels, with a delivery log and postings where it did not reach."""
import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select, update

from consult import clock
from consult.database import unit_of_work
from consult.errors import InvalidInput, InvalidTransition
from consult.extensions import db
from consult.notifications.models import Notification
from consult.notifications.outbox import Delivery
from consult.owners import service as owners
from consult.voting import service as voting
from consult.voting.models import BallotState

from .conftest import T0, draft


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def ready(tree, moderator, days=20):
    ballot = draft(tree, moderator, days=days)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    return ballot


def test_opening_before_the_announced_time_is_refused(tree, moderator, building):
    ballot = ready(tree, moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    clock.set_now(T0 + timedelta(days=16))
    with force_locale("en"), pytest.raises(InvalidTransition, match="voting opens on"):
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    assert ballot.state is BallotState.open


def test_notice_is_refused_when_voting_opens_too_soon(tree, moderator, building):
    ballot = ready(tree, moderator, days=10)
    with force_locale("en"), pytest.raises(InvalidInput, match="at least 15 days before voting opens"):
        with unit_of_work():
            owners.publish_notice(ballot, actor=moderator, matter="更换电梯")


def test_opening_before_the_notice_period_is_refused_also_for_the_automatic_opener(tree, moderator, building):
    ballot = ready(tree, moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    clock.set_now(T0 + timedelta(days=10))
    with force_locale("en"), pytest.raises(InvalidTransition, match="15 days' notice"):
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
    # Moved earlier by hand, the ballot's opening time comes before the notice period ends.
    ballot.opens_at = T0 + timedelta(days=9)
    db.session.commit()
    with unit_of_work():
        assert voting.advance(ballot)
    assert ballot.state is BallotState.draft and ballot.opens_at is None
    clock.set_now(T0 + timedelta(days=15))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    assert ballot.state is BallotState.open


def test_notice_goes_to_every_owner_with_a_delivery_log(tree, moderator, building, make_user):
    make_user("共有人", household=building.units[0])        # a co-owner hears too
    ballot = ready(tree, moderator)
    with unit_of_work():
        notice = owners.publish_notice(ballot, actor=moderator, matter="更换电梯", documents=[photo()])
    assert len(notice.documents) == 1
    assert len(notice.recipients) == 4 and all(r.notification_id for r in notice.recipients)
    first = notice.recipients[0]
    db.session.add(Delivery(notification_id=first.notification_id, user_id=first.user_id, channel="sms",
                            address="13800000000", dedupe_key="test-1", status="sent", sent_at=T0))
    second = notice.recipients[1]
    db.session.execute(update(Notification).where(Notification.id == second.notification_id).values(read_at=T0))
    db.session.commit()
    log = {row["owner"].id: row for row in owners.delivery_log(notice)}
    assert log[first.user_id]["reached"] and [d.channel for d in log[first.user_id]["deliveries"]] == ["sms"]
    assert log[second.user_id]["reached"]
    unreached = [row for row in log.values() if not row["reached"]]
    assert len(unreached) == 2 and not any(row["postings"] for row in unreached)


def test_a_posting_with_its_photo_covers_the_owners_of_its_entrance(app, tree, moderator, building):
    ballot = ready(tree, moderator)
    with unit_of_work():
        notice = owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    with unit_of_work():
        owners.record_posting(notice, actor=moderator, place=tree.e2, spot="2单元一楼公告栏",
                              posted_at=T0 - timedelta(hours=1), photo=photo(), config=app.config)
    log = {row["owner"].id: row for row in owners.delivery_log(notice)}
    assert log[building.owners[2].id]["postings"] and not log[building.owners[0].id]["postings"]
    with force_locale("en"), pytest.raises(InvalidInput, match="photo of the posted notice"):
        with unit_of_work():
            owners.record_posting(notice, actor=moderator, place=tree.e1, spot="1单元", posted_at=T0,
                                  photo=b"", config=app.config)


def test_notice_pdf_is_an_a4_document(app, client, auth, tree, moderator, building):
    ballot = ready(tree, moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    moderator.username = "moderator"
    db.session.commit()
    auth.login("moderator")
    response = client.get(f"/ballots/{ballot.id}/notice/print.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert db.session.scalar(select(Notification.id).where(Notification.kind == "ballot.notice")) is not None
