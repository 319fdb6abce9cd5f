"""The archive of a community with 1,000 ended meetings, each with signed minutes: the
zip for handing over (JSON records, every minutes' PDF and Markdown, a manifest of
hashes), the archive page, and one PDF made from scratch.

Meetings, their agenda, statements and room events are inserted in bulk; the minutes are
drafted from those events and signed through the service, as at the end of a real
meeting. A PDF is made when the last signature lands (0.2 s each, measured here once);
for the export the kept PDFs are copies of one real one, as their rendering is not what
the export does. ``python -m bench.minutes`` prints the figures as JSON."""
from __future__ import annotations

import json
import random
import shutil
import statistics
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

SAYINGS = ["电梯经常停运，老人上下楼困难", "楼道堆放杂物影响消防通道", "地下车库漏水严重", "充电桩数量不够，晚上排队",
           "垃圾分类投放点离单元门太近有异味", "广场舞噪音影响休息", "绿化带被占用种菜", "屋顶防水需要维修"]


def _setup(app, meetings: int, seed: int = 278) -> dict:
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings.models import AgendaItem, Attendance, Meeting, MeetingEvent, Statement
    from consult.places import service as places
    from consult.places.models import PlaceKind

    rng = random.Random(seed)
    with app.app_context():
        with unit_of_work():
            moderator = User(name="主持人", username="bench", password_hash=hash_password("bench password"))
            db.session.add(moderator)
            db.session.flush()
            db.session.add(RoleGrant(user=moderator, role=Role.administrator))
            sub = places.create_place(None, PlaceKind.subdistrict, "街道", actor=moderator)
            community = places.create_place(sub, PlaceKind.community, "社区", actor=moderator)
            db.session.add(RoleGrant(user=moderator, role=Role.moderator, place=community))
            buildings = [places.create_place(community, PlaceKind.building, f"{b}号楼", actor=moderator).id
                         for b in range(1, 11)]
        residents = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"name": f"居民{i}", "phone": str(13100000000 + i)} for i in range(30)]).all()
        first = datetime(2024, 1, 1)
        for offset in range(0, meetings, 100):
            rows = []
            for n in range(offset, min(offset + 100, meetings)):
                started = first + timedelta(hours=n * 24 + 11)
                rows.append({"place_id": rng.choice(buildings), "title": f"第{n + 1}次议事会", "kind": "circle",
                             "form": "hybrid", "starts_at": started, "location": "议事厅", "quorum": "none",
                             "state": "ended", "moderator_id": moderator.id, "last_seq": 0, "started_at": started,
                             "ended_at": started + timedelta(hours=1), "created_at": started, "speakers_open": False})
            ids = db.session.scalars(insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True), rows).all()
            items, statements, events, attendance, last_seq = [], [], [], [], {}
            for meeting_id, row in zip(ids, rows):
                at, seq = row["started_at"], 0

                def event(kind, **data):
                    nonlocal seq
                    seq += 1
                    events.append({"meeting_id": meeting_id, "seq": seq, "at": at, "actor_id": moderator.id,
                                   "kind": kind, "data": data})
                event("start", state="live", item=None)
                people = rng.sample(residents, 5)
                for person in people:
                    attendance.append({"meeting_id": meeting_id, "user_id": person, "in_person": False, "at": at})
                    event("signed_in", user=person, name="居**", role="resident", in_person=False, invited=False,
                          present=0, expected=0)
                for person in people[:3]:
                    statements.append({"meeting_id": meeting_id, "item_id": None, "author_id": person,
                                       "body": rng.choice(SAYINGS), "at": at})
                    event("statement", user=person)
                event("end", state="ended", item=None)
                last_seq[meeting_id] = seq
                items += [{"meeting_id": meeting_id, "position": p, "title": rng.choice(SAYINGS)[:8],
                           "decision": "同意，交物业办理" if p == 1 else None} for p in (1, 2)]
            db.session.execute(insert(AgendaItem), items)
            db.session.execute(insert(Statement), statements)
            db.session.execute(insert(MeetingEvent), events)
            db.session.execute(insert(Attendance), attendance)
            for meeting_id, seq in last_seq.items():
                db.session.query(Meeting).filter_by(id=meeting_id).update({"last_seq": seq})
            db.session.commit()
        return {"community": community.id, "moderator": moderator.id}


def _sign_all(app, setup: dict) -> dict:
    """Draft every meeting's minutes from its events, then sign them (the moderator alone)."""
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings.models import Meeting
    from consult.minutes import service as minutes

    times = {"draft": [], "sign": []}
    with app.app_context(), app.test_request_context():
        moderator = db.session.get(User, setup["moderator"])
        ids = db.session.scalars(select(Meeting.id).order_by(Meeting.id)).all()
        for meeting_id in ids:
            with unit_of_work():
                begin = time.perf_counter()
                record = minutes.start(db.session.get(Meeting, meeting_id), actor=moderator)
                times["draft"].append(time.perf_counter() - begin)
                minutes.submit(record, actor=moderator)
                begin = time.perf_counter()
                minutes.sign(record, actor=moderator)
                times["sign"].append(time.perf_counter() - begin)
            db.session.expire_all()
    return {f"{k}_ms_median": round(statistics.median(v) * 1000, 1) for k, v in times.items()}


def bench_archive(tmp: Path, uri: str | None = None, meetings: int = 1000) -> dict:
    from bench.__main__ import _app
    from consult.extensions import db
    from consult.minutes import archive
    from consult.minutes.models import MinutesVersion
    from consult.places.models import Place

    app = _app(tmp, uri)
    begin = time.perf_counter()
    setup = _setup(app, meetings)
    results = {"meetings": meetings, **_sign_all(app, setup)}
    results["load_s"] = round(time.perf_counter() - begin, 1)

    with app.app_context(), app.test_request_context():
        versions = db.session.scalars(db.select(MinutesVersion)).all()
        begin = time.perf_counter()
        made = archive.pdf(versions[0])
        results["one_pdf_s"] = round(time.perf_counter() - begin, 2)
        results["pdf_bytes"] = len(made)
        kept = Path(app.config["UPLOAD_DIR"]) / "minutes"
        source = kept / f"{versions[0].sha256}.pdf"
        for version in versions[1:]:
            shutil.copyfile(source, kept / f"{version.sha256}.pdf")
        community = db.session.get(Place, setup["community"])
        begin = time.perf_counter()
        path = archive.export_zip(community, app.config)
        results["export_s"] = round(time.perf_counter() - begin, 2)
        results["zip_mb"] = round(path.stat().st_size / 1e6, 1)
        with zipfile.ZipFile(path) as handed_over:
            results["zip_files"] = len(handed_over.namelist())
        path.unlink()

    client = app.test_client()
    assert client.post("/login", data={"identifier": "bench", "password": "bench password"}).status_code == 302
    url = f"/places/{setup['community']}/archive?year=2025"
    assert client.get(url).status_code == 200
    times = []
    for _ in range(20):
        begin = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    results["archive_page_ms_median"] = round(statistics.median(times), 1)
    with app.app_context():
        db.engine.dispose()
    return results


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(bench_archive(Path(tmp)), indent=2, ensure_ascii=False))
