"""The full stack on one machine, from Debian's packages: PostgreSQL, Redis, N gunicorn
processes (gevent, one worker each, sharing live rooms through Redis) and nginx in front,
all on 127.0.0.1. ``python -m consult.stack up|down|status`` (``make stack``,
``make stack-down``). Everything it runs and writes lives in one folder (instance/stack by
default); pointing the same settings at real servers is a matter of the environment
variables printed by ``env`` (see the README)."""
from __future__ import annotations

import argparse
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"nginx": "nginx", "redis-server": "redis-server", "pg_ctl": "postgresql"}


@dataclass
class Stack:
    folder: Path
    port: int = 8080            # nginx: the address browsers use
    processes: int = 2
    app_port: int = 8101        # gunicorn processes on app_port, app_port + 1, …
    pg_port: int = 54340
    redis_port: int = 63840
    demo: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def path(self, *parts: str) -> Path:
        return self.folder.joinpath(*parts)

    # --- what the processes are told -------------------------------------------------------

    def env(self) -> dict[str, str]:
        secret = self.path("secret_key")
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(48))
            secret.chmod(0o600)
        return {
            "CONSULT_ENV": "production",
            "SECRET_KEY": secret.read_text().strip(),
            "DATABASE_URL": f"postgresql+psycopg://consult@127.0.0.1:{self.pg_port}/consult",
            "SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{self.redis_port}/0",
            "TRUSTED_PROXIES": "1",
            "UPLOAD_DIR": str(self.path("uploads")),
        }

    # --- up --------------------------------------------------------------------------------

    def up(self) -> None:
        _install_missing()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._postgres()
        self._redis()
        env = {**os.environ, **self.env()}
        flask = [sys.executable, "-m", "flask", "--app", "consult"]
        subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        if self.demo:
            subprocess.run(flask + ["demo", "--if-empty"], env=env, cwd=ROOT, check=True)
        for n in range(self.processes):
            self.start_app(n)
        self._nginx()
        self.wait_ready()

    def start_app(self, n: int) -> None:
        """Gunicorn process ``n``: one gevent worker, as many idle live-room connections as
        it can hold."""
        env = {**os.environ, **self.env()}
        port = self.app_port + n
        subprocess.run([sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "4000",
                        "-b", f"127.0.0.1:{port}", "--daemon", "--pid", str(self.path(f"app-{n}.pid")),
                        "--error-logfile", str(self.path(f"app-{n}.log")), "--capture-output",
                        "--graceful-timeout", "5", "consult.wsgi:app"], env=env, cwd=ROOT, check=True)
        _wait_http(f"http://127.0.0.1:{port}/healthz", 30)

    def app_pid(self, n: int) -> int | None:
        return _read_pid(self.path(f"app-{n}.pid"))

    def _postgres(self) -> None:
        data = self.path("pg")
        pg_bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)[-1])
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        if not (data / "PG_VERSION").exists():
            subprocess.run(as_postgres + [str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "consult",
                            "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        if not (data / "postmaster.pid").exists():
            subprocess.run(as_postgres + [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(self.path("pg.log")),
                                          "-w", "-o", f"-c listen_addresses=127.0.0.1 -p {self.pg_port} "
                                                      f"-k {self.folder} -c max_connections=300", "start"],
                           check=True, capture_output=True)
        exists = subprocess.run([str(pg_bin / "psql"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "consult",
                                 "-d", "postgres", "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'consult'"],
                                check=True, capture_output=True, text=True).stdout.strip()
        if not exists:
            subprocess.run([str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "consult",
                            "consult"], check=True)

    def postgres(self, action: str) -> None:
        """Stop or start PostgreSQL alone (for the fault tests and for maintenance)."""
        pg_bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)[-1])
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [str(pg_bin / "pg_ctl"), "-D", str(self.path("pg")), "-w", "-m", "fast"]
        if action == "start":
            command += ["-l", str(self.path("pg.log")), "-o",
                        f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {self.folder} -c max_connections=300"]
        subprocess.run(as_postgres + command + [action], check=True, capture_output=True)

    def _redis(self) -> None:
        if _alive(_read_pid(self.path("redis.pid"))):
            return
        subprocess.run(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--daemonize", "yes",
                        "--pidfile", str(self.path("redis.pid")), "--logfile", str(self.path("redis.log")),
                        "--dir", str(self.folder), "--save", "", "--appendonly", "no"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.path("redis.pid").exists():
            time.sleep(0.05)

    def redis_restart(self) -> None:
        _stop(self.path("redis.pid"))
        self._redis()

    def nginx_conf(self) -> str:
        servers = "\n".join(f"    server 127.0.0.1:{self.app_port + n} max_fails=1 fail_timeout=3s;"
                            for n in range(self.processes))
        logs = self.path("nginx")
        user = "user root;\n" if os.geteuid() == 0 else ""
        return f"""{user}worker_processes 1;
pid {logs}/nginx.pid;
error_log {logs}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  include /etc/nginx/mime.types;
  access_log {logs}/access.log;
  client_body_temp_path {logs}/body; proxy_temp_path {logs}/proxy; fastcgi_temp_path {logs}/fastcgi;
  uwsgi_temp_path {logs}/uwsgi; scgi_temp_path {logs}/scgi;
  client_max_body_size 40m;
  # Browsers reach the live room over WebSocket only, so any process may take any
  # connection: no stickiness. A process that does not answer is skipped.
  upstream consult {{
{servers}
  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{self.port};
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_next_upstream error timeout http_502;
    location /socket.io/ {{
      proxy_pass http://consult;
      proxy_http_version 1.1;
      # A location that sets headers inherits none from the server: all of them again.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }}
    location /static/ {{ alias {ROOT / 'static'}/; expires 7d; }}
    location / {{ proxy_pass http://consult; }}
  }}
}}
"""

    def _nginx(self) -> None:
        folder = self.path("nginx")
        folder.mkdir(exist_ok=True)
        conf = folder / "nginx.conf"
        conf.write_text(self.nginx_conf())
        if _alive(_read_pid(folder / "nginx.pid")):
            subprocess.run(["nginx", "-p", str(folder), "-c", str(conf), "-s", "reload"], check=True)
        else:
            subprocess.run(["nginx", "-p", str(folder), "-c", str(conf)], check=True)

    def wait_ready(self, seconds: float = 60) -> None:
        _wait_http(f"{self.url}/readyz", seconds)

    # --- down ------------------------------------------------------------------------------

    def down(self) -> None:
        _stop(self.path("nginx", "nginx.pid"))
        for pid_file in sorted(self.folder.glob("app-*.pid")):
            _stop(pid_file)
        _stop(self.path("redis.pid"))
        if self.path("pg", "postmaster.pid").exists():
            self.postgres("stop")

    def status(self) -> dict[str, bool]:
        out = {"nginx": _alive(_read_pid(self.path("nginx", "nginx.pid"))),
               "redis": _alive(_read_pid(self.path("redis.pid"))),
               "postgresql": self.path("pg", "postmaster.pid").exists()}
        for pid_file in sorted(self.folder.glob("app-*.pid")):
            out[pid_file.stem] = _alive(_read_pid(pid_file))
        return out


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in Path(path).parent.name.split(".") if p.isdigit())


def _install_missing() -> None:
    missing = [package for tool, package in PACKAGES.items()
               if shutil.which(tool) is None and not (tool == "pg_ctl" and glob.glob("/usr/lib/postgresql/*/bin"))]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"Install these Debian packages first: apt-get install {' '.join(missing)}")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(pid_file: Path, seconds: float = 10) -> None:
    pid = _read_pid(pid_file)
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m consult.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("up", "down", "status", "env"))
    parser.add_argument("--dir", default=str(ROOT / "instance" / "stack"))
    parser.add_argument("--processes", type=int, default=int(os.environ.get("STACK_PROCESSES", "2")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("STACK_PORT", "8080")))
    args = parser.parse_args(argv)
    stack = Stack(Path(args.dir).resolve(), port=args.port, processes=args.processes)
    if args.action == "up":
        stack.up()
        print(f" * Consult on {stack.url}/ : nginx → {stack.processes} gunicorn processes, PostgreSQL "
              f"127.0.0.1:{stack.pg_port}, Redis 127.0.0.1:{stack.redis_port}; logs in {stack.folder}")
    elif args.action == "down":
        stack.down()
        print(" * stopped")
    elif args.action == "status":
        for name, alive in stack.status().items():
            print(f"{name:12} {'running' if alive else 'stopped'}")
    else:
        for key, value in stack.env().items():
            print(f"{key}={value}")


if __name__ == "__main__":
    main()
