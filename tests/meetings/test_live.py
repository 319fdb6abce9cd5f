"""The room over Socket.IO with the test client: the handshake, actions acknowledged after
commit and broadcast to the room, catching up after a lost connection, authorisation at
every event, coalesced tallies."""
import time

import pytest
from sqlalchemy import delete, select

from consult.accounts.models import Role, RoleGrant
from consult.extensions import db, socketio
from consult.meetings.models import MeetingEvent
from tests.conftest import FormClient


class Phone:
    """A socket test client that, like a server, handles each event in an application
    context of its own (its own session and ``g``); the test's session is committed around
    it so that each side sees what the other committed."""

    def __init__(self, app, http, auth):
        self.app, self.http = app, http
        self.client = self._run(socketio.test_client, app, flask_test_client=http, auth=auth)

    def _run(self, fn, *args, **kwargs):
        db.session.commit()
        with self.app.app_context():
            result = fn(*args, **kwargs)
        db.session.commit()
        return result

    def emit(self, *args, **kwargs):
        return self._run(self.client.emit, *args, **kwargs)

    def disconnect(self):
        self._run(self.client.disconnect)

    def is_connected(self):
        return self.client.is_connected()

    def get_received(self):
        return self.client.get_received()


def connect(app, login, meeting, last_seq=0, http=None):
    """A phone: signs in over HTTP, then opens the room's socket with that session."""
    if http is None:
        http = FormClient(app, app.response_class, use_cookies=True)
        http.post_form("/login", {"identifier": login, "password": "correct horse 278"})
    return http, Phone(app, http, {"meeting": meeting.id, "last_seq": last_seq})


def events(client, name="event"):
    out = []
    for message in client.get_received():
        if message["name"] == name:
            out.extend(message["args"][0] if name == "events" else message["args"])
    return out


def act(client, action, **data):
    return client.emit("act", {"action": action, **data}, callback=True)


def test_only_invitees_and_moderators_get_in(app, meeting, cast):
    _, outsider = connect(app, "13900000004", meeting)
    assert not outsider.is_connected()
    anonymous = Phone(app, FormClient(app, app.response_class, use_cookies=True), {"meeting": meeting.id})
    assert not anonymous.is_connected()
    _, resident = connect(app, "13900000001", meeting)
    _, moderator = connect(app, "moderator", meeting)
    assert resident.is_connected() and moderator.is_connected()


def test_actions_are_acknowledged_after_commit_and_reach_the_room(app, meeting, cast):
    _, moderator = connect(app, "moderator", meeting)
    _, resident = connect(app, "13900000001", meeting)
    answer = act(resident, "sign_in")
    assert answer == {"ok": True, "seq": 1}
    answer = act(moderator, "start")
    assert answer["ok"] and answer["seq"] == 2
    assert db.session.scalar(select(MeetingEvent.kind).where(MeetingEvent.seq == 2)) == "start"
    seen = events(resident)
    assert [(e["seq"], e["kind"]) for e in seen] == [(1, "signed_in"), (2, "start")]
    assert seen[0]["data"]["name"] == "王**"          # residents masked for the room


def test_illegal_actions_get_a_clear_refusal(app, meeting, cast):
    _, resident = connect(app, "13900000001", meeting)
    answer = act(resident, "start")
    assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"
    answer = act(resident, "no_such_thing")
    assert answer["error"]["code"] == "malformed"
    answer = act(resident, "statement", body="你好")
    assert answer["error"]["code"] == "invalid_transition" and answer["error"]["message"]


def test_a_phone_that_lost_its_connection_catches_up_in_order(app, meeting, cast):
    second_item = meeting.agenda[1].id
    _, moderator = connect(app, "moderator", meeting)
    http, resident = connect(app, "13900000001", meeting)
    act(resident, "sign_in")
    act(moderator, "start")
    last = max(e["seq"] for e in events(resident))
    resident.disconnect()
    act(moderator, "speakers", open=True)
    act(moderator, "item", item=second_item)
    act(moderator, "pause")
    _, again = connect(app, None, meeting, last_seq=last, http=http)
    missed = events(again, "events")
    assert [(e["seq"], e["kind"]) for e in missed] == [(3, "speakers"), (4, "item"), (5, "pause")]
    answer = again.emit("since", {"seq": 3}, callback=True)
    assert [e["seq"] for e in answer["events"]] == [4, 5]


def test_a_revoked_role_stops_a_moderator_at_the_next_event(app, meeting, cast):
    _, moderator = connect(app, "moderator", meeting)
    assert act(moderator, "start")["ok"]
    moderator_id = cast.moderator.id
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == moderator_id,
                                               RoleGrant.role == Role.moderator))
    db.session.commit()
    answer = act(moderator, "pause")
    assert answer["ok"] is False


def test_signing_out_ends_the_rooms_connections(app, meeting, cast):
    http, resident = connect(app, "13900000001", meeting)
    assert act(resident, "sign_in")["ok"]
    http.post_form("/logout")
    assert any(m["name"] == "signed_out" for m in resident.get_received())
    answer = act(resident, "raise_hand")
    assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"


@pytest.fixture
def neighbours(tree, make_household, make_user):
    """Twelve more residents of building 1 (asked for before the meeting, so invited)."""
    return [make_user(f"居民{n}", phone=f"1370000{n:04d}", household=make_household(tree.e1, f"9{n:02d}")).phone
            for n in range(12)]


def test_tallies_are_coalesced_and_counted_in_the_database(app, cast, neighbours, meeting):
    phones_of_voters = neighbours
    _, moderator = connect(app, "moderator", meeting)
    phones = []
    for number in phones_of_voters:
        _, phone = connect(app, number, meeting)
        act(phone, "sign_in")
        phones.append(phone)
    act(moderator, "start")
    answer = act(moderator, "ballot_open", question="是否同意方案一？")
    assert answer["ok"]
    ballot = answer["ballot"]
    moderator.get_received()
    for n, phone in enumerate(phones):
        assert act(phone, "cast", ballot=ballot, choice="yes" if n % 3 else "no", client_key=f"k{n}")["ok"]
    deadline = time.monotonic() + 5
    tallies = []
    while time.monotonic() < deadline:
        tallies += [m["args"][0] for m in moderator.get_received() if m["name"] == "tally"]
        if tallies and tallies[-1]["cast"] == 12:
            break
        time.sleep(0.05)
    assert tallies and tallies[-1] == {"ballot": ballot, "cast": 12, "eligible": 12, "marks": {"yes": 8, "no": 4, "abstain": 0}}
    assert len(tallies) < 12   # one message per tick, not one per vote


def test_a_failed_tally_does_not_stop_the_live_tallies(app, cast, meeting, monkeypatch):
    """The tally query fails once: the next cast's tally still reaches the room."""
    from consult.meetings import live

    _, moderator = connect(app, "moderator", meeting)
    _, wang = connect(app, "13900000001", meeting)
    _, zhang = connect(app, "13900000002", meeting)
    for phone in (wang, zhang):
        assert act(phone, "sign_in")["ok"]
    act(moderator, "start")
    ballot = act(moderator, "ballot_open", question="是否同意？")["ballot"]
    real, failures = live.tally_message, []

    def failing_once(b):
        if not failures:
            failures.append(b.id)
            raise RuntimeError("the database went away")
        return real(b)

    monkeypatch.setattr(live, "tally_message", failing_once)
    moderator.get_received()
    assert act(wang, "cast", ballot=ballot, choice="yes")["ok"]
    deadline = time.monotonic() + 5
    while not failures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failures == [ballot]
    assert act(zhang, "cast", ballot=ballot, choice="no")["ok"]
    tallies, deadline = [], time.monotonic() + 5
    while time.monotonic() < deadline and not (tallies and tallies[-1]["cast"] == 2):
        tallies += [m["args"][0] for m in moderator.get_received() if m["name"] == "tally"]
        time.sleep(0.05)
    assert tallies and tallies[-1]["cast"] == 2 and tallies[-1]["marks"]["no"] == 1
