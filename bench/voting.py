"""Ballot figures: casts per second in one process, and the time to count 100,000 owners.

On SQLite always; on PostgreSQL too when CONSULT_BENCH_DATABASE_URL names a scratch
database (its public schema is dropped and rebuilt)."""
from __future__ import annotations

import threading
import time
from decimal import Decimal

from sqlalchemy import create_engine, insert, select, text


def reset_postgres(uri: str) -> None:
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _owners(place_id: int, n: int, first_phone: int) -> list[int]:
    """``n`` households of ``place_id`` with one owner each, inserted in bulk: the owners' ids."""
    from consult.accounts.models import User
    from consult.extensions import db
    from consult.places.models import Household, HouseholdMember

    user_ids, household_ids = [], []
    for start in range(0, n, 5000):
        size = min(5000, n - start)
        user_ids += db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"name": f"业主{first_phone + i}", "phone": str(first_phone + i)} for i in range(start, start + size)]).all()
        household_ids += db.session.scalars(insert(Household).returning(Household.id, sort_by_parameter_order=True), [
            {"place_id": place_id, "room": f"{i:06d}", "area": Decimal("60.00") + i % 90}
            for i in range(start, start + size)]).all()
    db.session.execute(insert(HouseholdMember), [
        {"household_id": h, "user_id": u, "relation": "owner", "is_designated_voter": True}
        for h, u in zip(household_ids, user_ids)])
    db.session.commit()
    return user_ids


def _setup(app, households: int):
    from consult.accounts.models import Role, RoleGrant, User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.models import PlaceKind

    with app.app_context():
        with unit_of_work():
            moderator = User(name="主持人", username="moderator")
            db.session.add(moderator)
            db.session.flush()
            db.session.add(RoleGrant(user=moderator, role=Role.administrator))
            sub = places.create_place(None, PlaceKind.subdistrict, "街道", actor=moderator)
            building = places.create_place(sub, PlaceKind.community, "社区", actor=moderator)
            building = places.create_place(building, PlaceKind.building, "1号楼", actor=moderator)
        owners = _owners(building.id, households, 13000000000)
        return moderator.id, building.id, owners


def _open(app, moderator_id, place_id, **kw) -> int:
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places.models import Place
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy

    with app.app_context():
        actor = db.session.get(User, moderator_id)
        with unit_of_work():
            ballot = voting.draft_ballot(db.session.get(Place, place_id), actor=actor, question="基准测试",
                                         electorate=kw.get("electorate", Electorate.households),
                                         secrecy=Secrecy.named, rule=kw.get("rule", "simple_majority"))
        with unit_of_work():
            voting.open_ballot(ballot, actor=actor)
        return ballot.id


def bench_casts(app, *, households: int = 3000, threads: int = 16) -> dict:
    """Casts through the service, each its own transaction: one after another, then from
    ``threads`` threads at once (as a server's workers would)."""
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.voting import service as voting
    from consult.voting.models import Ballot, Choice

    moderator_id, place_id, owners = _setup(app, households)
    half = households // 2

    def cast(ballot_id, user_id):
        with unit_of_work():
            voting.cast(db.session.get(Ballot, ballot_id), actor=db.session.get(User, user_id), choice=Choice.yes,
                        client_key=f"bench-{user_id}")

    ballot_id = _open(app, moderator_id, place_id)
    with app.app_context():
        start = time.perf_counter()
        for user_id in owners[:half]:
            cast(ballot_id, user_id)
        sequential = half / (time.perf_counter() - start)
        db.session.remove()

    queue = list(owners[half:])
    lock = threading.Lock()
    errors = []

    def worker():
        with app.app_context():
            while True:
                with lock:
                    if not queue:
                        break
                    user_id = queue.pop()
                try:
                    cast(ballot_id, user_id)
                except Exception as error:  # noqa: BLE001 — reported, not hidden
                    errors.append(repr(error))
            db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    concurrent = (households - half) / (time.perf_counter() - start)
    with app.app_context():
        counted = voting.tally(db.session.get(Ballot, ballot_id)).cast.headcount
    return {"casts": households, "sequential_per_s": round(sequential), f"threads_{threads}_per_s": round(concurrent),
            "counted": counted, "errors": len(errors)}


def bench_tally(app, *, owners: int = 100_000) -> dict:
    """Count and close an art. 278 ballot of ``owners`` owners who all voted (named)."""
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.voting import service as voting
    from consult.voting.models import Ballot, BallotVoter, Electorate, Participation

    moderator_id, place_id, user_ids = _setup(app, owners)
    start = time.perf_counter()
    ballot_id = _open(app, moderator_id, place_id, electorate=Electorate.owners, rule="civil_code_278")
    opened = time.perf_counter() - start
    with app.app_context():
        voters = db.session.execute(select(BallotVoter.id, BallotVoter.user_id)
                                    .where(BallotVoter.ballot_id == ballot_id)).all()
        choices = ("yes", "yes", "yes", "no", "abstain")
        db.session.execute(insert(Participation), [
            {"ballot_id": ballot_id, "voter_id": vid, "cast_by_id": uid, "channel": "online",
             "choice": choices[i % 5], "receipt": f"{i:032d}"} for i, (vid, uid) in enumerate(voters)])
        db.session.commit()
        ballot = db.session.get(Ballot, ballot_id)
        start = time.perf_counter()
        counted = voting.tally(ballot)
        tallied = time.perf_counter() - start
        start = time.perf_counter()
        with unit_of_work():
            voting.close_ballot(ballot, actor=db.session.get(User, moderator_id))
        closed = time.perf_counter() - start
        assert counted.cast.headcount == owners and ballot.result["passed"] is True
    return {"owners": owners, "open_snapshot_s": round(opened, 2), "tally_s": round(tallied, 3),
            "close_with_breakdown_s": round(closed, 3)}
