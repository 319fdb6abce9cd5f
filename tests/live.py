"""A real server in its own process (gevent, as ``make run`` serves it), for the browser
tests and the live-room tests that need the network, a restart or a second process."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database: Path, *, port: int | None = None, message_queue: str = "", name: str = "server",
                 env: dict | None = None):
        self.database = database
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = database.with_name(f"{database.stem}-{name}-{self.port}.log").open("a")
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HOST": "127.0.0.1",
               "PORT": str(self.port), "SECRET_KEY": "e2e-secret", "SOCKETIO_MESSAGE_QUEUE": message_queue,
               # Tests act in the room as fast as the machine goes; those of its limits set their own.
               **{name: "100000" for name in ("ROOM_ACTIONS_PER_SECOND", "ROOM_PERSON_ACTIONS_PER_SECOND",
                                               "ROOM_STATEMENTS_PER_MINUTE", "ROOM_HANDS_PER_MINUTE",
                                               "ROOM_CASTS_PER_MINUTE")},
               **(env or {})}
        self.process = subprocess.Popen([sys.executable, "-m", "consult.serve"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log.name}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not answer within 30 s")

    def kill(self):
        """As a crash: no chance to finish anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self.log.closed:
            self.log.close()


def sign_in(base_url: str, login: str, password: str):
    """A requests session signed in to a live server."""
    import requests

    http = requests.Session()
    page = http.get(f"{base_url}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = http.post(f"{base_url}/login", data={"identifier": login, "password": password, "csrf_token": token})
    assert response.ok and "退出登录" in response.text, "sign-in failed"
    return http


def council(uri: str) -> int:
    """A circle council of building 1 in the (migrated, empty) database at ``uri``: a
    moderator and a resident who sign in with the test password; the meeting's id."""
    from datetime import timedelta

    from consult import create_app
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.places import service as places
    from consult.places.models import PlaceKind, Relation
    from tests.conftest import PASSWORD, config_for

    app = create_app(config_for(uri))
    with app.app_context(), app.test_request_context():
        with unit_of_work():
            admin = User(name="管理员", username="admin")
            moderator = User(name="李书记", username="moderator", password_hash=hash_password(PASSWORD))
            resident = User(name="王秀英", phone="13900000001", password_hash=hash_password(PASSWORD))
            db.session.add_all([admin, moderator, resident, RoleGrant(user=admin, role=Role.administrator)])
            db.session.flush()
            sub = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=admin)
            community = places.create_place(sub, PlaceKind.community, "富成花园社区", actor=admin)
            building = places.create_place(community, PlaceKind.building, "1号楼", actor=admin)
            db.session.add(RoleGrant(user=moderator, role=Role.moderator, place=community))
            places.attach_member(places.add_household(building, "101", "88.00", actor=admin), resident,
                                 Relation.owner, actor=admin)
            db.session.flush()
            meeting = meetings.schedule(building, actor=moderator, title="1号楼协商会", kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=utcnow() + timedelta(hours=1),
                                        invite_residents=True, free_items=["加装电梯", "停车"])
        meeting_id = meeting.id
        db.engine.dispose()
    return meeting_id
