"""The live room under load: N real Socket.IO clients over 127.0.0.1 in one meeting.

For each N: the time to connect all; one broadcast → when each client has it; 1,000 casts
as fast as they come and at a steady 100 per second → casts per second and when every
client has seen the final tally; the server's memory. The same is measured, in the same
run, against a bare WebSocket server (the ``websockets`` package) that speaks the same
tiny protocol and does no work: the floor of this machine.

    python -m bench.live_room [--sizes 100,500,1000,5000] [--casts-up-to 1000]

For each size it prints every aim of the room with its figure, the floor's, their ratio and
whether it is met (connect all, one broadcast p99, casts at once → final tally, casts per
second, server memory), with the load average of the machine over the run, and writes
them to bench/results/live_room.json ("aims"). Rooms larger than ``--casts-up-to`` are
measured without the casts (connect, broadcast, memory).

The server runs as ``make run`` serves (gevent, one process, SQLite); the clients are
asyncio connections in this process.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-live-room-secret"
BROADCASTS = int(os.environ.get("BENCH_BROADCASTS", "20"))
CONNECT_CONCURRENCY = 100
# The moderator moves the item twenty times in a row: the room's limits on one person's
# actions (a guard against floods) would refuse that, so the bench lifts them.
UNLIMITED = {name: "100000" for name in ("ROOM_ACTIONS_PER_SECOND", "ROOM_PERSON_ACTIONS_PER_SECOND",
                                          "ROOM_STATEMENTS_PER_MINUTE", "ROOM_HANDS_PER_MINUTE",
                                          "ROOM_CASTS_PER_MINUTE")}


def _pct(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


# --- the database and the sessions -----------------------------------------------------------

def build_database(path: Path | str, n: int, secret: str = SECRET):
    """A meeting in session with ``n`` invitees already signed in, and their session cookies
    signed with ``secret``. ``path`` is a SQLite file, or a database URL (PostgreSQL)."""
    from sqlalchemy import insert

    from config import TestConfig
    from consult import create_app
    from consult.accounts.models import Role, RoleGrant, User
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings.models import (
        AgendaItem,
        Attendance,
        Invitee,
        Meeting,
        MeetingForm,
        MeetingKind,
        MeetingState,
        Response,
    )
    from consult.places import service as places
    from consult.places.models import Household, HouseholdMember, PlaceKind
    from flask_migrate import upgrade

    uri = path if isinstance(path, str) else f"sqlite:///{path}"
    config = type("LiveBenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": secret})
    app = create_app(config)
    with app.app_context():
        upgrade()
        with unit_of_work():
            # The sessions are signed below, so no password is ever checked: any hash will do.
            moderator = User(name="主持人", username="moderator", password_hash="bench")
            db.session.add(moderator)
            db.session.flush()
            db.session.add(RoleGrant(user=moderator, role=Role.administrator))
            sub = places.create_place(None, PlaceKind.subdistrict, "街道", actor=moderator)
            community = places.create_place(sub, PlaceKind.community, "社区", actor=moderator)
            building = places.create_place(community, PlaceKind.building, "1号楼", actor=moderator)
        users = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True),
                                   [{"name": f"居民{i}", "phone": f"1390{i:07d}", "password_hash": "bench"}
                                    for i in range(n)]).all()
        homes = db.session.scalars(insert(Household).returning(Household.id, sort_by_parameter_order=True),
                                   [{"place_id": building.id, "room": f"{i:05d}", "area": Decimal("80.00")}
                                    for i in range(n)]).all()
        db.session.execute(insert(HouseholdMember), [{"household_id": h, "user_id": u, "relation": "owner",
                                                      "is_designated_voter": True} for h, u in zip(homes, users)])
        meeting = Meeting(place_id=building.id, title="压力测试协商会", kind=MeetingKind.circle,
                          form=MeetingForm.online, starts_at=utcnow(), moderator_id=moderator.id,
                          state=MeetingState.live, started_at=utcnow())
        db.session.add(meeting)
        db.session.flush()
        items = [AgendaItem(meeting_id=meeting.id, position=p, title=f"议题{p}") for p in (1, 2)]
        db.session.add_all(items)
        db.session.flush()
        meeting.current_item_id = items[0].id
        db.session.execute(insert(Invitee), [{"meeting_id": meeting.id, "user_id": u,
                                              "response": Response.accepted} for u in users])
        db.session.execute(insert(Attendance), [{"meeting_id": meeting.id, "user_id": u, "in_person": False,
                                                 "at": utcnow()} for u in users])
        db.session.commit()
        from consult.accounts.models import SignIn

        tokens = {u: f"{u:032x}" for u in [*users, moderator.id]}
        db.session.execute(insert(SignIn), [{"user_id": u, "token": t, "created_at": utcnow(),
                                             "last_seen_at": utcnow(), "device": "bench"}
                                            for u, t in tokens.items()])
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = lambda uid: "session=" + serializer.dumps({"_user_id": str(uid), "_fresh": True,  # noqa: E731
                                                            "login_id": tokens[uid]})
        cookies = [cookie(u) for u in users]
        meeting_id, items, moderator_cookie = meeting.id, [i.id for i in items], cookie(moderator.id)
        db.engine.dispose()
    return meeting_id, items, moderator_cookie, cookies


# --- the servers --------------------------------------------------------------------------

class Process:
    def __init__(self, args, env, port, log: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=self.log,
                                        stderr=subprocess.STDOUT, preexec_fn=lambda: _pin(SERVER_CPU))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited, see {log}")
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> tuple[float, float]:
        """(now, peak) resident memory of the server process."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return (round(int(fields["VmRSS"].split()[0]) / 1024, 1), round(int(fields["VmHWM"].split()[0]) / 1024, 1))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# The server gets one core and the clients the other, so that neither measures the other.
SERVER_CPU, CLIENT_CPU = 0, 1


def _pin(cpu: int) -> None:
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a client speaking Engine.IO 4 / Socket.IO 5 over a WebSocket ------------------------------

class Busy(Exception):
    """The server refused the handshake for now: no database connection was free in time."""


class Client:
    def __init__(self, base_url: str, cookie: str):
        self.base_url, self.cookie = base_url, cookie
        self.seen: dict[int, float] = {}
        self.final_tally: dict[int, float] = {}
        self.expect: dict[int, int] = {}
        self.acks: dict[int, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.retries = 0

    async def connect(self, meeting_id: int, last_seq: int):
        """As the room's page does: a handshake refused as "busy" (no database connection
        free in time, when a crowd arrives at once) is asked again after a growing pause."""
        delay = 0.5
        while True:
            try:
                return await self._connect(meeting_id, last_seq)
            except Busy:
                self.retries += 1
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 8)

    async def _connect(self, meeting_id: int, last_seq: int):
        import websockets

        url = self.base_url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await websockets.connect(url, additional_headers={"Cookie": self.cookie, "Origin": self.base_url},
                                           max_size=None, open_timeout=120, ping_interval=None, compression=None,
                                           close_timeout=2)
        opening = await self.ws.recv()
        assert opening.startswith("0"), opening
        await self.ws.send("40" + json.dumps({"meeting": meeting_id, "last_seq": last_seq}))
        reply = await self.ws.recv()
        if not reply.startswith("40"):
            await self.ws.close()
            if '"busy"' in reply:
                raise Busy(reply)
            raise RuntimeError(f"refused: {reply}")
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def read(self):
        async for message in self.ws:
            now = time.perf_counter()
            if message == "2":
                await self.ws.send("3")
            elif message.startswith("42"):
                name, payload = json.loads(message[2:])
                if name == "event":
                    self.seen[payload["seq"]] = now
                elif name == "tally":
                    want = self.expect.get(payload["ballot"])
                    if want is not None and payload["cast"] >= want and payload["ballot"] not in self.final_tally:
                        self.final_tally[payload["ballot"]] = now
            elif message.startswith("43"):
                body = message[2:]
                digits = len(body) - len(body.lstrip("0123456789"))
                future = self.acks.pop(int(body[:digits]), None)
                if future is not None and not future.done():
                    future.set_result((json.loads(body[digits:])[0], now))

    async def call(self, action: str, **data):
        ack_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        await self.ws.send(f"42{ack_id}" + json.dumps(["act", {"action": action, **data}]))
        return await asyncio.wait_for(future, 60)

    async def close(self):
        # The server may drop the connection without a closing handshake: do not wait long.
        self.reader.cancel()
        await self.ws.close()


def load_average() -> float:
    """The machine's load average over the last minute: the cores are shared, so each figure
    is printed with it."""
    return round(os.getloadavg()[0], 2)


async def _load(base_url: str, meeting_id: int, items: list[int], moderator_cookie: str, cookies: list[str],
                server: Process, casts: bool = True) -> dict:
    """``casts=False``: connect, broadcast and memory only (the largest rooms, where the
    casts would take minutes and tell nothing the smaller ones do not)."""
    n = len(cookies)
    load_before = load_average()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients = [Client(base_url, c) for c in cookies]

    async def connect(client):
        async with gate:
            await client.connect(meeting_id, 10 ** 9)

    start = time.perf_counter()
    await asyncio.gather(*(connect(c) for c in clients))
    connected = time.perf_counter() - start
    moderator = Client(base_url, moderator_cookie)
    await moderator.connect(meeting_id, 10 ** 9)
    rss_connected = server.rss_mb()[0]

    # Broadcasts: the moderator moves between the two items; each move reaches everyone.
    delays, last = [], []
    for k in range(BROADCASTS):
        sent = time.perf_counter()
        answer, _ = await moderator.call("item", item=items[(k + 1) % 2])
        seq = answer["seq"]
        deadline = time.perf_counter() + 10
        while any(seq not in c.seen for c in clients) and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        got = [c.seen[seq] - sent for c in clients if seq in c.seen]
        delays += got
        last.append(max(got) if got else None)

    async def ballot():
        answer, _ = await moderator.call("ballot_open", question="是否同意？")
        ballot_id = answer["ballot"]
        for c in clients:
            c.expect[ballot_id] = n
        return ballot_id

    async def cast_all(ballot_id, pace: float | None):
        start = time.perf_counter()

        async def one(i, client):
            if pace:
                await asyncio.sleep(i * pace)
            answer, at = await client.call("cast", ballot=ballot_id, choice="yes" if i % 3 else "no",
                                           client_key=f"{ballot_id}-{i}")
            return answer.get("ok", False), at

        results = await asyncio.gather(*(one(i, c) for i, c in enumerate(clients)))
        last_ack = max(at for _, at in results)
        deadline = time.perf_counter() + 15
        while any(ballot_id not in c.final_tally for c in clients) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        # After the last acknowledged cast (a tally may overtake that acknowledgement: 0), and
        # from the first cast sent: how long until everyone knows the result.
        seen = [max(0.0, c.final_tally[ballot_id] - last_ack) for c in clients if ballot_id in c.final_tally]
        total = [c.final_tally[ballot_id] - start for c in clients if ballot_id in c.final_tally]
        return {"ok": sum(ok for ok, _ in results), "casts_per_s": round(n / (last_ack - start), 1),
                "final_tally_p50_ms": _ms(_pct(seen, 0.5)), "final_tally_p99_ms": _ms(_pct(seen, 0.99)),
                "from_first_cast_p99_ms": _ms(_pct(total, 0.99)), "lost_tallies": n - len(seen)}

    burst = await cast_all(await ballot(), None) if casts else None
    steady = await cast_all(await ballot(), 0.01) if casts else None
    rss_now, rss_peak = server.rss_mb()
    await asyncio.gather(*(c.close() for c in clients + [moderator]))
    return {"clients": n, "connect_all_s": round(connected, 2), "connect_retries": sum(c.retries for c in clients),
            "broadcast_p50_ms": _ms(_pct(delays, 0.5)), "broadcast_p99_ms": _ms(_pct(delays, 0.99)),
            "broadcast_last_client_median_ms": _ms(statistics.median([x for x in last if x is not None])),
            "burst": burst, "steady_100_per_s": steady,
            "rss_connected_mb": rss_connected, "rss_mb": rss_now, "rss_peak_mb": rss_peak,
            "load_average": [load_before, load_average()]}


# --- the floor: a bare WebSocket server speaking the same protocol -------------------------------

def reference_main(port: int) -> None:
    """Accepts the room protocol and does nothing else: broadcasts a moved item to all,
    counts casts, and sends everyone the tally every 100 ms when it changed."""
    import websockets
    from websockets.asyncio.server import broadcast, serve

    async def main():
        sockets: set = set()
        state = {"seq": 0, "ballots": {}, "dirty": set()}

        async def handler(ws):
            await ws.send('0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')
            sockets.add(ws)
            try:
                async for message in ws:
                    if message.startswith("40"):
                        await ws.send('40{"sid":"y"}')
                    elif message.startswith("42"):
                        body = message[2:]
                        digits = len(body) - len(body.lstrip("0123456789"))
                        ack, (_, data) = body[:digits], json.loads(body[digits:])
                        answer = {"ok": True}
                        if data["action"] == "item":
                            state["seq"] += 1
                            answer["seq"] = state["seq"]
                            broadcast(sockets, "42" + json.dumps(["event", {"seq": state["seq"], "kind": "item",
                                                                           "data": {"item": data["item"]}}]))
                        elif data["action"] == "ballot_open":
                            ballot = len(state["ballots"]) + 1
                            state["ballots"][ballot] = 0
                            answer["ballot"] = ballot
                        elif data["action"] == "cast":
                            state["ballots"][data["ballot"]] += 1
                            state["dirty"].add(data["ballot"])
                        await ws.send(f"43{ack}" + json.dumps([answer]))
            finally:
                sockets.discard(ws)

        async def ticker():
            while True:
                await asyncio.sleep(0.1)
                for ballot in list(state["dirty"]):
                    state["dirty"].discard(ballot)
                    broadcast(sockets, "42" + json.dumps(["tally", {"ballot": ballot, "cast": state["ballots"][ballot]}]))

        async def health(connection, request):
            if request.path == "/healthz":
                return connection.respond(200, "ok\n")

        async with serve(handler, "127.0.0.1", port, process_request=health, max_size=None, ping_interval=None,
                         compression=None):
            asyncio.get_running_loop().create_task(ticker())
            await asyncio.Future()

    asyncio.run(main())
    del websockets


# --- the run ------------------------------------------------------------------------------

CASTS_UP_TO = 1000      # larger rooms: connect, broadcast and memory only


def measure(sizes=(100, 500, 1000), casts_up_to: int = CASTS_UP_TO) -> dict:
    """Runs in a child process of its own when called from ``python -m bench``: it pins
    itself to one core. For each size, the app and then the floor, one after the other;
    a floor that cannot serve a size is noted, not fatal."""
    _pin(CLIENT_CPU)
    figures = {"app": [], "floor": [], "floor_failed": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            casts = n <= casts_up_to
            path = Path(tmp) / f"room-{n}.db"
            meeting_id, items, moderator_cookie, cookies = build_database(path, n)
            port = free_port()
            app = Process([sys.executable, "-m", "consult.serve"],
                          {"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": SECRET, "PORT": str(port),
                           "SOCKETIO_MESSAGE_QUEUE": "", "CONSULT_ACCESS_LOG": "0", **UNLIMITED},
                          port, Path(tmp) / f"app-{n}.log")
            try:
                figures["app"].append(asyncio.run(_load(app.url, meeting_id, items, moderator_cookie, cookies, app,
                                                        casts)))
            finally:
                app.stop()
            port = free_port()
            try:
                floor = Process([sys.executable, "-m", "bench.live_room", "--reference", str(port)], {}, port,
                                Path(tmp) / f"floor-{n}.log")
                try:
                    figures["floor"].append(asyncio.run(_load(floor.url, 1, [1, 2], "", [""] * n, floor, casts)))
                finally:
                    floor.stop()
            except Exception as error:        # e.g. out of file descriptors: say so, keep the app's figures
                figures["floor_failed"][str(n)] = f"{type(error).__name__}: {error}"
    figures["aims"] = aims(figures)
    return figures


# The performance aims: (key, what, figure of a run, unit, how it is judged, target).
# "ratio": at most target × the floor's figure; "at_least"/"at_most": the figure itself.
AIMS = (
    ("connect", "connect all", lambda f: f["connect_all_s"], "s", "ratio", 1.5),
    ("broadcast_p99", "one broadcast, p99 over all clients", lambda f: f["broadcast_p99_ms"], "ms", "ratio", 2),
    ("burst_final_tally", "casts at once → final tally at every client (p99, from the first cast)",
     lambda f: f["burst"] and f["burst"]["from_first_cast_p99_ms"], "ms", "ratio", 3),
    ("casts_per_s", "casts per second, all at once", lambda f: f["burst"] and f["burst"]["casts_per_s"], "/s",
     "at_least", 1500),
    ("memory", "server memory at the end (resident)", lambda f: f["rss_mb"], "MB", "at_most", 200),
)
MEMORY_AIM_AT = 1000     # the memory aim is for 1,000 clients; other sizes are measured and reported


def aims(figures: dict) -> list[dict]:
    """Every aim at every size: the figure, the floor's, their ratio, and whether it is met
    (None where the aim does not apply to the size or could not be measured)."""
    floors = {f["clients"]: f for f in figures["floor"]}
    out = []
    for f in figures["app"]:
        n, floor = f["clients"], floors.get(f["clients"])
        for key, what, value, unit, judged, target in AIMS:
            figure = value(f)
            floor_figure = value(floor) if floor is not None else None
            ratio = round(figure / floor_figure, 2) if figure is not None and floor_figure else None
            if figure is None or (key == "memory" and n != MEMORY_AIM_AT):
                met = None
            elif judged == "ratio":
                met = None if ratio is None else ratio <= target
            else:
                met = figure >= target if judged == "at_least" else figure <= target
            out.append({"clients": n, "aim": key, "what": what, "figure": figure, "unit": unit,
                        "floor": floor_figure, "ratio": ratio, "judged": judged, "target": target, "met": met,
                        "load_average": f.get("load_average"),
                        "floor_load_average": floor.get("load_average") if floor is not None else None})
    return out


def _aim_text(a: dict) -> str:
    if a["figure"] is None:
        return "not measured at this size"
    floor = (f"floor {a['floor']} {a['unit']}, ×{a['ratio']}" if a["floor"] is not None else "no floor at this size")
    if a["judged"] == "ratio":
        aim = f"aim ≤ {a['target']}× floor"
    elif a["aim"] == "memory" and a["clients"] != MEMORY_AIM_AT:
        aim = f"aim ≤ {a['target']} {a['unit']} at {MEMORY_AIM_AT:,} clients; measured"
    else:
        aim = f"aim {'≥' if a['judged'] == 'at_least' else '≤'} {a['target']:,} {a['unit']}"
    verdict = {True: "met", False: "NOT MET", None: "—"}[a["met"]]
    load = a.get("load_average") or ["?", "?"]
    floor_load = a.get("floor_load_average")
    return (f"{floor}; {aim}: {verdict}; load {load[0]}→{load[1]}"
            + (f" (floor's {floor_load[0]}→{floor_load[1]})" if floor_load else ""))


def table(figures: dict) -> list[tuple[str, str, str]]:
    rows = []
    for a in figures.get("aims") or aims(figures):
        if a["figure"] is None:
            continue
        rows.append((f"room, {a['clients']} clients: {a['what']}", f"{a['figure']} {a['unit']}", _aim_text(a)))
    for f in figures["app"]:
        n = f["clients"]
        rows.append((f"room, {n} clients: one broadcast, p50", f"{f['broadcast_p50_ms']} ms",
                     f"last client (median) {f['broadcast_last_client_median_ms']} ms"))
        if f["burst"]:
            rows += [
                (f"room, {n} casts at once: final tally after the last cast", f"{f['burst']['final_tally_p99_ms']} ms",
                 f"p99 (p50 {f['burst']['final_tally_p50_ms']} ms), lost {f['burst']['lost_tallies']}"),
                (f"room, {n} casts at 100/s", f"{f['steady_100_per_s']['casts_per_s']} /s",
                 f"final tally p50 {f['steady_100_per_s']['final_tally_p50_ms']} ms, "
                 f"p99 {f['steady_100_per_s']['final_tally_p99_ms']} ms, lost {f['steady_100_per_s']['lost_tallies']}"),
            ]
        rows.append((f"room, {n} clients: server memory once connected", f"{f['rss_connected_mb']} MB",
                     f"peak {f['rss_peak_mb']} MB"))
    for f in figures["floor"]:
        rows.append((f"bare WebSocket floor, {f['clients']} clients: server memory", f"{f['rss_mb']} MB",
                     f"load {f['load_average'][0]}→{f['load_average'][1]}" if f.get("load_average") else ""))
    for n, reason in (figures.get("floor_failed") or {}).items():
        rows.append((f"bare WebSocket floor, {n} clients", "—", f"could not be measured: {reason}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--casts-up-to", type=int, default=CASTS_UP_TO,
                        help="larger rooms are measured without the casts")
    parser.add_argument("--reference", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        reference_main(args.reference)
        return 0
    figures = measure(tuple(int(s) for s in args.sizes.split(",")), args.casts_up_to)
    rows = table(figures)
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "live_room.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
