"""Group commit of the room's casts: casts that arrive together share one transaction,
each in a savepoint of its own. A duplicate (a double click, a second device, a co-owner
of the same household) fails only its own cast; every cast is answered; nothing is
answered before its batch commits.

In process (threads, on SQLite and on PostgreSQL) and through real Socket.IO clients
against a server process (gevent, as ``make run`` serves)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import group_commit
from consult.meetings.live import _busy, _failed, _refusal
from consult.voting import service as voting
from consult.voting.models import Ballot, BallotBoxEntry, Choice, Participation
from tests.conftest import PASSWORD, migrate_to_head
from tests.live import LiveServer, sign_in
from tests.voting.test_load import households, moderator, open_ballot, server  # noqa: F401 — fixtures


def _writer(window=0.05, limit=500) -> group_commit.GroupCommit:
    return group_commit.GroupCommit(window=window, limit=limit, refuse=_refusal, busy=_busy, failed=_failed)


def _cast(ballot_id, user_id, choice=Choice.yes, key=None):
    def run():
        receipt = voting.cast(db.session.get(Ballot, ballot_id), actor=db.session.get(User, user_id),
                              choice=choice, client_key=key)
        return {"ok": True, "receipt": receipt}
    return run


def _submit_all(server, writer, runs):
    """Every run submitted from a thread of its own, all released at once: the answers."""
    barrier = threading.Barrier(len(runs), timeout=120)
    answers: list = [None] * len(runs)

    def one(n):
        with server.app_context():
            try:
                barrier.wait()
                answers[n] = writer.submit(group_commit.Work(runs[n], "en"))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(runs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()      # end the test's own snapshot, to read what the writer committed
    return answers


def test_a_burst_shares_transactions_and_duplicates_fail_alone(app, server, tree, moderator,  # noqa: F811
                                                              make_household, make_user):
    owners = households(tree.b1, 60)
    home = make_household(tree.e1, "999")
    husband, wife = make_user("王先生", household=home), make_user("王太太", household=home)
    ballot_id = open_ballot(tree.b1, moderator)
    runs = [_cast(ballot_id, uid, Choice.yes if n % 3 else Choice.no, f"k{uid}") for n, uid in enumerate(owners)]
    runs += [_cast(ballot_id, owners[0], Choice.no, f"k{owners[0]}")] * 3   # a double click: the same cast again
    runs += [_cast(ballot_id, owners[1], key="another-device")]             # the same voter on a second phone
    runs += [_cast(ballot_id, husband.id, Choice.yes), _cast(ballot_id, wife.id, Choice.no)]   # one household
    writer = _writer()
    answers = _submit_all(server, writer, runs)

    assert all(a is not None for a in answers)
    assert all(a["ok"] or (a["error"]["code"] and a["error"]["message"]) for a in answers), answers
    # One vote each: sixty owners and the one household.
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 61
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "ballot.cast")) == 61
    # The double clicks got the first cast's receipt back; the second phone was refused.
    first = {answers[0]["receipt"]} | {a["receipt"] for a in answers[60:63]}
    assert len(first) == 1 and len(answers[0]["receipt"]) == 32
    phones = [answers[1], answers[63]]          # whichever came first counts
    assert sorted(a["ok"] for a in phones) == [False, True]
    assert next(a for a in phones if not a["ok"])["error"] == {"code": "conflict",
                                                              "message": "Your household has already voted."}
    household = sorted(a["ok"] for a in answers[64:])
    assert household == [False, True]
    refused = next(a for a in answers[64:] if not a["ok"])
    assert refused["error"]["message"] == "Your household has already voted."
    counted = voting.tally(db.session.get(Ballot, ballot_id))
    assert counted.cast.headcount == 61
    assert counted.of("no").headcount == (21 if answers[65]["ok"] else 20)
    # Fewer transactions than casts: they were written together.
    assert 1 <= writer.batches < len(runs) // 4


def test_two_writers_like_two_processes_keep_one_vote_each(app, server, tree, moderator):  # noqa: F811
    """Two server processes each write their own batches: the database's constraints keep
    one vote per voter between them (on PostgreSQL, a batch may wait for the other's, or
    lose a deadlock and write its casts again alone)."""
    owners = households(tree.b1, 40)
    ballot_id = open_ballot(tree.b1, moderator)
    one, two = _writer(), _writer()
    jobs = [(one, _cast(ballot_id, uid, key=f"one-{uid}")) for uid in owners] + \
           [(two, _cast(ballot_id, uid, key=f"two-{uid}")) for uid in reversed(owners)]
    barrier = threading.Barrier(len(jobs), timeout=120)
    answers: dict = {}

    def submit(n):
        writer, run = jobs[n]
        with server.app_context():
            try:
                barrier.wait()
                answers[n] = writer.submit(group_commit.Work(run, "en"))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert len(answers) == 80
    for n, uid in enumerate(owners):
        pair = [answers[n], answers[79 - n]]
        assert sorted(a["ok"] for a in pair) == [False, True], pair
        assert next(a for a in pair if not a["ok"])["error"]["code"] == "conflict"
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 40
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "ballot.cast")) == 40


def test_a_failure_in_a_batch_is_written_again_alone(app, server, tree, moderator):  # noqa: F811
    owners = households(tree.b1, 5)
    ballot_id = open_ballot(tree.b1, moderator)
    tries = []

    def flaky():
        tries.append(1)
        if len(tries) == 1:
            raise RuntimeError("a lost connection, say")
        return _cast(ballot_id, owners[0])()

    answers = _submit_all(server, _writer(), [flaky] + [_cast(ballot_id, uid) for uid in owners[1:]])
    assert all(a["ok"] for a in answers) and len(tries) == 2
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 5


def test_a_refusal_is_worded_in_the_persons_language(app, server, tree, moderator):  # noqa: F811
    [owner] = households(tree.b1, 1)
    ballot_id = open_ballot(tree.b1, moderator)
    writer = _writer(window=0)
    with server.app_context():
        assert writer.submit(group_commit.Work(_cast(ballot_id, owner, key="a"), "zh_Hans"))["ok"]
        again = writer.submit(group_commit.Work(_cast(ballot_id, owner, key="b"), "zh_Hans"))
        db.session.remove()
    assert again == {"ok": False, "error": {"code": "conflict", "message": "您家已经投过票了。"}}


# --- through real Socket.IO clients ------------------------------------------------------------

RESIDENTS = 12


def _room(uri: str) -> tuple[int, int, list[str]]:
    """A live circle council of building 1 whose residents have all signed in, with a
    named for/against ballot open: (meeting id, ballot id, the residents' phone numbers)."""
    from consult import create_app
    from consult.accounts.models import Role, RoleGrant
    from consult.accounts.passwords import hash_password
    from consult.clock import utcnow
    from consult.database import unit_of_work
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind
    from consult.places import service as places
    from consult.places.models import PlaceKind, Relation
    from tests.conftest import config_for

    app = create_app(config_for(uri))
    phones = [f"1390000{n:04d}" for n in range(RESIDENTS)]
    with app.app_context(), app.test_request_context():
        hashed = hash_password(PASSWORD)
        with unit_of_work():
            admin = User(name="管理员", username="admin")
            chair = User(name="李书记", username="moderator", password_hash=hashed)
            residents = [User(name=f"居民{n}", phone=p, password_hash=hashed) for n, p in enumerate(phones)]
            db.session.add_all([admin, chair, *residents, RoleGrant(user=admin, role=Role.administrator)])
            db.session.flush()
            sub = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=admin)
            community = places.create_place(sub, PlaceKind.community, "富成花园社区", actor=admin)
            building = places.create_place(community, PlaceKind.building, "1号楼", actor=admin)
            db.session.add(RoleGrant(user=chair, role=Role.moderator, place=community))
            for n, person in enumerate(residents):
                places.attach_member(places.add_household(building, f"{n + 101}", "88.00", actor=admin), person,
                                     Relation.owner, actor=admin)
            db.session.flush()
            meeting = meetings.schedule(building, actor=chair, title="1号楼协商会", kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=utcnow(), invite_residents=True,
                                        free_items=["加装电梯"])
        with unit_of_work():
            meetings.change_state(meeting, "start", actor=chair)
            for person in residents:
                meetings.sign_in(meeting, actor=person)
        with unit_of_work():
            ballot = meetings.open_ballot(meeting, actor=chair, question="是否同意加装电梯？")
        ids = meeting.id, ballot.id
        db.engine.dispose()
    return *ids, phones


def test_a_burst_through_real_clients_counts_each_voter_once(tmp_path):
    import socketio

    path = tmp_path / "room.db"
    migrate_to_head(f"sqlite:///{path}")
    meeting_id, ballot_id, phones = _room(f"sqlite:///{path}")
    server = LiveServer(path, env={"ROOM_CAST_WINDOW": "0.05"})
    clients = []
    try:
        def connect(login):
            http = sign_in(server.url, login, PASSWORD)
            client = socketio.Client(reconnection=False)
            client.connect(server.url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                           transports=["websocket"], auth={"meeting": meeting_id, "last_seq": 10 ** 9},
                           wait_timeout=10)
            return client

        with ThreadPoolExecutor(8) as pool:
            clients = list(pool.map(connect, phones + [phones[0]]))   # the first resident on a second phone too
        casts = [(clients[n], {"choice": "yes" if n % 2 else "no", "client_key": f"press-{n}"})
                 for n in range(RESIDENTS)]
        casts += [(clients[1], {"choice": "yes", "client_key": "press-1"})] * 2     # double clicks
        casts += [(clients[RESIDENTS], {"choice": "yes", "client_key": "second-phone"})]
        barrier = threading.Barrier(len(casts), timeout=60)

        def cast(job):
            client, data = job
            barrier.wait()
            return client.call("act", {"action": "cast", "ballot": ballot_id, **data}, timeout=30)

        with ThreadPoolExecutor(len(casts)) as pool:
            answers = list(pool.map(cast, casts))
    finally:
        for client in clients:
            client.disconnect()
        server.stop()

    assert all(a["ok"] or (a["error"]["code"] and a["error"]["message"]) for a in answers), answers
    assert all(a["ok"] for a in answers[1:RESIDENTS + 2])
    assert {answers[1]["receipt"], answers[RESIDENTS]["receipt"], answers[RESIDENTS + 1]["receipt"]} \
        == {answers[1]["receipt"]}
    # The first resident's two phones: one vote, the other refused (whichever came first).
    assert sorted([answers[0]["ok"], answers[-1]["ok"]]) == [False, True]
    refused = answers[0] if not answers[0]["ok"] else answers[-1]
    assert refused["error"]["code"] == "conflict"

    import sqlite3

    with sqlite3.connect(path) as database:
        voters = database.execute("SELECT count(*), count(DISTINCT voter_id) FROM ballot_participations "
                                  "WHERE ballot_id = ?", (ballot_id,)).fetchone()
        audited = database.execute("SELECT count(*) FROM audit_entries WHERE action = 'ballot.cast'").fetchone()[0]
    assert voters == (RESIDENTS, RESIDENTS)
    assert audited == RESIDENTS


# --- in the room, with the test client ----------------------------------------------------------

def test_a_cast_notes_the_device_seen_in_its_batch_not_in_a_commit_of_its_own(app, meeting, cast):
    """A resident in the room for more than a minute casts: the note that their device was
    seen is written with the cast, so that a burst is not one commit per voter again."""
    from sqlalchemy import event

    from consult import clock
    from consult.accounts.models import SignIn
    from tests.meetings.test_live import act, connect

    clock.set_now(clock.utcnow())
    try:
        _, moderator = connect(app, "moderator", meeting)
        _, resident = connect(app, "13900000001", meeting)
        assert act(resident, "sign_in")["ok"] and act(moderator, "start")["ok"]
        ballot = act(moderator, "ballot_open", question="是否同意方案一？")["ballot"]
        clock.advance(minutes=5)
        commits = []

        def counted(_connection):
            commits.append(1)

        event.listen(db.engine, "commit", counted)
        try:
            answer = act(resident, "cast", ballot=ballot, choice="yes", client_key="k1")
        finally:
            event.remove(db.engine, "commit", counted)
        assert answer["ok"] and len(answer["receipt"]) == 32
        assert len(commits) == 1
        seen = db.session.scalar(select(SignIn.last_seen_at).where(SignIn.user_id == cast.wang.id))
        assert seen == clock.utcnow()
    finally:
        clock.set_now(None)


# --- the room's casts, checked and written together ---------------------------------------------

def _room_ballot(app, meeting, cast, *, secret=False):
    """The council in session, its residents signed in, a ballot open; each person's
    sign-in on a phone: (ballot, {person: sign-in})."""
    from consult.accounts import service as accounts
    from consult.meetings import service as meetings
    from consult.voting.models import Secrecy

    people = [cast.wang, cast.zhang, cast.zhao, cast.outsider, cast.moderator]
    with unit_of_work():
        meetings.change_state(meeting, "start", actor=cast.moderator)
        for person in (cast.wang, cast.zhang, cast.zhao):
            meetings.sign_in(meeting, actor=person)
        ballot = meetings.open_ballot(meeting, actor=cast.moderator, question="是否同意方案一？",
                                      secrecy=Secrecy.secret if secret else Secrecy.named)
        phones = {p: accounts.open_sign_in(p, user_agent=None, address="127.0.0.1", config=app.config)
                  for p in people}
    return ballot, {p: s.token for p, s in phones.items()}


def _room_cast(person, token, meeting_id, ballot_id, choice="yes", key=None, locale="en"):
    from consult.meetings.live import _Cast

    return _Cast(user_id=str(person.id), login_id=token, meeting_id=meeting_id, ballot_id=ballot_id, choice=choice,
                 client_key=key, locale=locale)


def test_the_rooms_casts_are_checked_together_and_each_refusal_answers_alone(app, meeting, cast):
    from consult.meetings.live import _casts_together
    from consult.meetings.models import SignedOut

    ballot, phones = _room_ballot(app, meeting, cast)
    ballot_id, meeting_id = ballot.id, meeting.id
    with unit_of_work():
        db.session.add(SignedOut(login_id=phones[cast.zhao]))     # zhao signed out on another device
    casts = [
        _room_cast(cast.wang, phones[cast.wang], meeting_id, ballot_id, "yes", "w1"),      # valid
        _room_cast(cast.zhang, phones[cast.wang], meeting_id, ballot_id, "no", "z1"),      # another's sign-in
        _room_cast(cast.zhao, phones[cast.zhao], meeting_id, ballot_id, "no", "s1"),       # signed out
        _room_cast(cast.outsider, phones[cast.outsider], meeting_id, ballot_id, "yes"),    # not invited
        _room_cast(cast.zhang, phones[cast.zhang], meeting_id, ballot_id + 1000, "no"),    # not this meeting's ballot
        _room_cast(cast.moderator, phones[cast.moderator], meeting_id, ballot_id, "yes"),  # not signed in: no vote
        _room_cast(cast.wang, phones[cast.wang], meeting_id, ballot_id, "yes", "w1"),      # a double click
        _room_cast(cast.zhang, phones[cast.zhang], meeting_id, ballot_id, "no", "z2"),     # valid
        _room_cast(cast.zhang, phones[cast.zhang], meeting_id, ballot_id, "yes", "z3", "zh_Hans"),  # a second vote
    ]
    answers: dict = {}
    for group in ([n for n, c in enumerate(casts) if c.ballot_id == ballot_id], [4]):
        with unit_of_work():
            answers.update(zip(group, _casts_together([casts[n] for n in group])))
    db.session.commit()
    assert answers[0]["ok"] and answers[6] == answers[0] and len(answers[0]["receipt"]) == 32
    gone = {"code": "not_allowed", "message": "You may no longer act in this meeting."}
    assert answers[1]["error"] == gone and answers[2]["error"] == gone and answers[3]["error"] == gone
    assert answers[4]["error"] == {"code": "not_found", "message": "This ballot is not of this meeting."}
    assert answers[5]["error"] == {"code": "not_allowed", "message": "You are not in the electorate of this ballot."}
    assert answers[7]["ok"] and len(answers[7]["receipt"]) == 32
    assert answers[8]["error"] == {"code": "conflict", "message": "您已经投过票了。"}
    voted = dict(db.session.execute(select(Participation.cast_by_id, Participation.choice)
                                    .where(Participation.ballot_id == ballot_id)).all())
    assert voted == {cast.wang.id: "yes", cast.zhang.id: "no"}
    assert set(db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "ballot.cast"))) \
        == {cast.wang.id, cast.zhang.id}


def test_a_burst_of_room_casts_is_written_together(app, server, meeting, cast):  # noqa: F811
    from consult.meetings.live import _casts_together, _write_together

    ballot, phones = _room_ballot(app, meeting, cast, secret=True)
    casts = [_room_cast(p, phones[p], meeting.id, ballot.id, "yes" if n else "no", f"k{n}")
             for n, p in enumerate([cast.wang, cast.zhang, cast.zhao, cast.wang, cast.outsider])]
    writer = group_commit.GroupCommit(window=0.05, limit=500, refuse=_refusal, busy=_busy, failed=_failed,
                                      together=_write_together)
    calls = []

    def counted(works):
        calls.append(len(works))
        return _write_together(works)

    writer.together = counted
    barrier = threading.Barrier(len(casts), timeout=60)
    answers: list = [None] * len(casts)

    def one(n):
        with server.app_context():
            try:
                barrier.wait()
                c = casts[n]
                answers[n] = writer.submit(group_commit.Work(lambda: _casts_together([c])[0], "en",
                                                             together=(c.meeting_id, c.ballot_id), request=c))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(casts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert answers[1]["ok"] and answers[2]["ok"]
    wang = [answers[0], answers[3]]                       # one vote of two phones: whichever came first
    assert sorted(a["ok"] for a in wang) == [False, True]
    assert next(a for a in wang if not a["ok"])["error"]["code"] == "conflict"
    assert answers[4]["error"]["code"] == "not_allowed"
    assert writer.batches <= 2 and max(calls) >= 2        # casts that came together were written together
    assert db.session.scalar(select(func.count()).select_from(Participation)
                             .where(Participation.ballot_id == ballot.id)) == 3
    box = sorted(db.session.scalars(select(BallotBoxEntry.receipt).where(BallotBoxEntry.ballot_id == ballot.id)))
    assert box == sorted(a["receipt"] for a in answers if a["ok"])


def test_casts_that_fail_together_are_written_one_by_one(app, server, tree, moderator):  # noqa: F811
    owners = households(tree.b1, 6)
    ballot_id = open_ballot(tree.b1, moderator)
    failures = []

    def together(works):
        failures.append(len(works))
        raise RuntimeError("a lost connection, say")

    writer = group_commit.GroupCommit(window=0.05, limit=500, refuse=_refusal, busy=_busy, failed=_failed,
                                      together=together)
    barrier = threading.Barrier(len(owners), timeout=60)
    answers: list = [None] * len(owners)

    def one(n):
        with server.app_context():
            try:
                barrier.wait()
                answers[n] = writer.submit(group_commit.Work(_cast(ballot_id, owners[n]), "en", together=ballot_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(owners))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert failures and all(a["ok"] for a in answers)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 6
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "ballot.cast")) == 6


def test_the_room_hears_the_count_when_the_burst_is_written(app, monkeypatch):
    """While casts are being written, the tally (a send to every connection) waits, up to
    ``TALLY_BUSY_INTERVAL``; once the writing ends, the next tick sends it."""
    import time
    from types import SimpleNamespace

    from consult.meetings import live

    sent = []
    monkeypatch.setattr(live, "_send_tallies", lambda _app, due: sent.append(dict(due)))
    monkeypatch.setattr(live, "TALLY_BUSY_INTERVAL", 60.0)
    monkeypatch.setattr(live, "IDLE_TICKS", 3)
    writer = SimpleNamespace(writing=True)
    app.extensions["consult_room_casts"] = writer
    tallies = live._tallies(app)
    tallies.sent, tallies.running = time.monotonic(), True
    tallies.dirty[7] = 3
    ticker = threading.Thread(target=live._tick, args=(app,))
    ticker.start()
    try:
        time.sleep(5 * live.TALLY_INTERVAL)
        assert sent == [] and tallies.dirty == {7: 3}       # held while the casts are written
        writer.writing = False
        deadline = time.monotonic() + 10
        while not sent and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sent == [{7: 3}]
    finally:
        writer.writing = False
        ticker.join(timeout=10)
    assert not tallies.running
