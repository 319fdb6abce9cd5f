"""The production stack under load: nginx → 1 or 2 gunicorn processes → PostgreSQL and Redis.

    python -m bench.stack [--clients 1000] [--proposals 100000] [--seconds 20] [--processes 1,2]

For each number of gunicorn processes, on the stack that ``python -m consult.stack up``
starts (consult/stack.py), all on 127.0.0.1:

1. The live room with ``--clients`` signed-in invitees connected through nginx, measured
   with the clients and the load of bench/live_room.py: time to connect all, one broadcast,
   1,000 casts at once and at 100 per second (casts per second, final tally), how the
   connections split over the processes, and the peak memory of each gunicorn worker.
2. Signed-in page views under load from wrk, a second process: the home page, a
   community's proposal list and a proposal page, with ``--proposals`` proposals in the
   database, ``--seconds`` each: requests per second and latency p50/p99.

Needs wrk, from Debian's package: ``apt-get install wrk`` (installed when missing and run
as root, like the stack's own packages). Everything runs in a fresh folder under /tmp on
ports of its own (nginx 8190, gunicorn 8191…, PostgreSQL 54351, Redis 63851 by default),
and is stopped and removed at the end. Prints a table and writes bench/results/stack.json.

The whole stack and the load generators share the machine's cores: on a 2-core machine the
figures tell what one machine does, not what a second server would add.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.live_room import UNLIMITED, _load, build_database
from consult.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


# --- the processes of the stack ----------------------------------------------------------------

def worker_pid(master: int) -> int:
    """Gunicorn's worker: the child of the pid in app-N.pid."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            return int(stat.parent.name)
    raise RuntimeError(f"no worker under gunicorn {master}")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return (round(int(fields["VmRSS"].split()[0]) / 1024, 1), round(int(fields["VmHWM"].split()[0]) / 1024, 1))


def established(port: int) -> int:
    """TCP connections accepted on 127.0.0.1:``port`` and open now (from /proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "01" and int(local.split(":")[1], 16) == port:
            count += 1
    return count


class Workers:
    """What bench.live_room's load asks of "the server": its memory. Each call also notes
    how many connections each gunicorn process holds; the first call comes once every
    client is connected."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.pids = [worker_pid(stack.app_pid(n)) for n in range(stack.processes)]
        self.snapshots: list[dict] = []

    def connections(self) -> list[int]:
        return [established(self.stack.app_port + n) for n in range(self.stack.processes)]

    def rss_mb(self) -> tuple[float, float]:
        memory = [memory_mb(pid) for pid in self.pids]
        self.snapshots.append({"connections": self.connections(), "rss_mb": [m[0] for m in memory],
                               "peak_mb": [m[1] for m in memory]})
        return round(sum(m[0] for m in memory), 1), round(sum(m[1] for m in memory), 1)


def new_stack(base: Path, name: str, processes: int, ports: dict, demo: bool) -> Stack:
    folder = base / name
    folder.mkdir(mode=0o755, exist_ok=True)
    folder.chmod(0o755)  # PostgreSQL runs as the postgres user when this runs as root
    return Stack(folder, processes=processes, demo=demo, **ports)


# --- 1. the live room --------------------------------------------------------------------------

def bench_room(base: Path, processes: int, clients: int, ports: dict) -> dict:
    stack = new_stack(base, f"room-{processes}", processes, ports, demo=False)
    os.environ.update(UNLIMITED)     # the workers inherit it: the moderator's twenty moves in a row
    try:
        stack.up()
        env = stack.env()
        meeting_id, items, moderator_cookie, cookies = build_database(env["DATABASE_URL"], clients,
                                                                      env["SECRET_KEY"])
        workers = Workers(stack)
        figures = asyncio.run(_load(stack.url, meeting_id, items, moderator_cookie, cookies, workers))
        connected = workers.snapshots[0]
        figures.update({
            "processes": processes,
            # The moderator's connection included; nginx's own count no other.
            "connections_per_process": connected["connections"],
            "worker_rss_connected_mb": connected["rss_mb"],
            "worker_peak_rss_mb": workers.snapshots[-1]["peak_mb"],
        })
        return figures
    finally:
        stack.down()


# --- 2. pages under load -----------------------------------------------------------------------

def load_proposals(url: str, secret: str, count: int) -> tuple[str, dict[str, str]]:
    """``count`` proposals over the demo area, bulk-loaded as bench/__main__.py's
    bench_proposals does; the resident's session cookie and the pages to ask for."""
    from sqlalchemy import select

    from bench.__main__ import insert_proposals
    from config import TestConfig
    from consult import create_app
    from consult.accounts.models import User
    from consult.extensions import db
    from consult.places.models import Place
    from consult.proposals.models import Proposal

    config = type("StackBenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    app = create_app(config)
    rng = random.Random(278)
    with app.app_context():
        insert_proposals(count, rng)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        resident = db.session.scalar(select(User).where(User.username == "resident"))
        community = db.session.scalar(select(Place.id).where(Place.name == "富成花园社区"))
        sample = db.session.scalar(select(Proposal.id).order_by(Proposal.id.desc()))
        from consult.accounts import service as accounts

        sign_in = accounts.open_sign_in(resident, user_agent="bench", address=None, config=app.config)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = "session=" + serializer.dumps({"_user_id": str(resident.id), "_fresh": True,
                                                "login_id": sign_in.token})
        db.engine.dispose()
    return cookie, {"home": "/", "proposal_list": f"/places/{community}/proposals",
                    "proposal_page": f"/proposals/{sample}"}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 1)


def wrk(url: str, cookie: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", url], check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"wrk's output not understood:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50_ms": _wrk_ms(latency["50"]), "p99_ms": _wrk_ms(latency["99"]),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


def _check_page(url: str, cookie: str) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
        # Signed in: not sent to the login form.
        assert response.status == 200 and "/login" not in response.url, (url, response.url)
        assert 'action="/logout"' in body or "/logout" in body, f"{url}: not signed in"


def bench_pages(base: Path, process_counts: list[int], proposals: int, seconds: int, connections: int,
                ports: dict) -> list[dict]:
    """One database for every count of processes: the pages only read."""
    figures, cookie, pages = [], None, None
    for processes in process_counts:
        stack = new_stack(base, "pages", processes, ports, demo=True)
        try:
            stack.up()
            if cookie is None:
                start = time.perf_counter()
                cookie, pages = load_proposals(stack.env()["DATABASE_URL"], stack.env()["SECRET_KEY"], proposals)
                loaded = time.perf_counter() - start
            workers = [worker_pid(stack.app_pid(n)) for n in range(processes)]
            row = {"processes": processes, "proposals": proposals, "load_s": round(loaded, 1),
                   "seconds": seconds, "connections": connections}
            for name, path in pages.items():
                url = stack.url + path
                _check_page(url, cookie)
                wrk(url, cookie, 2, connections)  # warm up: caches, pools, PostgreSQL's buffers
                row[name] = wrk(url, cookie, seconds, connections)
            row["worker_peak_rss_mb"] = [memory_mb(pid)[1] for pid in workers]
            figures.append(row)
        finally:
            stack.down()
    return figures


# --- the run -----------------------------------------------------------------------------------

def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no use
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("Install wrk first: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def machine() -> dict:
    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    cpu = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    memory = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M)
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: float(p.parent.name))
    return {"cpus": os.cpu_count(), "cpu": cpu.group(1) if cpu else "?",
            "memory_gb": round(int(memory.group(1)) / 1024 / 1024, 1) if memory else None,
            "python": platform.python_version(),
            "postgresql": version([str(pg_bin[-1] / "postgres"), "--version"]) if pg_bin else "?",
            "redis": version(["redis-server", "--version"]), "nginx": version(["nginx", "-v"]),
            "gunicorn": version([sys.executable, "-m", "gunicorn", "--version"]),
            "wrk": version(["wrk", "--version"])}


STACK_CASTS_AIM = 1000    # casts per second on the stack (PostgreSQL), all at once


def casts_per_process(room: list[dict]) -> dict[str, float]:
    """Casts per second, all at once, by the number of gunicorn processes."""
    return {str(f["processes"]): f["burst"]["casts_per_s"] for f in room}


def table(figures: dict) -> list[tuple[str, str, str]]:
    rows = []
    one = next((f["burst"]["casts_per_s"] for f in figures["room"] if f["processes"] == 1), None)
    for f in figures["room"]:
        value, load = f["burst"]["casts_per_s"], f.get("load_average") or ["?", "?"]
        rows.append((f"room on PostgreSQL, {f['processes']} process{'es' if f['processes'] > 1 else ''}: "
                     f"casts per second", f"{value} /s",
                     (f"aim ≥ {STACK_CASTS_AIM:,} /s: {'met' if value >= STACK_CASTS_AIM else 'NOT MET'}"
                      if f["processes"] >= 2 else f"aim with two processes ≥ {STACK_CASTS_AIM:,} /s")
                     + (f"; ×{round(value / one, 2)} the one process's" if one and f["processes"] != 1 else "")
                     + f"; {f['clients']} casts at once; load {load[0]}→{load[1]}"))
    for f in figures["room"]:
        label = f"room, {f['processes']} process{'es' if f['processes'] > 1 else ''}, {f['clients']} clients"
        rows += [
            (f"{label}: connect all", f"{f['connect_all_s']} s",
             f"connections per process {f['connections_per_process']}"),
            (f"{label}: one broadcast", f"{f['broadcast_p50_ms']} ms",
             f"p99 {f['broadcast_p99_ms']} ms, last client (median) {f['broadcast_last_client_median_ms']} ms"),
            (f"{label}: casts at once", f"{f['burst']['casts_per_s']} /s",
             f"final tally p99 {f['burst']['final_tally_p99_ms']} ms after the last cast "
             f"({f['burst']['from_first_cast_p99_ms']} ms after the first), lost {f['burst']['lost_tallies']}"),
            (f"{label}: casts at 100/s", f"{f['steady_100_per_s']['casts_per_s']} /s",
             f"final tally p99 {f['steady_100_per_s']['final_tally_p99_ms']} ms, "
             f"lost {f['steady_100_per_s']['lost_tallies']}"),
            (f"{label}: worker peak RSS", f"{max(f['worker_peak_rss_mb'])} MB",
             f"per worker {f['worker_peak_rss_mb']}, once connected {f['worker_rss_connected_mb']}"),
        ]
    for f in figures["pages"]:
        label = f"pages, {f['processes']} process{'es' if f['processes'] > 1 else ''}"
        for name in ("home", "proposal_list", "proposal_page"):
            w = f[name]
            rows.append((f"{label}: {name}", f"{w['requests_per_s']} /s",
                         f"p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms, non-2xx {w['non_2xx']}"
                         + (f", socket errors {w['socket_errors']}" if w["socket_errors"] else "")))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--port", type=int, default=8190, help="nginx; gunicorn on the next ones")
    parser.add_argument("--pg-port", type=int, default=54351)
    parser.add_argument("--redis-port", type=int, default=63851)
    parser.add_argument("--skip", choices=("room", "pages"), help="leave one part out")
    args = parser.parse_args()
    counts = [int(p) for p in args.processes.split(",")]
    ports = {"port": args.port, "app_port": args.port + 1, "pg_port": args.pg_port, "redis_port": args.redis_port}
    busy = [p for p in [args.port, *range(args.port + 1, args.port + 1 + max(counts)), args.pg_port,
                        args.redis_port] if not _free(p)]
    if busy:
        sys.exit(f"ports in use: {busy}")
    _ensure_wrk()
    base = Path(tempfile.mkdtemp(prefix="consult-bench-stack-", dir="/tmp"))
    base.chmod(0o755)
    figures = {"machine": machine(), "room": [], "pages": []}
    try:
        if args.skip != "room":
            figures["room"] = [bench_room(base, p, args.clients, ports) for p in counts]
        if args.skip != "pages":
            figures["pages"] = bench_pages(base, counts, args.proposals, args.seconds, args.connections, ports)
    except BaseException:
        print(f"stopped; the logs are in {base}", file=sys.stderr)
        raise
    shutil.rmtree(base, ignore_errors=True)
    figures["casts_per_s_by_processes"] = casts_per_process(figures["room"])
    rows = table(figures)
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stack.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
