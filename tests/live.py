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
    def __init__(self, database: Path, *, port: int | None = None, message_queue: str = "", name: str = "server"):
        self.database = database
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = database.with_name(f"{database.stem}-{name}-{self.port}.log").open("a")
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HOST": "127.0.0.1",
               "PORT": str(self.port), "SECRET_KEY": "e2e-secret", "SOCKETIO_MESSAGE_QUEUE": message_queue,
               # Browser tests look at the figures change within seconds, not five minutes.
               "FIGURES_CACHE_SECONDS": "0"}
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
