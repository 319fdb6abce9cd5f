"""Speed and memory figures of Consult: ``make bench`` (``python -m bench``).

Prints a table and writes bench/results/latest.json. Figures, not pass/fail: the
tests never time anything.
"""
from __future__ import annotations

import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.live_room import table as live_room_table
from bench.motions import table as motions_table
from bench.pdf import table as pdf_table
from bench.turnout import table as turnout_table
from config import TestConfig

RESULTS = Path(__file__).resolve().parent / "results"


def _app(tmp: Path, uri: str | None = None):
    from flask_migrate import upgrade

    from consult import create_app

    config = type("BenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{tmp / 'bench.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 0},
        "UPLOAD_DIR": str(tmp / "uploads"),
        "PASSWORD_HASH_COST": "default",  # production Argon2id parameters
        "WTF_CSRF_ENABLED": False,
    })
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def _csv(households: int, seed: int = 278) -> bytes:
    rng = random.Random(seed)
    lines = ["楼栋,单元,房号,面积,业主姓名,手机号"]
    n = 0
    for building in range(1, 1000):
        for entrance in range(1, 5):
            for floor in range(1, 19):
                for unit in (1, 2):
                    if n == households:
                        return "\n".join(lines).encode("gb18030")
                    n += 1
                    area = f"{rng.uniform(45, 160):.2f}"
                    lines.append(f"{building}号楼,{entrance}单元,{floor}0{unit},{area},业主{n},1{n + 3000000000:010d}")
    raise ValueError("too many households")


def bench_import(app, households: int) -> dict:
    from consult.accounts.models import Role, RoleGrant, User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.importer import import_households
    from consult.places.models import PlaceKind

    data = _csv(households)
    with app.app_context():
        with unit_of_work():
            admin = User(name="管理员", username="bench")
            db.session.add_all([admin, RoleGrant(user=admin, role=Role.administrator)])
            db.session.flush()
            sub = places.create_place(None, PlaceKind.subdistrict, "街道", actor=admin)
            community = places.create_place(sub, PlaceKind.community, "社区", actor=admin)
        start = time.perf_counter()
        with unit_of_work():
            report = import_households(community, "bench.csv", data, actor=admin)
        first = time.perf_counter() - start
        start = time.perf_counter()
        with unit_of_work():
            again = import_households(community, "bench.csv", data, actor=admin)
        second = time.perf_counter() - start
        community_id = community.id
    assert report.households_created == households and not again.changed
    return {"households": households, "import_s": round(first, 2),
            "households_per_s": round(households / first), "reimport_s": round(second, 2),
            "community_id": community_id}


def bench_password_hash(app, rounds: int = 5) -> dict:
    from consult.accounts.passwords import hash_password, verify_password

    with app.app_context():
        start = time.perf_counter()
        for _ in range(rounds):
            stored = hash_password("a long password")
        hashing = (time.perf_counter() - start) / rounds
        start = time.perf_counter()
        for _ in range(rounds):
            verify_password(stored, "a long password")
        verifying = (time.perf_counter() - start) / rounds
    return {"hash_ms": round(hashing * 1000, 1), "verify_ms": round(verifying * 1000, 1)}


def bench_pages(app, community_id: int, requests: int = 200) -> dict:
    """Signed-in page views through the whole Flask stack (no network)."""
    from sqlalchemy import select

    from consult.accounts.passwords import hash_password
    from consult.accounts.models import User
    from consult.extensions import db
    from consult.places.models import Place, PlaceKind

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "bench"))
        admin.password_hash = hash_password("bench password")
        db.session.commit()
        building = db.session.scalar(select(Place).where(Place.kind == PlaceKind.building,
                                                         Place.path.startswith(f"/1/{community_id}/")))
        entrance = building.children[0]
    client = app.test_client()
    client.post("/login", data={"identifier": "bench", "password": "bench password"})
    figures = {}
    for name, url in (("home", "/"), ("community_page", f"/places/{community_id}"),
                      ("entrance_page_36_households", f"/places/{entrance.id}")):
        assert client.get(url).status_code == 200
        start = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        elapsed = time.perf_counter() - start
        figures[f"{name}_ms"] = round(elapsed / requests * 1000, 2)
    return figures


def insert_proposals(count: int, rng: random.Random) -> None:
    """``count`` proposals raised by residents of the demo area over the last minutes,
    inserted in bulk with their "raised" events (in the caller's app context)."""
    from sqlalchemy import insert, select

    from consult.clock import utcnow
    from consult.extensions import db
    from consult.places.models import HouseholdMember, Place
    from consult.proposals.models import Category, Proposal, ProposalEvent

    members = db.session.execute(select(HouseholdMember.user_id, Place.id).join(
        HouseholdMember.household).join(Place)).all()
    categories = db.session.scalars(select(Category.id)).all()
    now = utcnow()
    for offset in range(0, count, 10_000):
        rows = []
        for i in range(offset, min(offset + 10_000, count)):
            user_id, place_id = rng.choice(members)
            created = now - timedelta(minutes=i)
            rows.append({"place_id": place_id, "title": f"议题 {i} 楼道灯不亮", "body": "电梯**停运**",
                         "category_id": rng.choice(categories), "tier": "home", "state": "submitted",
                         "author_id": user_id, "cosign_count": rng.randint(0, 30),
                         "created_at": created, "updated_at": created})
        db.session.execute(insert(Proposal), rows)
    db.session.execute(insert(ProposalEvent).from_select(
        ["proposal_id", "at", "actor_id", "action", "to_state", "detail"],
        select(Proposal.id, Proposal.created_at, Proposal.author_id, db.literal("raise"),
               db.literal("submitted"), db.literal({}, ProposalEvent.detail.type))))


def bench_proposals(tmp: Path, count: int = 100_000, requests: int = 200) -> dict:
    """List and detail pages with ``count`` proposals spread over the demo area."""
    import statistics

    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.demo import build_demo
    from consult.extensions import db
    from consult.places.models import Place, PlaceKind
    from consult.proposals.models import Proposal

    (tmp / "proposals").mkdir()
    app = _app(tmp / "proposals")
    rng = random.Random(278)
    with app.app_context():
        with unit_of_work():
            build_demo()
        start = time.perf_counter()
        insert_proposals(count, rng)
        db.session.commit()
        loaded = time.perf_counter() - start
        resident = db.session.scalar(select(User).where(User.username == "resident"))
        resident.password_hash = hash_password("bench password")
        db.session.commit()
        subdistrict = db.session.scalar(select(Place.id).where(Place.kind == PlaceKind.subdistrict))
        community = db.session.scalar(select(Place.id).where(Place.name == "富成花园社区"))
        sample = db.session.scalar(select(Proposal.id).order_by(Proposal.id.desc()))
    client = app.test_client()
    client.post("/login", data={"identifier": "resident", "password": "bench password"})
    figures = {"proposals": count, "load_s": round(loaded, 1)}
    for name, url in (("list_subdistrict", f"/places/{subdistrict}/proposals"),
                      ("list_community", f"/places/{community}/proposals"),
                      ("list_community_most_cosigned", f"/places/{community}/proposals?sort=cosigned&page=3"),
                      ("proposal_page", f"/proposals/{sample}")):
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        figures[name] = {"median_ms": round(statistics.median(times), 1),
                         "p95_ms": round(times[int(len(times) * 0.95) - 1], 1)}
    return figures


def bench_voting(tmp: Path, uri: str | None = None) -> dict:
    from bench.voting import bench_casts, bench_tally, reset_postgres

    figures = {}
    for name, run in (("casts", bench_casts), ("tally", bench_tally)):
        (tmp / name).mkdir(parents=True)
        if uri:
            reset_postgres(uri)
        app = _app(tmp / name, uri)
        figures[name] = run(app)
        with app.app_context():
            from consult.extensions import db

            db.engine.dispose()
    return figures


def _live_room() -> dict:
    """The live-room figures come from a process of their own: it pins itself to one core
    and its servers to the other."""
    import subprocess

    sizes = os.environ.get("BENCH_ROOM_SIZES", "100,500,1000,5000")   # 5,000: no casts, memory and connect
    subprocess.run([sys.executable, "-m", "bench.live_room", "--sizes", sizes], check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads((RESULTS / "live_room.json").read_text())


def _stack() -> dict | None:
    """The stack's casts per second with one and with two processes on PostgreSQL: the room
    part of bench.stack, where this machine has the stack's servers (``make stack`` installs
    them, as root); None where it has not."""
    import glob
    import shutil
    import subprocess

    if not (shutil.which("nginx") and shutil.which("redis-server") and glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")):
        return None
    subprocess.run([sys.executable, "-m", "bench.stack", "--skip", "pages"], check=True, stdout=subprocess.DEVNULL)
    return json.loads((RESULTS / "stack.json").read_text())


def _stack_rows(figures: dict | None) -> list[tuple[str, str, str]]:
    from bench.stack import table as stack_table

    if figures is None:
        return [("room on PostgreSQL, 1 and 2 processes: casts per second", "—",
                 "not measured: needs nginx, redis-server and PostgreSQL (make stack installs them "
                 "as root); then python -m bench.stack")]
    return [row for row in stack_table(figures) if "casts per second" in row[0]]


def main() -> int:
    results = {"python": platform.python_version(), "machine": platform.machine()}
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        imported = bench_import(app, 5000)
        results["import"] = imported
        results["password"] = bench_password_hash(app)
        results["pages"] = bench_pages(app, imported["community_id"])
        results["proposal_pages"] = bench_proposals(Path(tmp))
        results["voting"] = {"sqlite": bench_voting(Path(tmp) / "voting")}
        from bench.motions import bench_figures

        (Path(tmp) / "motions").mkdir()
        results["motion_figures"] = bench_figures(Path(tmp) / "motions", requests=30)
        from bench.minutes import bench_archive

        (Path(tmp) / "minutes").mkdir()
        results["archive"] = bench_archive(Path(tmp) / "minutes")
        from bench.pdf import bench_pdf

        (Path(tmp) / "pdf").mkdir()
        results["pdf"] = bench_pdf(Path(tmp) / "pdf")
        from bench.search import bench_search

        (Path(tmp) / "search").mkdir()
        results["search"] = {"sqlite": bench_search(Path(tmp) / "search")}
        from bench.turnout import bench_turnout

        results["turnout"] = bench_turnout(Path(tmp) / "turnout")
        pg = os.environ.get("CONSULT_BENCH_DATABASE_URL")
        if pg:
            results["voting"]["postgresql"] = bench_voting(Path(tmp) / "voting-pg", pg)
            (Path(tmp) / "search-pg").mkdir()
            results["search"]["postgresql"] = bench_search(Path(tmp) / "search-pg", pg)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["live_room"] = _live_room()
    from bench.pages import for_make_bench, table as pages_table

    results["served_pages"] = for_make_bench(int(os.environ.get("BENCH_PAGES_SECONDS", "5")))
    results["stack"] = _stack()

    rows = [
        ("import 5,000 households (CSV, GB18030)", f"{results['import']['import_s']} s",
         f"{results['import']['households_per_s']} households/s"),
        ("re-import the same file (no change)", f"{results['import']['reimport_s']} s", ""),
        ("Argon2id hash / verify (production cost)", f"{results['password']['hash_ms']} ms",
         f"{results['password']['verify_ms']} ms"),
    ] + [(f"page: {k[:-3].replace('_', ' ')}", f"{v} ms", "per signed-in request")
         for k, v in results["pages"].items()] + [
    ] + [(f"100k proposals: {k.replace('_', ' ')}", f"{v['median_ms']} ms", f"p95 {v['p95_ms']} ms")
         for k, v in results["proposal_pages"].items() if isinstance(v, dict)] + [
    ] + [row for engine, v in results["voting"].items() for row in (
        (f"ballot casts, one after another ({engine})", f"{v['casts']['sequential_per_s']} /s",
         f"{v['casts']['casts']} households, {v['casts']['errors']} errors"),
        (f"ballot casts, 16 threads ({engine})", f"{v['casts']['threads_16_per_s']} /s",
         f"counted {v['casts']['counted']}"),
        (f"tally of {v['tally']['owners']:,} owners ({engine})", f"{v['tally']['tally_s']} s",
         f"close with breakdown {v['tally']['close_with_breakdown_s']} s, "
         f"open snapshot {v['tally']['open_snapshot_s']} s"),
    )] + motions_table(results["motion_figures"]) + [
        ("archive of 1,000 meetings: zip export", f"{results['archive']['export_s']} s",
         f"{results['archive']['zip_files']} files, {results['archive']['zip_mb']} MB"),
        ("… drafting / signing one meeting's minutes", f"{results['archive']['draft_ms_median']} ms",
         f"{results['archive']['sign_ms_median']} ms"),
        ("… one minutes PDF / the archive page of a year", f"{results['archive']['one_pdf_s']} s",
         f"{results['archive']['archive_page_ms_median']} ms"),
    ] + pdf_table(results["pdf"]) + turnout_table(results["turnout"]) + [
        ("peak resident memory of the run", f"{results['peak_rss_mb']} MB", ""),
    ] + live_room_table(results["live_room"]) + [
        (f"search of 100k documents, {what} ({engine})", f"{v[key]['median_ms']} ms", f"p95 {v[key]['p95_ms']} ms")
        for engine, v in results["search"].items()
        for key, what in (("page_two_character_words", "page, two-character words"),
                          ("page_rarer_terms", "page, rarer terms"))] + pages_table(results["served_pages"]) \
        + _stack_rows(results["stack"])
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>12}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
