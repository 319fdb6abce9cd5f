"""Pages under load: the home page, a community's proposal list and a proposal page, asked
for by ``wrk -t1 -c16`` with a signed-in resident's session, from one server process serving
the app as ``make run`` does (``python -m consult.serve``, gevent) on a SQLite database with
the demo area and 100,000 proposals. Aim: each page at 300 requests/s or more, p99 at most
100 ms.

``python -m bench.pages [--proposals N] [--seconds S]`` prints a table (page, requests/s,
p50, p99, aim, the ratios of requests/s and p99 to it, met?) and, for a page that misses its
aim, where the server's time goes; writes bench/results/pages.json."""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
AIM_REQUESTS_PER_S = 300
AIM_P99_MS = 100
CONNECTIONS = 16
PASSWORD = "bench password"


def build_database(path: Path, proposals: int) -> dict[str, str]:
    """The demo area and ``proposals`` proposals (bulk-inserted with their "raised" events,
    as bench/__main__.py does), the search index rebuilt over them, statistics gathered; the
    resident's password set. Returns the pages to ask for."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.__main__ import insert_proposals
    from config import TestConfig
    from consult import create_app
    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.demo import build_demo
    from consult.extensions import db
    from consult.places.models import Place
    from consult.proposals.models import Proposal
    from consult.search import index

    config = type("PagesBenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SQLALCHEMY_ENGINE_OPTIONS": {},
        "UPLOAD_DIR": str(path.parent / "uploads")})
    app = create_app(config)
    with app.app_context():
        upgrade()
        with unit_of_work():
            build_demo()
        insert_proposals(proposals, random.Random(278))
        db.session.commit()
        with unit_of_work():
            index.reindex()
        resident = db.session.scalar(select(User).where(User.username == "resident"))
        resident.password_hash = hash_password(PASSWORD)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        community = db.session.scalar(select(Place.id).where(Place.name == "富成花园社区"))
        sample = db.session.scalar(select(Proposal.id).where(Proposal.author_id == resident.id)
                                   .order_by(Proposal.id.desc())) \
            or db.session.scalar(select(Proposal.id).join(Place).where(Place.path.contains(f"/{community}/"))
                                 .order_by(Proposal.id.desc()))
        db.engine.dispose()
    return {"home": "/", "proposal_list": f"/places/{community}/proposals", "proposal_page": f"/proposals/{sample}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database: Path, port: int, log: Path) -> subprocess.Popen:
    """``python -m consult.serve`` on ``database``, as ``make run`` starts it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HOST": "127.0.0.1", "PORT": str(port),
           "SECRET_KEY": secrets.token_hex(32), "UPLOAD_DIR": str(database.parent / "uploads")}
    for name in ("SOCKETIO_MESSAGE_QUEUE", "CONSULT_ENV", "SERVER_NAME"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-m", "consult.serve"], cwd=ROOT, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the server did not answer within a minute; see {log}")


def sign_in(base: str) -> str:
    """The resident signs in through the login form (with its CSRF token); returns the
    Cookie header the app issued."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "identifier": "resident", "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data=data, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(f"{base}/", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
        if "/logout" not in body or "/login" in response.url:
            raise RuntimeError("the resident could not sign in")
    return cookie


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 1)


def wrk(url: str, cookie: str, seconds: int, connections: int = CONNECTIONS) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", url], check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"wrk's output not understood:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    per_s = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _ms(latency["99"])
    return {"requests_per_s": per_s, "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50_ms": _ms(latency["50"]), "p99_ms": p99, "non_2xx": int(errors.group(1)) if errors else 0,
            "met": per_s >= AIM_REQUESTS_PER_S and p99 <= AIM_P99_MS and not errors}


def _py_spy() -> str | None:
    return shutil.which("py-spy") or next((str(p) for p in [Path(sys.executable).parent / "py-spy"] if p.exists()), None)


def profile(pid: int, url: str, cookie: str, seconds: int, top: int = 12) -> list[dict]:
    """Where the server's time goes on one page: py-spy samples the server while wrk asks
    for it; the share of samples in which each function of the app (and the database and
    template calls) is on the stack, largest first."""
    spy = _py_spy()
    if spy is None:
        return [{"frame": "py-spy is not installed (pip install py-spy)", "share": 0}]
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        load = subprocess.Popen(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds + 2}s", "-H", f"Cookie: {cookie}", url],
                                stdout=subprocess.DEVNULL)
        subprocess.run([spy, "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "-f", "raw", "-o", out.name],
                       check=True, capture_output=True)
        load.wait()
        counts, total = {}, 0
        for line in Path(out.name).read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            total += int(n)
            for frame in set(stack.split(";")):
                if any(mark in frame for mark in ("consult/", ".html", "Session.execute", "Template.render")) \
                        and "consult/serve.py" not in frame:
                    counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:top]
    return [{"frame": frame, "share": round(n / max(total, 1), 3)} for frame, n in ranked]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_pages(proposals: int = 100_000, seconds: int = 15, base: Path | None = None) -> dict:
    """Build the database, start the server, sign in, and run wrk on each page; where a
    page misses its aim, profile the server on it."""
    own = base is None
    base = Path(tempfile.mkdtemp(prefix="consult-bench-pages-")) if own else base
    database = base / "pages.db"
    start = time.perf_counter()
    pages = build_database(database, proposals)
    figures = {"proposals": proposals, "seconds": seconds, "connections": CONNECTIONS,
               "load_s": round(time.perf_counter() - start, 1),
               "aim": {"requests_per_s": AIM_REQUESTS_PER_S, "p99_ms": AIM_P99_MS}, "pages": {}}
    port = _free_port()
    server = serve(database, port, base / "server.log")
    try:
        url = f"http://127.0.0.1:{port}"
        cookie = sign_in(url)
        for name, path in pages.items():
            wrk(url + path, cookie, 2)  # warm up: caches, the pool, SQLite's pages
            figures["pages"][name] = {"path": path, **wrk(url + path, cookie, seconds),
                                      "load_average": load_average()}
            if not figures["pages"][name]["met"]:
                figures["pages"][name]["profile"] = profile(server.pid, url + path, cookie, min(seconds, 10))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if own:
            shutil.rmtree(base, ignore_errors=True)
    return figures


def for_make_bench(seconds: int = 5) -> dict:
    """``make bench``'s run: shorter, and said to be left out where wrk is missing."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    return bench_pages(seconds=seconds)


def table(figures: dict) -> list[tuple[str, str, str]]:
    """Rows for ``make bench``'s table."""
    if "skipped" in figures:
        return [("pages under wrk, 1 process", "—", figures["skipped"])]
    rows = [(f"pages, 1 process, {figures['proposals']:,} proposals: {name.replace('_', ' ')}",
             f"{f['requests_per_s']} /s",
             f"p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms; aim ≥ {AIM_REQUESTS_PER_S}/s "
             f"({f['requests_per_s'] / AIM_REQUESTS_PER_S:.2f}×), p99 ≤ {AIM_P99_MS} ms "
             f"({f['p99_ms'] / AIM_P99_MS:.2f}×): {'met' if f['met'] else 'NOT met'} (load {f['load_average']})")
            for name, f in figures["pages"].items()]
    for name, f in figures["pages"].items():
        rows += [(f"  … {name.replace('_', ' ')}: {row['frame'][:70]}", f"{row['share']:.0%}", "of the server's samples")
                 for row in f.get("profile", [])[:6]]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    figures = bench_pages(args.proposals, args.seconds)
    print(f"{'page':<14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  {'aim':<20} {'ratio':<13} met?   load")
    for name, f in figures["pages"].items():
        ratio = f"{f['requests_per_s'] / AIM_REQUESTS_PER_S:.2f}×, {f['p99_ms'] / AIM_P99_MS:.2f}×"
        print(f"{name:<14} {f['requests_per_s']:>8} {f['p50_ms']:>8} {f['p99_ms']:>8}  "
              f"{f'≥{AIM_REQUESTS_PER_S}/s, p99≤{AIM_P99_MS}ms':<20} {ratio:<13} {'yes' if f['met'] else 'NO':<6} "
              f"{f['load_average']}" + (f"  ({f['non_2xx']} non-2xx)" if f["non_2xx"] else ""))
    for name, f in figures["pages"].items():
        if f.get("profile"):
            print(f"\n{name}: aim not met; where the server's time goes (share of samples):")
            for row in f["profile"]:
                print(f"  {row['share']:6.1%}  {row['frame']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"\nwritten to {RESULTS / 'pages.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
