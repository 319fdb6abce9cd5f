"""Webhooks: events become deliveries in their own transaction, are sent signed by the
background loop to a real local server, retried with backoff, and shown to administrators."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, schedule
from consult.accounts.models import OrganisationKind, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.motions import service as motions
from consult.motions.models import Answer, Score
from consult.proposals import service as proposals
from consult.proposals.models import Category
from consult.webhooks import service
from consult.webhooks.models import DeliveryState, WebhookDelivery

from ..motions.support import T0, organisation


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(T0)
    yield
    clock.set_now(None)


@pytest.fixture
def world(tree, make_user, make_household, admin):
    resident = make_user("王秀英", household=make_household(tree.e1, "101"))
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    manager = make_user("物业赵经理", role=Role.property_manager, place=tree.north)
    company = organisation(tree.north, OrganisationKind.property_company, "富成物业", manager)
    category = db.session.scalar(select(Category).order_by(Category.position))
    return type("World", (), dict(tree=tree, resident=resident, moderator=moderator, manager=manager,
                                  company=company, category=category, admin=admin))


def register(world, receiver, kinds, place=None):
    with unit_of_work():
        endpoint, secret = service.register_endpoint(place or world.tree.fc, actor=world.admin, url=receiver.url,
                                                     kinds=kinds)
    receiver.secret = secret
    return endpoint


def raise_matter(world, title="楼道灯坏了，请联系13812345678"):
    with unit_of_work():
        return proposals.raise_proposal(world.tree.e1, actor=world.resident, title=title, body="晚上很黑",
                                        category=world.category)


def deliveries():
    db.session.commit()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_an_event_is_delivered_signed_and_retried_after_a_failure(app, world, receiver):
    register(world, receiver, ["proposal.raised"])
    proposal = raise_matter(world)
    [row] = deliveries()
    assert row.state is DeliveryState.pending and row.attempts == 0 and row.kind == "proposal.raised"

    receiver.answers = [500]
    schedule.run_once(app)
    [row] = deliveries()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.pending, 1, 500)
    assert row.next_attempt_at == T0 + timedelta(seconds=app.config["WEBHOOK_RETRY_SECONDS"])
    schedule.run_once(app)                       # not due yet: nothing is sent
    assert len(receiver.received) == 1

    clock.set_now(T0 + timedelta(seconds=app.config["WEBHOOK_RETRY_SECONDS"]))
    schedule.run_once(app)
    [row] = deliveries()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.delivered, 2, 200)
    assert [r["valid"] for r in receiver.received] == [True, True]
    body = receiver.received[-1]["body"]
    assert receiver.received[-1]["kind"] == "proposal.raised" and body["kind"] == "proposal.raised"
    assert body["data"]["id"] == proposal.id and body["place"]["id"] == world.tree.e1.id
    # Ids and public fields only, masked like the API's.
    assert "13812345678" not in json.dumps(body, ensure_ascii=False)
    assert "author" not in body["data"] and "body" not in body["data"]
    schedule.run_once(app)
    assert len(receiver.received) == 2


def test_backoff_doubles_and_stops_at_the_last_attempt(app, world, receiver):
    first = app.config["WEBHOOK_RETRY_SECONDS"]
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3)] == [first, 2 * first, 4 * first]
    assert service.backoff(40).total_seconds() == app.config["WEBHOOK_RETRY_MAX_SECONDS"]
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    register(world, receiver, ["proposal.raised"])
    raise_matter(world)
    receiver.answers = [500, 503]
    schedule.run_once(app)
    clock.set_now(T0 + timedelta(hours=1))
    schedule.run_once(app)
    [row] = deliveries()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.failed, 2, 503)


def test_a_signature_with_another_secret_or_an_old_time_is_refused():
    header = service.signature_header("whsec_a", "{}", timestamp=1000)
    assert service.verify("whsec_a", header, "{}", now=1010)
    assert not service.verify("whsec_b", header, "{}", now=1010)
    assert not service.verify("whsec_a", header, '{"x":1}', now=1010)
    assert not service.verify("whsec_a", header, "{}", now=5000)


def test_an_event_rolled_back_is_never_sent(app, world, receiver):
    register(world, receiver, ["proposal.raised"])
    with pytest.raises(RuntimeError):
        with unit_of_work():
            proposals.raise_proposal(world.tree.e1, actor=world.resident, title="漏水", body="楼上漏水",
                                     category=world.category)
            raise RuntimeError("the action failed")
    assert deliveries() == []


def test_only_endpoints_of_the_place_and_the_kind_receive_it(app, world, receiver):
    register(world, receiver, ["motion.assigned"])                       # another kind
    register(world, receiver, ["proposal.raised"], place=world.tree.jm)   # another community
    raise_matter(world)
    assert deliveries() == []


def test_a_motion_s_steps_are_sent(app, world, receiver):
    register(world, receiver, ["motion.assigned", "motion.acknowledged", "motion.completed", "motion.rated"])
    with unit_of_work():
        motion = motions.assign(world.tree.b1, actor=world.moderator, title="修复1号楼电梯", body="电梯停运三天",
                                organisations=[world.company])
    with unit_of_work():
        motions.acknowledge(motion, actor=world.manager)
    with unit_of_work():
        motions.answer(motion, actor=world.manager, answer=Answer.accept)
    with unit_of_work():
        motions.complete(motion, actor=world.manager, evidence="已修好")
    with unit_of_work():
        motions.rate(motion, actor=world.resident, score=Score.satisfied)
    assert [d.kind for d in deliveries()] == ["motion.assigned", "motion.acknowledged", "motion.completed",
                                              "motion.rated"]
    schedule.run_once(app)
    assert [r["body"]["data"]["state"] for r in receiver.received] == ["assigned", "acknowledged", "completed",
                                                                       "completed"]
    assert all(r["valid"] and r["body"]["data"]["id"] == motion.id for r in receiver.received)


def test_administrators_see_deliveries_and_send_one_again(app, world, receiver, client, auth):
    auth.login("admin")
    page = client.post_form("/admin/webhooks", {"url": receiver.url, "place": world.tree.sub.id,
                                                "kinds": ["proposal.raised"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = page.get_data(as_text=True).split('<code id="secret">')[1].split("<")[0]
    assert secret.startswith(service.SECRET_PREFIX)
    receiver.secret = secret
    raise_matter(world)
    receiver.answers = [500] * 20
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    schedule.run_once(app)
    [row] = deliveries()
    assert row.state is DeliveryState.failed
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert receiver.url in listing and "failed" in listing and ">500<" in listing and secret not in listing

    receiver.answers = []
    assert client.post_form(f"/admin/webhooks/deliveries/{row.id}/send-again").status_code == 302
    [row] = deliveries()
    assert row.state is DeliveryState.pending
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 10
    schedule.run_once(app)
    [row] = deliveries()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.delivered, 2, 200)


def test_a_resident_may_not_manage_webhooks(app, world, receiver, client, auth):
    endpoint = register(world, receiver, ["proposal.raised"])
    auth.login(world.resident.phone)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post_form(f"/admin/webhooks/{endpoint.id}/revoke").status_code == 404
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_a_closed_ballot_is_sent_with_its_result(app, world, receiver):
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy

    register(world, receiver, ["ballot.closed"])
    with unit_of_work():
        ballot = voting.draft_ballot(world.tree.b1, actor=world.moderator, question="是否加装电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=world.moderator)
    assert deliveries() == []
    with unit_of_work():
        voting.close_ballot(ballot, actor=world.moderator)
    schedule.run_once(app)
    [sent] = receiver.received
    assert sent["valid"] and sent["kind"] == "ballot.closed"
    data = sent["body"]["data"]
    assert data["id"] == ballot.id and data["state"] == "closed" and data["passed"] is False
    assert data["stage"] == "result"


def test_a_revoked_endpoint_is_sent_nothing_more(app, world, receiver):
    endpoint = register(world, receiver, ["proposal.raised"])
    raise_matter(world)
    with unit_of_work():
        service.revoke_endpoint(endpoint, actor=world.admin)
    schedule.run_once(app)
    [row] = deliveries()
    assert row.state is DeliveryState.failed and receiver.received == []
    raise_matter(world, title="又一件事")
    assert len(deliveries()) == 1
