"""Outbox figures: deliveries queued for the 10,000 voters of a ballot, and SMS delivered
to a local provider (a Tencent Cloud SMS stand-in on 127.0.0.1 that checks every
signature) by one sending process, and that process's memory while it sends.

    python -m bench.outbox [--voters 10000] [--pg postgresql+psycopg://…]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _serve(queue) -> None:
    """The provider in a process of its own, so that its signature checks do not share
    the sender's interpreter."""
    from tests.notifications.servers import TencentSmsServer

    server = TencentSmsServer("AKID-bench", "bench-secret")
    queue.put(server.endpoint)
    server.httpd.serve_forever()


def _memory_mb() -> dict:
    """This process's resident memory now and at its peak (Linux /proc), in MB."""
    figures = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                name, _sep, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    figures[name] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return figures


def run(tmp: Path, voters: int, uri: str | None) -> dict:
    from sqlalchemy import func, insert, select

    from bench.__main__ import _app
    from bench.voting import _open, _setup, reset_postgres
    from consult import clock
    from consult.extensions import db
    from consult.notifications import outbox
    from consult.notifications.outbox import Delivery, DeliverySetting
    import multiprocessing
    import urllib.request

    if uri:
        reset_postgres(uri)
    app = _app(tmp, uri)
    clock.set_now(datetime(2026, 12, 2, 2, 0))   # 10:00 in Beijing: no quiet hours
    figures = {"voters": voters, "engine": "postgresql" if uri else "sqlite"}
    queue = multiprocessing.get_context("spawn").Queue()
    provider = multiprocessing.get_context("spawn").Process(target=_serve, args=(queue,), daemon=True)
    provider.start()
    endpoint = queue.get(timeout=60)
    try:
        app.config.update(SMS_PROVIDER="tencent", SMS_TENCENT_SECRET_ID="AKID-bench",
                          SMS_TENCENT_SECRET_KEY="bench-secret", SMS_TENCENT_APP_ID="1400000001",
                          SMS_TENCENT_ENDPOINT=endpoint, SMS_TENCENT_PROTOCOL="http",
                          SMS_SIGN_NAME="协商议事", SMS_TEMPLATES={"ballot.opened": "100001"},
                          SMS_DAILY_LIMIT=10 ** 6, OUTBOX_SEND_AFTER_COMMIT=False)
        moderator_id, place_id, owners = _setup(app, voters)
        with app.app_context():
            db.session.execute(insert(DeliverySetting), [
                {"user_id": uid, "sms_number": str(13000000000 + i), "sms_verified_at": clock.utcnow(),
                 "code_attempts": 0} for i, uid in enumerate(owners)])
            db.session.commit()
        start = time.perf_counter()
        _open(app, moderator_id, place_id)   # notifies every owner: messages and deliveries
        figures["open_ballot_with_deliveries_s"] = round(time.perf_counter() - start, 2)
        with app.app_context():
            queued = db.session.scalar(select(func.count()).select_from(Delivery))
            figures["deliveries_queued"] = queued
            start = time.perf_counter()
            from consult.database import unit_of_work
            from consult.notifications.service import notify_ids

            with unit_of_work():
                notify_ids(owners, "ballot.opened", question="基准测试", ballot=1)
            figures["notify_and_queue_s"] = round(time.perf_counter() - start, 2)
            before = _memory_mb()
            start = time.perf_counter()
            result = outbox.send_all(limit=500)
            elapsed = time.perf_counter() - start
            after = _memory_mb()
            figures["sender_rss_mb"] = {"before_send": before.get("VmRSS"), "after_send": after.get("VmRSS"),
                                        "peak": after.get("VmHWM")}
            figures["sent"] = result.sent
            figures["send_s"] = round(elapsed, 2)
            figures["sent_per_s"] = round(result.sent / elapsed)
            db.engine.dispose()
        with urllib.request.urlopen(f"http://{endpoint}/") as answer:
            figures["provider"] = json.loads(answer.read())
    finally:
        provider.terminate()
    clock.set_now(None)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(Path(tmp), args.voters, args.pg)
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(exist_ok=True)
    name = f"outbox_{figures['engine']}.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
