"""One vote per voter under load, on SQLite and PostgreSQL: a thousand households casting
at once, one cast sent fifty times, co-owners racing, casts racing the close.

The casts run in threads of a second app on the same database whose connection pool is
sized like a server's (50), so that the database, not the pool, decides who wins."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.accounts.models import Role, User
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidTransition
from consult.extensions import db
from consult.places.models import Household, HouseholdMember, Relation
from consult.voting import service as voting
from consult.voting.models import Ballot, BallotBoxEntry, Choice, Electorate, Participation, Secrecy
from tests.conftest import config_for


@pytest.fixture
def server(app):
    """A second app on the test's database, with a pool for fifty connections at once."""
    busy = create_app(config_for(app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_DIR=app.config["UPLOAD_DIR"],
                                 SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 50, "max_overflow": 0,
                                                            "pool_timeout": 120}))
    yield busy
    with busy.app_context():
        db.engine.dispose()


def households(place, n: int) -> list[int]:
    """``n`` households, each with one owner: the owners' ids."""
    users = [User(name=f"居民{i}", phone=f"137{i:08d}") for i in range(n)]
    homes = [Household(place=place, room=f"{i:04d}", area=Decimal("80.00") + i % 50) for i in range(n)]
    db.session.add_all(users + homes)
    db.session.add_all(HouseholdMember(household=h, user=u, relation=Relation.owner, is_designated_voter=True)
                       for h, u in zip(homes, users))
    db.session.commit()
    return [u.id for u in users]


def open_ballot(place, moderator, **kw) -> int:
    with unit_of_work():
        ballot = voting.draft_ballot(place, actor=moderator, question="是否同意更换电梯？",
                                     electorate=kw.pop("electorate", Electorate.households),
                                     secrecy=kw.pop("secrecy", Secrecy.named), rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    return ballot.id


def race(server, jobs):
    """Run every job in a thread of its own, all released at once; returns (results, errors)
    where a result is a receipt or the name of the domain error that refused the cast."""
    barrier = threading.Barrier(len(jobs), timeout=120)
    results, errors = [], []

    def run(job):
        with server.app_context():
            try:
                barrier.wait()
                results.append(job())
            except (Conflict, InvalidTransition) as refused:
                results.append(type(refused).__name__)
            except Exception as error:  # noqa: BLE001 — any other error fails the test
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()   # end the test's own snapshot, to read what the threads committed
    return results, errors


def cast_job(ballot_id, user_id, choice=Choice.yes, key=None):
    def job():
        with unit_of_work():
            return voting.cast(db.session.get(Ballot, ballot_id), actor=db.session.get(User, user_id),
                               choice=choice, client_key=key)
    return job


@pytest.fixture
def moderator(tree, make_user):
    return make_user("李书记", role=Role.moderator, place=tree.fc)


@pytest.mark.parametrize("secrecy", [Secrecy.named, Secrecy.secret])
def test_a_thousand_households_cast_at_once(app, server, tree, moderator, secrecy):
    owners = households(tree.b1, 1000)
    ballot_id = open_ballot(tree.b1, moderator, secrecy=secrecy)
    jobs = [cast_job(ballot_id, uid, Choice.yes if n % 3 else Choice.no, f"k{uid}") for n, uid in enumerate(owners)]
    results, errors = race(server, jobs)
    assert errors == []
    assert len(results) == 1000 and not {"Conflict", "InvalidTransition"} & set(results)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1000
    counted = voting.tally(db.session.get(Ballot, ballot_id))
    assert (counted.cast.headcount, counted.of("yes").headcount, counted.of("no").headcount) == (1000, 666, 334)
    if secrecy is Secrecy.secret:
        assert db.session.scalar(select(func.count()).select_from(BallotBoxEntry)) == 1000


def test_the_same_cast_sent_fifty_times_counts_once(app, server, tree, moderator):
    [owner] = households(tree.b1, 1)
    ballot_id = open_ballot(tree.b1, moderator)
    results, errors = race(server, [cast_job(ballot_id, owner, key="one-press") for _ in range(50)])
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    assert len(set(results)) == 1 and len(results[0]) == 32   # every retry gets the one receipt back


def test_two_co_owners_racing_count_once(app, server, tree, moderator, make_household, make_user):
    home = make_household(tree.e1, "101")
    husband = make_user("王先生", household=home)
    wife = make_user("王太太", household=home)
    ballot_id = open_ballot(tree.b1, moderator)
    results, errors = race(server, [cast_job(ballot_id, husband.id, Choice.yes),
                                    cast_job(ballot_id, wife.id, Choice.no)])
    assert errors == []
    assert sorted(r == "Conflict" for r in results) == [False, True]
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_casts_racing_the_close_are_counted_or_refused(app, server, tree, moderator):
    owners = households(tree.b1, 200)
    ballot_id = open_ballot(tree.b1, moderator)
    moderator_id = moderator.id

    def close():
        with unit_of_work():
            voting.close_ballot(db.session.get(Ballot, ballot_id), actor=db.session.get(User, moderator_id))
        return "closed"

    jobs = [cast_job(ballot_id, uid) for uid in owners]
    jobs.insert(100, close)
    results, errors = race(server, jobs)
    assert errors == []
    ballot = db.session.get(Ballot, ballot_id)
    accepted = len([r for r in results if r not in ("closed", "InvalidTransition")])
    stored = db.session.scalar(select(func.count()).select_from(Participation))
    # Nothing is stored that the frozen result does not count, and nothing counted is lost.
    assert accepted == stored == ballot.result["cast"]["headcount"]
    assert accepted + results.count("InvalidTransition") == 200
