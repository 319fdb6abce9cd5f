"""The room against real server processes: the Origin is checked at the handshake; a
server killed in the middle of a meeting loses nothing it acknowledged; two processes
share a room through a real Redis."""
from __future__ import annotations

import os
import queue
import time

import pytest

from tests.conftest import PASSWORD, migrate_to_head, service_missing
from tests.live import LiveServer, council, sign_in

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL")


@pytest.fixture
def database(tmp_path):
    """A migrated SQLite file holding a circle council of building 1."""
    path = tmp_path / "room.db"
    migrate_to_head(f"sqlite:///{path}")
    return path, council(f"sqlite:///{path}")


class RoomClient:
    """A real Socket.IO client over the network, signed in like a browser."""

    def __init__(self, url: str, login: str, meeting_id: int, *, last_seq: int = 0):
        import socketio

        self.http = sign_in(url, login, PASSWORD)
        self.received: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", lambda ev: self.received.put(ev))
        self.sio.on("events", lambda evs: [self.received.put(ev) for ev in evs])
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.sio.connect(url, headers={"Cookie": cookie}, transports=["websocket"],   # Origin: the server's
                         auth={"meeting": meeting_id, "last_seq": last_seq}, wait_timeout=10)

    def act(self, action: str, **data) -> dict:
        return self.sio.call("act", {"action": action, **data}, timeout=10)

    def events(self, count: int, timeout: float = 10) -> list[dict]:
        out, deadline = [], time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            try:
                out.append(self.received.get(timeout=0.1))
            except queue.Empty:
                pass
        return out

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def servers():
    started: list[LiveServer] = []
    yield started
    for server in started:
        server.stop()


def test_the_handshake_checks_the_origin(database, servers):
    path, meeting_id = database
    server = LiveServer(path)
    servers.append(server)
    http = sign_in(server.url, "13900000001", PASSWORD)
    handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
    refused = http.get(handshake, headers={"Origin": "http://elsewhere.example"})
    assert refused.status_code == 400 and "origin" in refused.text.lower()
    assert http.get(handshake, headers={"Origin": server.url}).status_code == 200
    client = RoomClient(server.url, "13900000001", meeting_id)
    assert client.act("sign_in")["ok"]
    client.close()


def test_killing_the_server_loses_nothing_acknowledged(database, servers, tmp_path):
    path, meeting_id = database
    server = LiveServer(path, name="first")
    servers.append(server)
    moderator = RoomClient(server.url, "moderator", meeting_id)
    acknowledged = [moderator.act("sign_in"), moderator.act("start"), moderator.act("speakers", open=True),
                    moderator.act("statement", body="请大家发言")]
    assert all(a["ok"] for a in acknowledged)
    seqs = [a["seq"] for a in acknowledged]
    server.kill()                                  # in the middle of the meeting
    moderator.close()
    again = LiveServer(path, port=server.port, name="second")
    servers.append(again)
    resident = RoomClient(again.url, "13900000001", meeting_id, last_seq=0)
    replay = resident.events(len(seqs))
    assert [e["seq"] for e in replay] == seqs
    assert [e["kind"] for e in replay] == ["signed_in", "start", "speakers", "statement"]
    assert replay[-1]["data"]["body"] == "请大家发言"
    assert resident.act("sign_in")["seq"] == seqs[-1] + 1     # the numbering goes on
    resident.close()


def test_two_processes_share_a_room_through_redis(database, servers):
    if not REDIS_URL:
        service_missing("Redis (set CONSULT_TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        service_missing(f"Redis at {REDIS_URL} does not answer")
    path, meeting_id = database
    one = LiveServer(path, message_queue=REDIS_URL, name="one")
    servers.append(one)
    two = LiveServer(path, message_queue=REDIS_URL, name="two")
    servers.append(two)
    moderator = RoomClient(one.url, "moderator", meeting_id)
    resident = RoomClient(two.url, "13900000001", meeting_id)
    assert resident.act("sign_in")["ok"]               # an action on process two …
    assert moderator.act("start")["ok"]                # … and one on process one
    seen_on_two = resident.events(2)
    seen_on_one = moderator.events(2)
    assert [e["kind"] for e in seen_on_two] == ["signed_in", "start"]
    assert [e["kind"] for e in seen_on_one] == ["signed_in", "start"]
    moderator.close()
    resident.close()
