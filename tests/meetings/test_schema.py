"""Every message of the room is answered, with a stable code for anything malformed; the
room's events have one schema, which the service and room.js follow."""
import math
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.meetings import schema
from consult.meetings.models import Meeting, MeetingEvent
from tests.meetings.test_live import Phone, act, connect
from tests.conftest import FormClient

ROOT = Path(__file__).resolve().parents[2]

BAD_IDS = [10**30, -1, 0, 2**31, 1e300, math.inf, -math.inf, math.nan, 1.0, True, "1", [1], {"id": 1}, None]


@pytest.mark.parametrize("value", BAD_IDS)
def test_ids_that_do_not_fit_the_columns_are_malformed(value):
    with pytest.raises(schema.Malformed):
        schema.action({"action": "item", "item": value})


def test_well_formed_payloads_pass_unchanged():
    assert schema.action({"action": "cast", "ballot": 2**31 - 1, "choice": ["a", "b"], "client_key": "k"}) == (
        "cast", {"action": "cast", "ballot": 2**31 - 1, "choice": ["a", "b"], "client_key": "k"})
    assert schema.since({"seq": 0}) == 0
    assert schema.handshake({"meeting": 3}) == (3, 0)


@pytest.mark.parametrize("payload", [
    None, [], "act", 5, {"action": 5}, {"action": "statement", "body": "x", "extra": 1},
    {"action": "statement", "body": "x" * 5000}, {"action": "speakers"}, {"action": "speakers", "open": "yes"},
    {"action": "cast", "ballot": 1, "choice": [[["deep"]]]}, {"action": "cast", "ballot": 1},
    {"action": "cast", "ballot": 1, "choice": ["a"] * 51}, {"action": "give_floor", "user": 1, "seconds": 1e9},
    {"action": "ballot_open", "question": "q", "options": [1, 2]}, {"action": "lower_hand", "user": -5},
])
def test_malformed_actions(payload):
    with pytest.raises(schema.Malformed):
        schema.action(payload)


@pytest.mark.parametrize("payload", [None, [], 3, {"seq": -1}, {"seq": 10**30}, {"seq": "3"}, {"seq": 1, "x": 2}, {}])
def test_malformed_catch_up_requests(payload):
    with pytest.raises(schema.Malformed):
        schema.since(payload)


def _answered(answer):
    return answer["ok"] is False and answer["error"]["code"] == "malformed" and answer["error"]["message"]


def test_every_malformed_message_is_answered_and_changes_nothing(app, meeting, cast):
    _, moderator = connect(app, "moderator", meeting)
    assert act(moderator, "start")["ok"]
    before = db.session.scalar(select(func.count()).select_from(MeetingEvent))
    for payload in [None, 7, "start", [1, 2], {"action": "item", "item": 10**30},
                    {"action": "item", "item": float("inf")}, {"action": "hide_statement", "id": -3, "reason": "x"},
                    {"action": "ballot_close", "ballot": 2**63}, {"action": "pause", "why": "unknown key"},
                    {"action": "decision", "item": 1, "text": ["nested", {"deep": [[[]]]}]}]:
        assert _answered(moderator.emit("act", payload, callback=True)), payload
    for payload in [None, 5, [], {"seq": 1e300}, {"seq": -1}, {"seq": "x" * 10_000}]:
        assert _answered(moderator.emit("since", payload, callback=True)), payload
    assert _answered(moderator.emit("no_such_event", {"a": 1}, callback=True))
    assert _answered(moderator.emit("act", {"action": "pause"}, "one more", callback=True))
    assert db.session.scalar(select(func.count()).select_from(MeetingEvent)) == before
    assert act(moderator, "pause")["ok"]                    # and the connection goes on


@pytest.mark.parametrize("auth", [None, 5, {"meeting": 10**30}, {"meeting": "1"}, {"meeting": 1, "last_seq": -1},
                                  {"meeting": 1, "last_seq": float("nan")}, {"meeting": 1, "x": 1}])
def test_a_malformed_handshake_is_refused(app, meeting, cast, auth):
    http = FormClient(app, app.response_class, use_cookies=True)
    http.post_form("/login", {"identifier": "13900000001", "password": "correct horse 278"})
    if isinstance(auth, dict) and auth.get("meeting") == 1:
        auth["meeting"] = meeting.id
    phone = Phone(app, http, auth)
    assert not phone.is_connected()


def test_the_service_writes_only_events_of_the_schema(app, meeting, cast):
    with pytest.raises(AssertionError):
        schema.check_event("start", {"state": "live"})          # a field missing
    with pytest.raises(AssertionError):
        schema.check_event("no_such_kind", {})
    _, moderator = connect(app, "moderator", meeting)
    act(moderator, "sign_in")
    act(moderator, "start")
    for event in db.session.scalars(select(MeetingEvent)):
        assert set(event.data) == set(schema.EVENTS[event.kind])


def test_room_js_applies_the_events_of_the_schema():
    script = (ROOT / "static/js/room.js").read_text()
    handled = set(re.findall(r'case "([a-z_]+)":', script))
    assert set(schema.EVENTS) <= handled | {"rescheduled"}, set(schema.EVENTS) - handled
    assert handled <= set(schema.EVENTS), handled - set(schema.EVENTS)
    apply = script[script.index("function apply(ev)"):script.index("default: break;")] + "default:"
    for kinds, body in re.findall(r'((?:case "[a-z_]+":\s*)+)(.*?)(?=case "|default:)', apply, re.S):
        used = set(re.findall(r"\bd\.(\w+)", body))
        for kind in re.findall(r'case "([a-z_]+)"', kinds):
            assert used <= set(schema.EVENTS[kind]), (kind, used - set(schema.EVENTS[kind]))


def test_the_quorum_is_decided_by_the_server(app, meeting, cast):
    _, resident = connect(app, "13900000001", meeting)
    assert act(resident, "sign_in")["ok"]
    event = db.session.scalar(select(MeetingEvent).where(MeetingEvent.kind == "signed_in"))
    expected = event.data["expected"]
    assert event.data["present"] == 1 and expected > 2
    assert event.data["quorum_met"] is False                 # half: more than half of the invitees
    from consult.meetings.state import room_state

    state = room_state(db.session.get(Meeting, meeting.id), cast.moderator)
    assert state["quorum_met"] is False and state["present"] == 1
