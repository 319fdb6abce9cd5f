"""The live room while one attendee floods it: how long the others wait for a broadcast.

N observers sit in a meeting in session; the moderator moves the current item every
``GAP`` seconds and each observer notes when the event arrives (from the moment the
moderator sent the action). Measured twice on the same server: quiet, and while one
attendee sends statements, raised hands and catch-up requests from ``FLOODERS`` concurrent
loops as fast as the answers come (the room's limits refuse most of them). Prints a table
and writes bench/results/room_flood.json.

    python -m bench.room_flood [--observers 50] [--database-url postgresql+psycopg://…]

The server runs as ``make run`` serves it (gevent, one process) with the default limits
of config.py, on SQLite unless a database URL is given (its schema is replaced).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.live_room import (
    CLIENT_CPU,
    ROOT,
    SECRET,
    Client,
    Process,
    _ms,
    _pct,
    _pin,
    build_database,
    free_port,
)

BROADCASTS = int(os.environ.get("BENCH_FLOOD_BROADCASTS", "30"))
GAP = 0.25          # the moderator's pace: within the default 5 actions a second
FLOODERS = 8


async def _broadcasts(moderator: Client, observers: list[Client], items: list[int]) -> list[float]:
    delays = []
    for n in range(BROADCASTS):
        sent = time.perf_counter()
        answer, _ = await moderator.call("item", item=items[n % 2])
        if not answer.get("ok"):
            raise RuntimeError(f"the moderator was refused: {answer}")
        seq = answer["seq"]
        deadline = time.perf_counter() + 10
        while any(seq not in o.seen for o in observers) and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        delays += [o.seen[seq] - sent for o in observers if seq in o.seen]
        await asyncio.sleep(GAP)
    return delays


async def _flood(flooder: Client, stop: asyncio.Event, counts: dict) -> None:
    kinds = itertools.cycle(["statement", "raise_hand", "lower_hand", "since"])
    while not stop.is_set():
        kind = next(kinds)
        if kind == "since":
            ack_id = next(flooder.ids)
            future = asyncio.get_running_loop().create_future()
            flooder.acks[ack_id] = future
            await flooder.ws.send(f"42{ack_id}" + json.dumps(["since", {"seq": 0}]))
            answer, _ = await asyncio.wait_for(future, 60)
        else:
            answer, _ = await flooder.call(kind, **({"body": "刷屏"} if kind == "statement" else {}))
        code = "ok" if answer.get("ok") else answer["error"]["code"]
        counts[code] = counts.get(code, 0) + 1


def _summary(delays: list[float]) -> dict:
    return {"broadcasts": BROADCASTS, "deliveries": len(delays), "p50_ms": _ms(_pct(delays, 0.5)),
            "p95_ms": _ms(_pct(delays, 0.95)), "p99_ms": _ms(_pct(delays, 0.99)), "max_ms": _ms(max(delays, default=None))}


async def _run(url: str, meeting_id: int, items: list[int], moderator_cookie: str, cookies: list[str]) -> dict:
    moderator = Client(url, moderator_cookie)
    flooder = Client(url, cookies[0])
    observers = [Client(url, c) for c in cookies[1:]]
    for client in [moderator, flooder, *observers]:
        await client.connect(meeting_id, 0)
    quiet = _summary(await _broadcasts(moderator, observers, items))
    stop, counts = asyncio.Event(), {}
    started = time.perf_counter()
    loops = [asyncio.get_running_loop().create_task(_flood(flooder, stop, counts)) for _ in range(FLOODERS)]
    await asyncio.sleep(1)
    flooded = _summary(await _broadcasts(moderator, observers, items))
    stop.set()
    await asyncio.gather(*loops)
    seconds = time.perf_counter() - started
    flooded["flood"] = {"answers": counts, "per_s": round(sum(counts.values()) / seconds, 1)}
    for client in [moderator, flooder, *observers]:
        await client.close()
    return {"observers": len(observers), "quiet": quiet, "flooded": flooded}


def measure(observers: int, database_url: str | None = None) -> dict:
    _pin(CLIENT_CPU)
    with tempfile.TemporaryDirectory() as tmp:
        target = database_url or Path(tmp) / "flood.db"
        if database_url:
            _reset(database_url)
        meeting_id, items, moderator_cookie, cookies = build_database(target, observers + 1)
        uri = database_url or f"sqlite:///{target}"
        port = free_port()
        server = Process([sys.executable, "-m", "consult.serve"],
                         {"DATABASE_URL": uri, "SECRET_KEY": SECRET, "PORT": str(port), "SOCKETIO_MESSAGE_QUEUE": "",
                          "CONSULT_ACCESS_LOG": "0"}, port, Path(tmp) / "server.log")
        try:
            figures = asyncio.run(_run(server.url, meeting_id, items, moderator_cookie, cookies))
        finally:
            server.stop()
    figures["engine"] = "postgresql" if database_url else "sqlite"
    return figures


def _reset(uri: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def table(f: dict) -> list[tuple[str, str, str]]:
    flood = f["flooded"]["flood"]
    answers = ", ".join(f"{code} {n}" for code, n in sorted(flood["answers"].items()))
    return [
        (f"{f['engine']}, {f['observers']} observers, quiet: broadcast p95", f"{f['quiet']['p95_ms']} ms",
         f"p50 {f['quiet']['p50_ms']} ms, p99 {f['quiet']['p99_ms']} ms, max {f['quiet']['max_ms']} ms"),
        (f"{f['engine']}, {f['observers']} observers, one attendee flooding: broadcast p95",
         f"{f['flooded']['p95_ms']} ms",
         f"p50 {f['flooded']['p50_ms']} ms, p99 {f['flooded']['p99_ms']} ms, max {f['flooded']['max_ms']} ms"),
        ("the flood", f"{flood['per_s']} /s", answers),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--observers", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    figures = measure(args.observers, args.database_url)
    rows = table(figures)
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "room_flood.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
