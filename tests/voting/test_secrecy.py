"""A secret vote cannot be matched to its voter: 200 votes cast in a known order, and
every order a reader of the database or of a backup can get from the ballot box (row ids,
physical order, PostgreSQL's ctid and xmin, the primary key, the dump, the bytes of the
SQLite file) says nothing of that order, while the participations and the audit log keep
who voted when."""
import random
import sqlite3
import subprocess
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from consult import create_app
from consult.accounts.models import Role, User
from consult.backup import backup, restore
from consult.database import unit_of_work
from consult.extensions import db
from consult.places.models import Household, HouseholdMember, Relation
from consult.voting import service as voting
from consult.voting.models import BallotBoxEntry, Choice, Electorate, Participation, Secrecy

from ..conftest import config_for

VOTES = 200
# The rank correlation of a random order with the casting order is about normal with a
# standard deviation of 1/sqrt(199) ≈ 0.07: 0.35 is five of them; the order of insertion is 1.
BOUND = 0.35


def spearman(seen: list[str], cast_order: list[str]) -> float:
    """The rank correlation between where each receipt is in ``seen`` and when it was cast."""
    assert sorted(seen) == sorted(cast_order), "the order read must hold every vote once"
    when = {receipt: n for n, receipt in enumerate(cast_order)}
    n = len(seen)
    d2 = sum((position - when[receipt]) ** 2 for position, receipt in enumerate(seen))
    return 1 - 6 * d2 / (n * (n * n - 1))


def assert_no_order(seen: list[str], cast_order: list[str], what: str) -> None:
    rho = spearman(seen, cast_order)
    assert abs(rho) < BOUND, f"{what}: rank correlation with the casting order is {rho:.2f}"


def open_secret_ballot(tree, make_user):
    """A secret ballot of 200 households, open; returns it, its moderator and the voters."""
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    voters = []
    for n in range(VOTES):
        household = Household(place=tree.e1, room=f"{n + 1:04d}", area=Decimal("80.00"))
        user = User(name=f"居民{n}", phone=f"1370000{n:04d}")
        db.session.add_all([household, user, HouseholdMember(household=household, user=user, relation=Relation.owner,
                                                             is_designated_voter=True)])
        voters.append(user)
    db.session.commit()
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=moderator, question="是否加装电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.secret,
                                     rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    return ballot, moderator, voters


def cast_in_order(ballot, voters, marks) -> list[str]:
    receipts = []
    for voter, choice in zip(voters, marks):
        with unit_of_work():
            receipts.append(voting.cast(ballot, actor=voter, choice=choice))
    db.session.commit()
    return receipts


@pytest.fixture
def closed_secret_ballot(app, tree, make_user):
    """200 households vote in a secret ballot one after another, with known choices; then
    the ballot is closed. Returns the ballot, the receipts in casting order and the choices."""
    ballot, moderator, voters = open_secret_ballot(tree, make_user)
    marks = random.Random(278).choices([Choice.yes, Choice.no, Choice.abstain], k=VOTES)
    receipts = cast_in_order(ballot, voters, marks)
    with unit_of_work():
        voting.close_ballot(ballot, actor=moderator)
    db.session.commit()
    return ballot, receipts, {r: c.value for r, c in zip(receipts, marks)}


def read_orders(connection, engine: str) -> dict[str, list[str]]:
    """Every order of the box rows that a reader of this database can get."""
    orders = {
        "physical order": [row.receipt for row in connection.execute(text("SELECT * FROM ballot_box"))],
        "primary key": connection.execute(text("SELECT receipt FROM ballot_box ORDER BY ballot_id, receipt"))
        .scalars().all(),
        "by ballot": [row.receipt for row in connection.execute(
            text("SELECT * FROM ballot_box WHERE ballot_id = (SELECT min(ballot_id) FROM ballot_box)"))],
    }
    if engine == "postgresql":
        orders["ctid"] = connection.execute(text("SELECT receipt FROM ballot_box ORDER BY ctid")).scalars().all()
    return orders


def assert_box_has_no_order(uri: str, receipts: list[str], choices: dict[str, str], where: str) -> None:
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT receipt, choice FROM ballot_box")).all())
            assert rows == choices, f"{where}: the box lost or changed votes"
            for what, seen in read_orders(connection, engine.dialect.name).items():
                assert_no_order(seen, receipts, f"{where}, {what}")
            if engine.dialect.name == "sqlite":
                with pytest.raises(OperationalError, match="rowid"):
                    connection.execute(text("SELECT rowid FROM ballot_box"))
            else:
                # The transaction that last wrote each row: one for the whole box, the count's.
                writers = connection.execute(text("SELECT DISTINCT xmin::text FROM ballot_box")).scalars().all()
                assert len(writers) == 1, f"{where}: {len(writers)} transactions wrote the box"
    finally:
        engine.dispose()


def test_the_closed_box_keeps_no_order_of_casting(app, closed_secret_ballot):
    ballot, receipts, choices = closed_secret_ballot
    # Who voted when stays on the record, in the order of casting ...
    participations = db.session.scalars(select(Participation).where(Participation.ballot_id == ballot.id)
                                        .order_by(Participation.id)).all()
    assert len(participations) == VOTES and all(p.choice is None and p.receipt is None for p in participations)
    assert [p.at for p in participations] == sorted(p.at for p in participations)
    # ... and the box, in the live database, has no order to line it up with.
    assert_box_has_no_order(app.config["SQLALCHEMY_DATABASE_URI"], receipts, choices, "live database")
    assert ballot.result["cast"]["headcount"] == VOTES
    if db.engine.dialect.name == "sqlite":
        # The bytes of the database file: the rows written while the ballot was open were
        # overwritten when it was counted, and each receipt is there once, in key order.
        db.session.commit()
        path = db.engine.url.database
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        data = Path(path).read_bytes()
        assert all(data.count(r.encode()) == 1 for r in receipts), "a receipt is in the file twice"
        offsets = {r: data.find(r.encode()) for r in receipts}
        assert_no_order(sorted(receipts, key=offsets.get), receipts, "bytes of the database file")
    assert ballot.result["marks"]["yes"]["headcount"] == list(choices.values()).count("yes")


def assert_backup_has_no_order(app, tmp_path, empty_database, receipts: list[str], choices: dict[str, str],
                               where: str) -> None:
    """Make a backup with consult/backup.py; read the order of the box in its bytes (the
    SQLite file, the PostgreSQL dump), then restore it and read every order again."""
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    if manifest["engine"] == "sqlite":
        data = (unpacked / "database.sqlite").read_bytes()
    else:
        data = subprocess.run(["pg_restore", "--data-only", "--file", "-", str(unpacked / "database.dump")],
                              check=True, capture_output=True).stdout
        data += b"".join(path.read_bytes() for path in sorted(unpacked.iterdir())
                         if path.is_file() and path.name not in ("database.dump", "manifest.json"))
    assert all(data.count(r.encode()) == 1 for r in receipts), f"{where}: a receipt is in the backup twice"
    offsets = {r: data.find(r.encode()) for r in receipts}
    assert_no_order(sorted(receipts, key=offsets.get), receipts, f"{where}, bytes of the backup")
    target = create_app(config_for(empty_database, UPLOAD_DIR=str(tmp_path / "restored-uploads")))
    with target.app_context():
        restore(archive)
        db.engine.dispose()
    assert_box_has_no_order(empty_database, receipts, choices, f"{where}, restored")


def test_a_backup_and_its_restore_keep_no_order_of_casting(app, closed_secret_ballot, empty_database, tmp_path):
    _ballot, receipts, choices = closed_secret_ballot
    assert_backup_has_no_order(app, tmp_path, empty_database, receipts, choices, "backup of a closed ballot")


def test_a_backup_while_the_ballot_is_open_keeps_no_order_either(app, tree, make_user, tmp_path, empty_database):
    ballot, _moderator, voters = open_secret_ballot(tree, make_user)
    marks = random.Random(279).choices([Choice.yes, Choice.no, Choice.abstain], k=VOTES)
    receipts = cast_in_order(ballot, voters, marks)
    assert_backup_has_no_order(app, tmp_path, empty_database, receipts, {r: c.value for r, c in zip(receipts, marks)},
                               "backup of an open ballot")


def test_no_other_table_holds_a_receipt_or_a_retry_gets_one_back(app, tree, make_user, make_household):
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    voters = [make_user(f"居民{n}", password=None, household=make_household(tree.e1, f"{n}01"))
              for n in range(1, 4)]
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=moderator, question="是否加装电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.secret,
                                     rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    receipts = []
    for n, voter in enumerate(voters):
        with unit_of_work():
            receipts.append(voting.cast(ballot, actor=voter, choice=Choice.no, client_key=f"key-{n}"))
    # A retry of the same cast is told the vote is counted; the receipt was shown once only.
    with unit_of_work():
        assert voting.cast(ballot, actor=voters[0], choice=Choice.no, client_key="key-0") == ""
    with unit_of_work():
        voting.close_ballot(ballot, actor=moderator)
    db.session.commit()
    assert sorted(db.session.scalars(select(BallotBoxEntry.receipt))) == sorted(receipts)
    for table in db.metadata.sorted_tables:
        if table.name == "ballot_box":
            continue
        for row in db.session.execute(select(table)):
            text_of_row = " ".join(map(str, row))
            assert not any(r in text_of_row for r in receipts), f"a receipt is kept in {table.name}"


def test_the_migration_keeps_every_vote_down_and_up(empty_database):
    """0011 rewrites the box in key order and back, on a database holding votes."""
    from flask_migrate import downgrade, upgrade

    app = create_app(config_for(empty_database))
    with app.app_context():
        upgrade(revision="0010_minutes")
        rows = [(n, f"{n:02d}{'ab' * 15}", "yes" if n % 2 else "no") for n in range(1, 41)]
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO places (id, kind, name, path, created_at) "
                                    "VALUES (1, 'building', '1号楼', '/1/', CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO ballots (id, place_id, question, kind, max_choices, electorate, secrecy, rule, state, "
                "created_at) VALUES (1, 1, '?', 'yes_no', 1, 'households', 'secret', 'simple_majority', 'open', "
                "CURRENT_TIMESTAMP)"))
            for _n, receipt, choice in reversed(rows):
                connection.execute(text("INSERT INTO ballot_box (receipt, ballot_id, choice, area) "
                                        "VALUES (:r, 1, :c, 0)"), {"r": receipt, "c": choice})
        expected = sorted((1, r, c) for _n, r, c in rows)

        def box():
            with db.engine.connect() as connection:
                return connection.execute(text("SELECT ballot_id, receipt, choice FROM ballot_box")).all()

        upgrade(revision="0011_secret_box")
        assert box() == expected                       # in key order, not in the order written
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection, pytest.raises(OperationalError, match="rowid"):
                connection.execute(text("SELECT rowid FROM ballot_box"))
        downgrade(revision="0010_minutes")
        assert sorted(box()) == expected
        upgrade()
        assert box() == expected
        db.session.remove()
        db.engine.dispose()
