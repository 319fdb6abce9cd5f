"""Turnout figures: the turnout desk of a subdistrict ballot with 100,000 owners (the
desk and one building's door list, p95 through the whole Flask stack), and the ballot
sheets of a 5,000-household community as one PDF.

``python -m bench.turnout`` on SQLite; on PostgreSQL too when CONSULT_BENCH_DATABASE_URL
names a scratch database (its public schema is dropped and rebuilt)."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select


def _area(communities: int, buildings: int, per_building: int, first_phone: int):
    """A subdistrict of ``communities`` × ``buildings`` buildings of two entrances, each
    household with one owner; a moderator of the subdistrict and a grid worker of the
    first community's first five buildings. Returns (subdistrict id, community ids)."""
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.models import Grid, Household, HouseholdMember, PlaceKind

    with unit_of_work():
        admin = User(name="管理员", username="admin")
        db.session.add(admin)
        db.session.flush()
        db.session.add(RoleGrant(user=admin, role=Role.administrator))
        sub = places.create_place(None, PlaceKind.subdistrict, "街道", actor=admin)
        entrances, community_ids, first_buildings = [], [], []
        for c in range(1, communities + 1):
            community = places.create_place(sub, PlaceKind.community, f"第{c}社区", actor=admin)
            community_ids.append(community.id)
            for b in range(1, buildings + 1):
                building = places.create_place(community, PlaceKind.building, f"{b}号楼", actor=admin)
                if c == 1 and b <= 5:
                    first_buildings.append(building)
                for e in (1, 2):
                    entrances.append(places.create_place(building, PlaceKind.entrance, f"{e}单元", actor=admin))
        password = hash_password("bench password")
        moderator = User(name="主持人", username="moderator", password_hash=password)
        worker = User(name="网格员", username="grid", password_hash=password)
        grid = Grid(community_id=community_ids[0], name="第一网格", buildings=first_buildings)
        db.session.add_all([moderator, worker, grid,
                            RoleGrant(user=moderator, role=Role.moderator, place=sub),
                            RoleGrant(user=worker, role=Role.grid_worker, grid=grid)])
    half = per_building // 2
    n = 0
    for start in range(0, len(entrances), 50):
        chunk = entrances[start:start + 50]
        size = len(chunk) * half
        users = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"name": f"业主{first_phone + n + i}", "phone": str(first_phone + n + i)} for i in range(size)]).all()
        rows = [{"place_id": e.id, "room": f"{floor}0{unit}", "area": Decimal("60.00") + (floor * 7 + unit) % 90}
                for e in chunk for floor in range(1, half // 2 + 1) for unit in (1, 2)][:size]
        homes = db.session.scalars(insert(Household).returning(Household.id, sort_by_parameter_order=True),
                                   rows).all()
        db.session.execute(insert(HouseholdMember), [
            {"household_id": h, "user_id": u, "relation": "owner", "is_designated_voter": True}
            for h, u in zip(homes, users)])
        db.session.commit()
        n += size
    return sub.id, community_ids


def _open(place_id: int, question: str) -> int:
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Place
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy

    actor = db.session.scalar(select(User).where(User.username == "moderator"))
    with unit_of_work():
        ballot = voting.draft_ballot(db.session.get(Place, place_id), actor=actor, question=question,
                                     electorate=Electorate.owners, secrecy=Secrecy.named, rule="civil_code_278")
    with unit_of_work():
        voting.open_ballot(ballot, actor=actor)
    return ballot.id


def _votes(ballot_id: int, share: float) -> None:
    """Every voter whose position falls in ``share`` has voted online."""
    from consult.extensions import db
    from consult.voting.models import BallotVoter, Participation

    voters = db.session.execute(select(BallotVoter.id, BallotVoter.user_id)
                                .where(BallotVoter.ballot_id == ballot_id)).all()
    chosen = [(v, u) for i, (v, u) in enumerate(voters) if (i * 7919) % 100 < share * 100]
    for start in range(0, len(chosen), 5000):
        db.session.execute(insert(Participation), [
            {"ballot_id": ballot_id, "voter_id": v, "cast_by_id": u, "channel": "online", "choice": "yes"}
            for v, u in chosen[start:start + 5000]])
    db.session.commit()


def _p95(values: list[float]) -> float:
    return round(sorted(values)[max(int(len(values) * 0.95) - 1, 0)], 1)


def _timed(client, url: str, requests: int) -> dict:
    """Wall time, and the CPU time of this process (the figure a busy shared machine
    leaves intact; the database server's own time is not in it on PostgreSQL)."""
    assert client.get(url).status_code == 200, url
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": _p95(times),
            "cpu_median_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": _p95(cpu)}


def bench_desk(tmp: Path, uri: str | None = None, owners: int = 100_000, requests: int = 40) -> dict:
    from bench.__main__ import _app
    from consult.extensions import db
    from consult.voting.models import BallotVoter

    app = _app(tmp, uri)
    figures = {"owners": owners}
    with app.app_context():
        start = time.perf_counter()
        sub_id, communities = _area(20, 25, owners // 500, 13000000000)
        figures["setup_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        ballot_id = _open(sub_id, "是否同意续聘物业服务企业？")
        figures["open_snapshot_s"] = round(time.perf_counter() - start, 1)
        _votes(ballot_id, 0.6)
        building_id = db.session.scalar(select(BallotVoter.building_id).where(BallotVoter.ballot_id == ballot_id)
                                        .order_by(BallotVoter.id).limit(1))
    for who in ("moderator", "grid"):
        client = app.test_client()
        client.post("/login", data={"identifier": who, "password": "bench password"})
        figures[f"desk_{who}"] = _timed(client, f"/ballots/{ballot_id}/turnout", requests)
        figures[f"door_list_{who}"] = _timed(client, f"/ballots/{ballot_id}/turnout/buildings/{building_id}",
                                             requests)
    with app.app_context():
        db.engine.dispose()
    return figures


def bench_sheets(tmp: Path, households: int = 5000) -> dict:
    """The per-building ballot sheets of a community of ``households``, as one PDF."""
    from bench.__main__ import _app
    from consult.extensions import db

    app = _app(tmp)
    with app.app_context():
        _sub, communities = _area(1, 25, households // 25, 15000000000)
        ballot_id = _open(communities[0], "是否同意使用维修资金？")
    client = app.test_client()
    client.post("/login", data={"identifier": "moderator", "password": "bench password"})
    start, start_cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/ballots/{ballot_id}/turnout/sheets.pdf")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    from pypdf import PdfReader
    import io

    pages = len(PdfReader(io.BytesIO(response.data)).pages)
    with app.app_context():
        db.engine.dispose()
    return {"households": households, "pdf_s": round(elapsed, 1), "cpu_s": round(cpu, 1), "pages": pages,
            "mb": round(len(response.data) / 1e6, 1)}


def bench_turnout(tmp: Path) -> dict:
    from bench.voting import reset_postgres

    (tmp / "desk").mkdir(parents=True)
    (tmp / "sheets").mkdir(parents=True)
    figures = {"desk": {"sqlite": bench_desk(tmp / "desk")}, "sheets": bench_sheets(tmp / "sheets")}
    pg = os.environ.get("CONSULT_BENCH_DATABASE_URL")
    if pg:
        reset_postgres(pg)
        (tmp / "desk-pg").mkdir()
        figures["desk"]["postgresql"] = bench_desk(tmp / "desk-pg", pg)
    return figures


def table(figures: dict) -> list[tuple[str, str, str]]:
    rows = []
    for engine, v in figures["desk"].items():
        for key, what in (("desk_moderator", "desk, all 500 buildings"), ("desk_grid", "desk, a grid of 5 buildings"),
                          ("door_list_moderator", "door list of a building (200 owners)")):
            rows.append((f"turnout of {v['owners']:,} owners: {what} ({engine})", f"{v[key]['median_ms']} ms",
                         f"p95 {v[key]['p95_ms']} ms (CPU p95 {v[key]['cpu_p95_ms']} ms)"))
    s = figures["sheets"]
    rows.append((f"ballot sheets of {s['households']:,} households, one PDF", f"{s['pdf_s']} s",
                 f"CPU {s['cpu_s']} s, {s['pages']} pages, {s['mb']} MB"))
    return rows


if __name__ == "__main__":
    import json

    with tempfile.TemporaryDirectory() as folder:
        which = sys.argv[1:] or ["desk", "sheets"]
        result = {}
        if "desk" in which:
            (Path(folder) / "desk").mkdir()
            if os.environ.get("BENCH_TURNOUT_DATABASE_URL"):
                from bench.voting import reset_postgres

                reset_postgres(os.environ["BENCH_TURNOUT_DATABASE_URL"])
            result["desk"] = bench_desk(Path(folder) / "desk", os.environ.get("BENCH_TURNOUT_DATABASE_URL"),
                                        owners=int(os.environ.get("BENCH_TURNOUT_OWNERS", 100_000)))
        if "sheets" in which:
            (Path(folder) / "sheets").mkdir()
            result["sheets"] = bench_sheets(Path(folder) / "sheets",
                                            households=int(os.environ.get("BENCH_TURNOUT_HOUSEHOLDS", 5000)))
        print(json.dumps(result, indent=2, ensure_ascii=False))
