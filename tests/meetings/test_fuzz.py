"""Generated payloads for every room action, the catch-up request and the handshake,
against a real server process: each is answered within a second, and nothing refused
changes the database."""
from __future__ import annotations

import math
import sqlite3
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.meetings import schema
from tests.conftest import migrate_to_head
from tests.live import LiveServer, council
from tests.meetings.test_servers import RoomClient

ANSWER_WITHIN = 1.0          # seconds
CODES = {"malformed", "not_allowed", "not_found", "invalid_input", "conflict", "invalid_transition",
         "rate_limited", "busy"}
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

INT_MAX = schema.INT_MAX
huge = st.integers(min_value=INT_MAX + 1, max_value=10**40)
negative = st.integers(min_value=-10**40, max_value=-1)
non_whole = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                      st.sampled_from([math.inf, -math.inf, math.nan, 1e300, -1e300, 1.5]))
junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
deep = st.integers(min_value=50, max_value=400).map(lambda depth: _nest(depth))
long_text = st.integers(min_value=5_000, max_value=100_000).map(lambda n: "长" * n)
# A value no field of the room takes: not a whole number in range, not a short text.
never_valid = st.one_of(huge, negative, non_whole, deep, long_text, st.dictionaries(st.text(max_size=5), junk, max_size=3))
anything = st.one_of(never_valid, junk, st.integers(min_value=0, max_value=INT_MAX), st.text(max_size=50))


def _nest(depth):
    value: object = 1
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


def _valid(field: schema.Field):
    if field.kind in ("id", "seq", "int"):
        return st.integers(min_value=field.minimum, max_value=min(field.maximum, 10))
    if field.kind == "bool":
        return st.booleans()
    if field.kind in ("text", "key", "text_or_texts"):
        return st.text(max_size=30)
    return st.lists(st.sampled_from(["yes", "no", "abstain"]), min_size=1, max_size=3)


def payloads(action: str):
    """Payloads of one action: each field valid, generated anyhow, or missing; maybe an
    unknown key."""
    fields = schema.ACTIONS[action]
    values = {name: st.one_of(_valid(field), anything) for name, field in fields.items()}
    extra = st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in fields and k != "action"),
                            anything, max_size=2)
    return st.builds(lambda chosen, more: {"action": action, **chosen, **more},
                     st.fixed_dictionaries({}, optional=values), extra)


def malformed_payloads(action: str):
    """Payloads of one action that no schema takes: one field never valid, or an unknown key."""
    fields = schema.ACTIONS[action]
    unknown = st.builds(lambda key, value: {"action": action, key: value},
                        st.text(min_size=1, max_size=10).filter(lambda k: k not in fields and k != "action"), anything)
    if not fields:
        return unknown
    broken = st.builds(lambda name, value: {"action": action, name: value}, st.sampled_from(sorted(fields)), never_valid)
    return st.one_of(unknown, broken)


class Room:
    def __init__(self, path, server, moderator, meeting_id):
        self.path, self.server, self.moderator, self.meeting_id = path, server, moderator, meeting_id

    def digest(self):
        """What a refused message must not change: every table the room writes."""
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            return tuple(con.execute(query).fetchall() for query in (
                "SELECT id, state, last_seq, current_item_id, speakers_open, floor_user_id FROM meetings",
                "SELECT count(*), max(id) FROM meeting_events",
                "SELECT count(*) FROM meeting_statements", "SELECT id, hidden_reason FROM meeting_statements",
                "SELECT count(*) FROM meeting_hands", "SELECT count(*) FROM meeting_attendance",
                "SELECT id, decision FROM agenda_items", "SELECT id, state FROM ballots",
                "SELECT count(*) FROM ballot_participations", "SELECT count(*) FROM audit_entries"))


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "room.db"
    migrate_to_head(f"sqlite:///{path}")
    meeting_id = council(f"sqlite:///{path}")
    # Generated payloads come as fast as the machine goes: the limits are tested elsewhere.
    server = LiveServer(path, name="fuzz", env={"ROOM_ACTIONS_PER_SECOND": "100000",
                                                "ROOM_PERSON_ACTIONS_PER_SECOND": "100000",
                                                "ROOM_STATEMENTS_PER_MINUTE": "100000",
                                                "ROOM_HANDS_PER_MINUTE": "100000", "ROOM_CASTS_PER_MINUTE": "100000"})
    moderator = RoomClient(server.url, "moderator", meeting_id)
    assert moderator.act("sign_in")["ok"] and moderator.act("start")["ok"]
    yield Room(path, server, moderator, meeting_id)
    moderator.close()
    server.stop()


def _call(room: Room, event: str, payload) -> dict:
    answer = room.moderator.sio.call(event, payload, timeout=ANSWER_WITHIN)
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
    if not answer["ok"]:
        assert answer["error"]["code"] in CODES and answer["error"]["message"], answer
    return answer


# "end" would close the room for the examples that follow: only its malformed payloads.
@pytest.mark.parametrize("action", sorted(set(schema.ACTIONS) - {"end"}))
def test_every_action_is_answered_and_a_refusal_changes_nothing(room, action):
    @FUZZ
    @given(payload=payloads(action))
    def check(payload):
        before = room.digest()
        answer = _call(room, "act", payload)
        if not answer["ok"]:
            assert room.digest() == before, (payload, answer)

    check()


@pytest.mark.parametrize("action", sorted(schema.ACTIONS))
def test_malformed_actions_are_refused_as_malformed(room, action):
    @FUZZ
    @given(payload=malformed_payloads(action))
    def check(payload):
        before = room.digest()
        answer = _call(room, "act", payload)
        assert answer["ok"] is False and answer["error"]["code"] == "malformed", (payload, answer)
        assert room.digest() == before

    check()


@FUZZ
@given(payload=st.one_of(anything, st.fixed_dictionaries({"seq": anything}),
                         st.fixed_dictionaries({"seq": st.integers(min_value=0, max_value=INT_MAX)},
                                               optional={"more": anything})))
def test_every_catch_up_request_is_answered(room, payload):
    before = room.digest()
    answer = _call(room, "since", payload)
    assert answer["ok"] is (isinstance(payload, dict) and set(payload) == {"seq"}
                            and type(payload["seq"]) is int and 0 <= payload["seq"] <= INT_MAX)
    assert room.digest() == before


def test_packets_no_parser_reads_are_answered(room):
    """Nesting past the recursion limit and broken JSON never reach a handler: they are
    answered all the same, and the connection goes on."""
    sio = room.moderator.sio
    for body in ['["act",' + "[" * 100_000 + "]" * 100_000 + "]", '["act",{"action":', '["since",{"seq":1e400000}]',
                 '["act",{"action":"item","item":' + "9" * 200 + "}]"]:
        answered = threading.Event()
        answers = []
        ack = sio._generate_ack_id("/", lambda *args: (answers.append(args), answered.set()))
        sio.eio.send(f"2{ack}{body}")
        assert answered.wait(ANSWER_WITHIN), body[:40]
        assert answers[0][0]["ok"] is False and answers[0][0]["error"]["code"] == "malformed", answers
    assert room.moderator.act("sign_in")["ok"]


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(auth=st.one_of(anything, st.fixed_dictionaries({"meeting": anything}, optional={"last_seq": anything}),
                      st.fixed_dictionaries({"meeting": st.just(None), "last_seq": anything},
                                            optional={"more": anything})))
def test_every_handshake_is_answered(room, auth):
    import socketio

    if isinstance(auth, dict) and auth.get("meeting") is None and "meeting" in auth:
        auth["meeting"] = room.meeting_id            # the right meeting, with anything else
    refused: list = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", lambda data: refused.append(data))
    cookie = "; ".join(f"{k}={v}" for k, v in room.moderator.http.cookies.items())
    try:
        client.connect(room.server.url, headers={"Cookie": cookie}, transports=["websocket"], auth=auth,
                       wait_timeout=ANSWER_WITHIN)
    except socketio.exceptions.ConnectionError:
        pass
    try:
        if client.connected:
            assert isinstance(auth, dict) and auth.get("meeting") == room.meeting_id
        else:
            assert refused, f"no answer to the handshake {auth!r}"
            message = refused[0].get("message") if isinstance(refused[0], dict) else refused[0]
            assert message in {"malformed", "not_invited", "unauthorized", "busy"}, refused
    finally:
        client.disconnect()
