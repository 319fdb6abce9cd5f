"""A batch of casts (``voting.cast_many``, the live room's burst) gets the answers the
same casts would get one after another: each refusal alone, the valid votes durable and
audited, and a secret ballot's box with no order of the batch in it."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import func, insert, select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.voting import service as voting
from consult.voting.models import (
    Ballot,
    BallotBoxEntry,
    BallotVoter,
    Choice,
    Electorate,
    Participation,
    Secrecy,
    VoteChanges,
)
from tests.voting.test_load import households, moderator, open_ballot  # noqa: F401 — fixtures
from tests.voting.test_secrecy import assert_no_order, read_orders


def _batch(ballot_id: int, requests: list[voting.CastRequest]) -> list:
    with unit_of_work():
        answers = voting.cast_many(db.session.get(Ballot, ballot_id), requests)
    db.session.commit()
    return answers


def _people(ids: list[int]) -> list[User]:
    return [db.session.get(User, i) for i in ids]


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_a_mixed_batch_answers_each_cast_alone_and_keeps_the_valid_ones(app, tree, moderator, make_user,  # noqa: F811
                                                                        make_household):
    owners = _people(households(tree.b1, 6))
    outsider = make_user("刘先生", household=make_household(tree.b2, "101"))
    home = make_household(tree.e1, "999")
    husband, wife = make_user("王先生", household=home), make_user("王太太", household=home)
    ballot_id = open_ballot(tree.b1, moderator)
    with unit_of_work():      # before the batch: one vote already cast, under a client key
        before = voting.cast(db.session.get(Ballot, ballot_id), actor=owners[0], choice=Choice.no, client_key="k0")
    Request = voting.CastRequest
    with force_locale("en"):
        answers = _batch(ballot_id, [
            Request(owners[1], Choice.yes, "k1"),                 # 0 valid
            Request(owners[0], Choice.no, "k0"),                  # 1 a retry of the earlier vote
            Request(owners[0], Choice.yes, "k0-again"),           # 2 a second vote of a voter who voted
            Request(outsider, Choice.yes, "k-out"),               # 3 outside the electorate
            Request(owners[2], "maybe", "k2"),                    # 4 not an option
            Request(owners[3], Choice.no, "k3"),                  # 5 valid
            Request(owners[3], Choice.no, "k3"),                  # 6 a double click within the batch
            Request(owners[3], Choice.yes, "k3-phone"),           # 7 the same voter on a second phone
            Request(husband, Choice.yes, None),                   # 8 valid: the household's vote
            Request(wife, Choice.no, None),                       # 9 the same household
            Request(owners[4], Choice.abstain, "k3"),             # 10 another person's client key
            Request(owners[5], Choice.yes, "k5"),                 # 11 valid
        ])
    receipts = [a for a in answers if isinstance(a, str)]
    assert isinstance(answers[0], str) and len(answers[0]) == 32
    assert answers[1] == before
    assert isinstance(answers[2], Conflict) and answers[2].message == "Your household has already voted."
    assert isinstance(answers[3], NotAllowed) and answers[3].message == "You are not in the electorate of this ballot."
    assert isinstance(answers[4], InvalidInput) and answers[4].message == "This is not one of the ballot's options."
    assert isinstance(answers[5], str) and answers[6] == answers[5]
    assert isinstance(answers[7], Conflict) and answers[7].message == "Your household has already voted."
    assert isinstance(answers[8], str)
    assert isinstance(answers[9], Conflict) and answers[9].message == "Your household has already voted."
    assert isinstance(answers[10], Conflict)
    assert isinstance(answers[11], str)
    assert sum(isinstance(a, DomainError) for a in answers) == 6 and len(set(receipts)) == 5
    # Durable: the four new votes and the earlier one, each audited once, with its marks.
    assert _count(Participation, ballot_id=ballot_id) == 5
    assert _count(AuditEntry, action="ballot.cast") == 5
    actors = set(db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "ballot.cast")))
    assert actors == {owners[0].id, owners[1].id, owners[3].id, husband.id, owners[5].id}
    marks = dict(db.session.execute(select(Participation.client_key, Participation.choice)
                                    .where(Participation.ballot_id == ballot_id)).all())
    assert marks == {"k0": "no", "k1": "yes", "k3": "no", None: "yes", "k5": "yes"}
    counted = voting.tally(db.session.get(Ballot, ballot_id))
    assert (counted.cast.headcount, counted.of("yes").headcount, counted.of("no").headcount) == (5, 3, 2)


def test_a_batch_on_a_closed_ballot_is_refused_whole(app, tree, moderator):  # noqa: F811
    owners = _people(households(tree.b1, 3))
    ballot_id = open_ballot(tree.b1, moderator)
    with unit_of_work():
        voting.close_ballot(db.session.get(Ballot, ballot_id), actor=moderator)
    with force_locale("en"):
        answers = _batch(ballot_id, [voting.CastRequest(o, Choice.yes, f"k{o.id}") for o in owners])
    assert all(isinstance(a, InvalidTransition) and a.message == "This ballot is not open." for a in answers)
    assert _count(Participation, ballot_id=ballot_id) == 0
    assert _count(AuditEntry, action="ballot.cast") == 0


def test_each_refusal_is_worded_in_its_casters_language(app, tree, moderator, make_user, make_household):  # noqa: F811
    owners = _people(households(tree.b1, 2))
    outsider = make_user("刘先生", household=make_household(tree.b2, "101"))
    ballot_id = open_ballot(tree.b1, moderator)
    answers = _batch(ballot_id, [
        voting.CastRequest(outsider, Choice.yes, locale="zh_Hans"),
        voting.CastRequest(outsider, Choice.yes, locale="en"),
        voting.CastRequest(owners[0], Choice.yes, locale="zh_Hans"),
        voting.CastRequest(owners[0], Choice.no, locale="en"),
    ])
    assert answers[0].message == "您不在这次表决的投票人范围内。"
    assert answers[1].message == "You are not in the electorate of this ballot."
    assert isinstance(answers[2], str)
    assert answers[3].message == "Your household has already voted."


def test_a_vote_written_meanwhile_fails_only_its_own_cast(app, tree, moderator, monkeypatch):  # noqa: F811
    """Another process writes a vote of one of the batch's voters after the batch read who
    voted: the batch's insert is refused, and each of its votes is written again alone."""
    owners = _people(households(tree.b1, 5))
    ballot_id = open_ballot(tree.b1, moderator)
    taken = db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot_id,
                                                        BallotVoter.voter_key.like("household:%"))
                              .order_by(BallotVoter.id).offset(2))
    marks_of, written = voting.marks_of, []

    def meanwhile(*args, **kwargs):
        if not written:
            written.append(1)
            db.session.execute(insert(Participation).values(ballot_id=ballot_id, voter_id=taken.id,
                                                            cast_by_id=moderator.id, choice="no"))
        return marks_of(*args, **kwargs)

    monkeypatch.setattr(voting, "marks_of", meanwhile)
    with force_locale("en"):
        answers = _batch(ballot_id, [voting.CastRequest(o, Choice.yes, f"k{o.id}") for o in owners])
    refused = [a for a in answers if isinstance(a, DomainError)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict)
    assert refused[0].message == "Your household has already voted."
    assert sum(isinstance(a, str) for a in answers) == 4
    assert _count(Participation, ballot_id=ballot_id) == 5
    assert _count(AuditEntry, action="ballot.cast") == 4


def test_a_retry_whose_first_cast_committed_meanwhile_gets_its_receipt(app, tree, moderator,  # noqa: F811
                                                                      monkeypatch):
    """The same press sent twice, each in a process of its own: the first commits after the
    second read the client keys but before it read who voted. The second is told the vote
    is counted, with its receipt, as it would be had it lost the race on the insert."""
    [owner] = _people(households(tree.b1, 1))
    ballot_id = open_ballot(tree.b1, moderator)
    voters_of = voting._voters_of

    def meanwhile(ballot, casts):
        found = voters_of(ballot, casts)
        db.session.execute(insert(Participation).values(ballot_id=ballot_id, voter_id=found[0].id,
                                                        cast_by_id=owner.id, client_key="press", choice="yes",
                                                        receipt="f" * 32))
        return found

    monkeypatch.setattr(voting, "_voters_of", meanwhile)
    with force_locale("en"):
        [answer] = _batch(ballot_id, [voting.CastRequest(owner, Choice.yes, "press")])
    assert answer == "f" * 32
    assert _count(Participation, ballot_id=ballot_id) == 1


def test_a_vote_changed_once_in_a_batch(app, tree, moderator):  # noqa: F811
    owners = _people(households(tree.b1, 2))
    ballot_id = open_ballot(tree.b1, moderator)
    with unit_of_work():
        db.session.get(Ballot, ballot_id).changes = VoteChanges.once
    with force_locale("en"):
        answers = _batch(ballot_id, [voting.CastRequest(owners[0], Choice.yes, "a"),
                                     voting.CastRequest(owners[0], Choice.no, "b"),
                                     voting.CastRequest(owners[0], Choice.abstain, "c"),
                                     voting.CastRequest(owners[1], Choice.yes, "d")])
    assert isinstance(answers[0], str) and answers[1] == answers[0]
    assert isinstance(answers[2], Conflict) and answers[2].message == "You have already changed your vote once."
    assert isinstance(answers[3], str)
    marks = dict(db.session.execute(select(Participation.cast_by_id, Participation.choice)
                                    .where(Participation.ballot_id == ballot_id)).all())
    assert marks == {owners[0].id: "no", owners[1].id: "yes"}


VOTES = 200


def test_a_secret_batch_leaves_no_order_of_casting_in_the_box(app, tree, moderator):  # noqa: F811
    """200 secret votes in one batch, in a known order: while the ballot is open, no order
    of the box (physical order, key, PostgreSQL's ctid) follows the order of the batch,
    while the participations keep who voted, and nothing of what."""
    owners = _people(households(tree.b1, VOTES))
    ballot_id = open_ballot(tree.b1, moderator, secrecy=Secrecy.secret)
    marks = [(Choice.yes, Choice.no, Choice.abstain)[n % 3] for n in range(VOTES)]
    receipts = _batch(ballot_id, [voting.CastRequest(o, m, f"k{n}") for n, (o, m) in enumerate(zip(owners, marks))])
    assert all(isinstance(r, str) and len(r) == 32 for r in receipts)
    box = dict(db.session.execute(select(BallotBoxEntry.receipt, BallotBoxEntry.choice)
                                  .where(BallotBoxEntry.ballot_id == ballot_id)).all())
    assert box == {r: m.value for r, m in zip(receipts, marks)}
    assert db.session.scalar(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot_id, Participation.choice.is_(None), Participation.receipt.is_(None))) == VOTES
    with db.engine.connect() as connection:
        orders = read_orders(connection, db.engine.dialect.name)
    for what, seen in orders.items():
        assert_no_order(seen, receipts, f"a batch's box, {what}")
