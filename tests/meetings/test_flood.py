"""Floods are contained: one attendee over the room's limits is refused with a stable code
and a translated message, while the others' actions are still acknowledged; a database
pool with no connection free answers "busy" instead of hanging."""
import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.extensions import db
from consult.meetings import limits
from consult.meetings.models import MeetingEvent, Statement
from tests.conftest import FormClient, config_for
from tests.meetings.test_live import Phone, act, connect


@pytest.fixture
def clock(monkeypatch):
    """The limits' clock, stopped: a test moves it."""
    now = [1000.0]
    monkeypatch.setattr(limits, "_now", lambda: now[0])
    return now


@pytest.fixture
def live_room(app, meeting, cast, clock):
    _, moderator = connect(app, "moderator", meeting)
    _, flooder = connect(app, "13900000001", meeting)
    _, neighbour = connect(app, "13900000002", meeting)
    assert act(flooder, "sign_in")["ok"] and act(neighbour, "sign_in")["ok"]
    assert act(moderator, "start")["ok"] and act(moderator, "speakers", open=True)["ok"]
    clock[0] += 61                                   # what the setting-up counted is past
    return moderator, flooder, neighbour


def test_a_flooding_attendee_is_refused_while_another_is_answered(app, live_room, clock):
    moderator, flooder, neighbour = live_room
    app.config.update(ROOM_STATEMENTS_PER_MINUTE=3, ROOM_ACTIONS_PER_SECOND=1000, ROOM_PERSON_ACTIONS_PER_SECOND=1000)
    answers = []
    for round_ in range(5):
        answers += [act(flooder, "statement", body=f"刷屏 {round_}-{n}") for n in range(10)]
        clock[0] += 1
        # the neighbour is still answered (within their own allowance of three statements)
        if round_ < 3:
            assert act(neighbour, "statement", body=f"我的意见 {round_}")["ok"]
        else:
            assert act(neighbour, "raise_hand" if round_ == 3 else "lower_hand")["ok"]
    accepted = [a for a in answers if a["ok"]]
    refused = [a for a in answers if not a["ok"]]
    assert len(accepted) == 3 and len(refused) == 47
    assert {a["error"]["code"] for a in refused} == {"rate_limited"}
    assert "每分钟最多发言 3 条" in refused[0]["error"]["message"]                   # translated
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 3 + 3
    clock[0] += 60                                                                # a minute later
    assert act(flooder, "statement", body="过了一分钟")["ok"]


def test_actions_per_second_of_one_connection(app, live_room, clock):
    moderator, flooder, neighbour = live_room
    app.config.update(ROOM_ACTIONS_PER_SECOND=4, ROOM_PERSON_ACTIONS_PER_SECOND=1000)
    before = db.session.scalar(select(func.count()).select_from(MeetingEvent))
    answers = [act(flooder, "raise_hand" if n % 2 == 0 else "lower_hand") for n in range(20)]
    assert [a["ok"] for a in answers[:4]] == [True] * 4
    assert all(a["error"]["code"] == "rate_limited" for a in answers[4:])
    assert flooder.emit("since", {"seq": 0}, callback=True)["error"]["code"] == "rate_limited"
    assert db.session.scalar(select(func.count()).select_from(MeetingEvent)) == before + 4
    assert act(neighbour, "raise_hand")["ok"]                    # another connection, its own allowance
    assert act(moderator, "lower_all")["ok"]
    clock[0] += 1.01
    assert act(flooder, "raise_hand")["ok"]


def test_one_person_over_several_connections(app, meeting, live_room, clock):
    moderator, flooder, neighbour = live_room
    app.config.update(ROOM_ACTIONS_PER_SECOND=1000, ROOM_PERSON_ACTIONS_PER_SECOND=3, ROOM_CASTS_PER_MINUTE=1000)
    _, second_phone = connect(app, "13900000001", meeting)
    answers = [act(phone, "raise_hand") for phone in (flooder, second_phone, flooder, second_phone, flooder)]
    assert answers[0]["ok"]
    assert [a["error"]["code"] for a in answers[1:3]] == ["conflict", "conflict"]       # counted, refused by the rule
    assert [a["error"]["code"] for a in answers[3:]] == ["rate_limited", "rate_limited"]
    assert act(neighbour, "raise_hand")["ok"]


def test_casts_per_minute(app, live_room, clock):
    moderator, flooder, neighbour = live_room
    app.config.update(ROOM_CASTS_PER_MINUTE=2)
    ballot = act(moderator, "ballot_open", question="是否同意？")["ballot"]
    first = act(flooder, "cast", ballot=ballot, choice="yes", client_key="a")
    again = act(flooder, "cast", ballot=ballot, choice="yes", client_key="a")           # a retry: same receipt
    third = act(flooder, "cast", ballot=ballot, choice="no", client_key="b")
    assert first["ok"] and again["ok"] and again["receipt"] == first["receipt"]
    assert third["error"]["code"] == "rate_limited"
    assert act(neighbour, "cast", ballot=ballot, choice="no")["ok"]


def test_no_free_database_connection_is_answered_busy(app, meeting, cast):
    """A pool of one connection, held elsewhere: the room answers "busy" within the
    pool's timeout, and acts again once it is free."""
    small = create_app(config_for(app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_DIR=app.config["UPLOAD_DIR"],
                                  SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}))
    db.session.commit()
    http = FormClient(small, small.response_class, use_cookies=True)
    http.post_form("/login", {"identifier": "moderator", "password": "correct horse 278"})
    phone = Phone(small, http, {"meeting": meeting.id})
    assert phone.is_connected()
    with small.app_context():
        held = db.engine.connect()
        try:
            answer = phone.emit("act", {"action": "start"}, callback=True)
            assert answer["ok"] is False and answer["error"]["code"] == "busy" and answer["error"]["message"]
            assert phone.emit("since", {"seq": 0}, callback=True)["error"]["code"] == "busy"
        finally:
            held.close()
        assert phone.emit("act", {"action": "start"}, callback=True)["ok"]
        db.engine.dispose()
