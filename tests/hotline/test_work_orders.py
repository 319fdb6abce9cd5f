"""12345 work orders through the API: matched to a household, raised as a motion on the
responsible organisation's desk, taken once per number, and reported back by webhook."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, schedule
from consult.accounts.models import OrganisationKind, Role
from consult.api import service as api_service
from consult.database import unit_of_work
from consult.extensions import db
from consult.hotline import service as hotline
from consult.hotline.models import WorkOrder, WorkOrderState
from consult.motions import service as motions
from consult.motions.models import Answer, Motion, MotionState
from consult.webhooks import service as webhooks

from ..api.conftest import api, make_token  # noqa: F401  (the API's helpers)
from ..motions.support import T0, organisation
from ..webhooks.conftest import receiver  # noqa: F401

ORDER = {"number": "GD20260302001", "address": "北京市朝阳区大屯街道富成花园北区1号楼1单元201室",
         "matter": "楼道灯坏了一周，来电人13812345678", "category": "Environment",
         "deadline": "2026-03-05T18:00:00+08:00"}


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(T0)
    yield
    clock.set_now(None)


@pytest.fixture
def desk(tree, make_user, make_household, admin):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    manager = make_user("物业赵经理", role=Role.property_manager, place=tree.north)
    company = organisation(tree.north, OrganisationKind.property_company, "富成物业", manager)
    homes = {room: make_household(tree.e1, room) for room in ("101", "201")}
    other = make_household(tree.e2, "201")
    return type("Desk", (), dict(tree=tree, moderator=moderator, manager=manager, company=company, homes=homes,
                                 other=other, admin=admin))


def app_token(client, desk, scopes=("work_orders",)) -> str:
    with unit_of_work():
        registered, secret = api_service.register_client(actor=desk.admin, name="12345", user=desk.moderator,
                                                         place_ids=[desk.tree.fc.id], scopes=list(scopes))
    issued = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials",
                                                      "client_id": registered.client_id, "client_secret": secret})
    return issued.get_json()["access_token"]


def test_an_order_becomes_a_motion_on_the_desk_of_the_household_s_place(app, client, api, desk):
    hotline_app = api(app_token(client, desk))
    response = hotline_app.post("/api/v1/work-orders", json=ORDER)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["state"] == "accepted" and order["matched"] is True
    assert order["household_id"] == desk.homes["201"].id and order["place"]["id"] == desk.tree.e1.id
    motion = db.session.get(Motion, order["motion_id"])
    assert motion.place_id == desk.tree.e1.id and [r.organisation_id for r in motion.responders] == [desk.company.id]
    assert motion.title.startswith("12345 GD20260302001") and "富成花园北区1号楼1单元201室" in motion.body
    # The deadline (18:00 in Beijing on the 5th) is the motion's, rounded up to whole days.
    assert motion.complete_by == T0 + timedelta(days=4)
    assert motions.desk(desk.company, "new") == [motion]


def test_the_same_number_is_taken_once(app, client, api, desk):
    hotline_app = api(app_token(client, desk))
    first = hotline_app.post("/api/v1/work-orders", json=ORDER)
    again = hotline_app.post("/api/v1/work-orders", json={**ORDER, "matter": "再次来电"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["motion_id"] == first.get_json()["motion_id"]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WorkOrder)) == 1
    assert db.session.scalar(select(func.count()).select_from(Motion)) == 1
    assert hotline_app.get("/api/v1/work-orders/GD20260302001").get_json()["state"] == "accepted"


def test_an_address_that_names_no_room_goes_to_the_building_or_the_place(app, desk):
    tree = desk.tree
    assert hotline.match_address("富成花园北区2号楼门口", [tree.fc]) == (tree.b2, None)
    assert hotline.match_address("富成花园1号楼2单元201", [tree.fc]) == (tree.e2, desk.other)
    assert hotline.match_address("富成花园11号楼1单元201", [tree.fc])[1] is None      # 11号楼 is not 1号楼
    assert hotline.match_address("嘉铭园8号楼", [tree.fc]) == (None, None)          # not the app's place


def test_only_an_app_with_the_scope_may_send_orders(app, client, api, desk, make_token):
    assert api(app_token(client, desk, scopes=("read",))).post("/api/v1/work-orders", json=ORDER) \
        .get_json()["code"] == "insufficient_scope"
    personal = api(make_token(desk.moderator)).post("/api/v1/work-orders", json=ORDER)
    assert personal.status_code == 403 and personal.get_json()["code"] == "not_allowed"
    invalid = api(app_token(client, desk)).post("/api/v1/work-orders", json={**ORDER, "number": ""})
    assert invalid.status_code == 422


def test_the_order_s_state_goes_back_by_webhook(app, client, api, desk, receiver):
    with unit_of_work():
        _, receiver.secret = webhooks.register_endpoint(desk.tree.fc, actor=desk.admin, url=receiver.url,
                                                        kinds=["work_order.updated"])
    order = api(app_token(client, desk)).post("/api/v1/work-orders", json=ORDER).get_json()
    motion = db.session.get(Motion, order["motion_id"])
    with unit_of_work():
        motions.acknowledge(motion, actor=desk.manager)
    with unit_of_work():
        motions.answer(motion, actor=desk.manager, answer=Answer.accept)
    with unit_of_work():
        motions.post_progress(motion, actor=desk.manager, body="已报修，灯具明天到")
    with unit_of_work():
        motions.complete(motion, actor=desk.manager, evidence="已更换楼道灯，联系13812345678确认")
    assert motion.state is MotionState.completed
    stored = db.session.scalar(select(WorkOrder))
    assert stored.state is WorkOrderState.completed and stored.answer.startswith("已更换楼道灯")
    schedule.run_once(app)
    sent = [(r["body"]["data"]["state"], r["body"]["data"]["answer"]) for r in receiver.received]
    assert all(r["valid"] and r["kind"] == "work_order.updated" for r in receiver.received)
    assert [state for state, _ in sent] == ["accepted", "answered", "answered", "completed"]
    assert sent[2][1] == "已报修，灯具明天到"
    assert sent[-1][1].startswith("已更换楼道灯") and "13812345678" not in sent[-1][1]
