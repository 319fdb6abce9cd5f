"""Faults against the full stack as ``make stack`` runs it — nginx in front of two gunicorn
processes sharing rooms through Redis, on PostgreSQL: a process killed in the middle of a
meeting, Redis restarted, PostgreSQL away for a few seconds."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, service_missing
from tests.live import council, free_port, sign_in
from tests.meetings.test_servers import RoomClient

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack():
    from consult.stack import Stack

    for tool in ("nginx", "redis-server"):
        if shutil.which(tool) is None:
            service_missing(f"{tool} (apt-get install nginx redis-server postgresql)")
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        service_missing("PostgreSQL server binaries (apt-get install postgresql)")
    # Not under pytest's own folder: the PostgreSQL server runs as its own user.
    folder = Path(tempfile.mkdtemp(prefix="consult-stack-"))
    folder.chmod(0o755)
    running = Stack(folder, port=free_port(), processes=2, app_port=_two_free_ports(), pg_port=free_port(),
                    redis_port=free_port(), demo=False)
    try:
        running.up()
        meeting_id = council(running.env()["DATABASE_URL"])
        yield running, meeting_id
    finally:
        running.down()
        shutil.rmtree(folder, ignore_errors=True)


def _two_free_ports() -> int:
    """A port whose next one is free too."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two free ports in a row")


def _kill_process(stack, n: int) -> None:
    """kill -9 gunicorn process ``n``: its master and its worker."""
    pid = stack.app_pid(n)
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _clients(stack, meeting_id, count, last_seq=0):
    """Residents' phones through nginx: round robin spreads them over both processes."""
    return [RoomClient(stack.url, "13900000001", meeting_id, last_seq=last_seq) for _ in range(count)]


def test_a_killed_process_loses_nothing_acknowledged(stack):
    running, meeting_id = stack
    moderator = RoomClient(running.url, "moderator", meeting_id)
    phones = _clients(running, meeting_id, 4)
    acknowledged = [moderator.act("sign_in"), moderator.act("start"), moderator.act("speakers", open=True),
                    moderator.act("statement", body="请大家发言")]
    assert all(a["ok"] for a in acknowledged), acknowledged
    seqs = [a["seq"] for a in acknowledged]
    for phone in phones:     # every phone got every event, from whichever process it is on
        assert [e["seq"] for e in phone.events(len(seqs))] == seqs

    _kill_process(running, 0)                     # in the middle of the meeting
    survivors = [p for p in [moderator, *phones] if p.sio.connected]
    for client in [moderator, *phones]:
        client.close()
    # The phones that lost their server reconnect through nginx, which sends them to the
    # other process, and catch up from the last event they had.
    again = RoomClient(running.url, "13900000001", meeting_id, last_seq=seqs[1])
    assert [e["seq"] for e in again.events(2)] == seqs[2:]
    moderator = RoomClient(running.url, "moderator", meeting_id, last_seq=seqs[-1])
    more = moderator.act("statement", body="继续")
    assert more["ok"] and more["seq"] == seqs[-1] + 1
    assert [e["seq"] for e in again.events(1)] == [more["seq"]]
    assert len(survivors) < 5                     # the kill did cut some of them off
    for client in (again, moderator):
        client.close()
    running.start_app(0)


def test_the_room_recovers_when_redis_restarts(stack):
    running, meeting_id = stack
    moderator = RoomClient(running.url, "moderator", meeting_id)
    first = moderator.act("statement", body="重启之前")
    assert first["ok"]
    phones = _clients(running, meeting_id, 4, last_seq=first["seq"] - 1)
    for phone in phones:
        assert [e["seq"] for e in phone.events(1)] == [first["seq"]]

    running.redis_restart()
    # Actions are committed at once; broadcasts flow again when each process has
    # reconnected to Redis. Keep acting until every phone hears the room again.
    committed, heard = [], {id(p): [] for p in phones}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(heard.values()):
        answer = moderator.act("statement", body=f"重启之后 {len(committed)}")
        assert answer["ok"], answer
        committed.append(answer["seq"])
        for phone in phones:
            heard[id(phone)] += [e["seq"] for e in phone.events(1, timeout=1)]
    assert all(heard.values()), "a phone never heard the room again"
    # Nothing committed is lost: a phone that catches up from before the restart gets all.
    late = RoomClient(running.url, "13900000001", meeting_id, last_seq=first["seq"])
    assert [e["seq"] for e in late.events(len(committed), timeout=20)] == committed
    for client in (moderator, late, *phones):
        client.close()


def test_postgresql_away_for_a_few_seconds(stack):
    running, _meeting_id = stack
    http = sign_in(running.url, "13900000001", PASSWORD)
    assert http.get(f"{running.url}/places/").status_code == 200
    running.postgres("stop")
    try:
        page = http.get(f"{running.url}/places/")
        assert page.status_code == 503 and "稍后" in page.text and "Traceback" not in page.text
        assert http.get(f"{running.url}/readyz").status_code == 503
    finally:
        running.postgres("start")
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:       # no restart of the app: it reconnects by itself
        status = http.get(f"{running.url}/places/").status_code
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200
