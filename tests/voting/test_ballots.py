import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.places.models import HouseholdMember, Relation
from consult.voting import service as voting
from consult.voting.models import (
    BallotBoxEntry,
    BallotState,
    BallotVoter,
    Choice,
    Electorate,
    Participation,
    Secrecy,
)


@pytest.fixture
def moderator(tree, make_user):
    return make_user("李书记", role=Role.moderator, place=tree.fc)


def ballot(tree, moderator, electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority",
           place=None):
    with unit_of_work():
        b = voting.draft_ballot(place or tree.b1, actor=moderator, question="是否加装电梯？",
                                electorate=electorate, secrecy=secrecy, rule=rule)
    with unit_of_work():
        voting.open_ballot(b, actor=moderator)
    return b


def cast(b, user, choice=Choice.yes, **kw):
    with unit_of_work():
        return voting.cast(b, actor=user, choice=choice, **kw)


def test_household_vote_first_member_counts(tree, moderator, make_household, make_user):
    h = make_household(tree.e1, "101")
    wife = make_user("王秀英", household=h)
    husband = make_user("王先生", household=h, relation=Relation.family)
    b = ballot(tree, moderator)
    assert cast(b, wife)
    with pytest.raises(Conflict, match="您家已经投过票"):
        cast(b, husband, Choice.no)
    assert voting.tally(b).of("yes").headcount == 1 and voting.tally(b).of("no").headcount == 0


def test_owner_with_three_units_counts_once_with_summed_area(tree, moderator, make_household, make_user):
    developer = make_user("开发商")
    units = [make_household(tree.e1, r, a) for r, a in (("101", "80.00"), ("102", "90.50"), ("201", "100.25"))]
    for unit in units:
        db.session.add(HouseholdMember(household=unit, user=developer, relation=Relation.owner,
                                       is_designated_voter=True))
    db.session.commit()
    other = make_user("王秀英", household=make_household(tree.e2, "301", "60.00"))
    b = ballot(tree, moderator, Electorate.owners, rule="civil_code_278")
    voters = db.session.scalars(select(BallotVoter).where(BallotVoter.ballot_id == b.id)).all()
    assert sorted(v.area for v in voters) == [Decimal("60.00"), Decimal("270.75")]
    cast(b, developer)
    tally = voting.tally(b)
    assert (tally.eligible.headcount, tally.of("yes").headcount, tally.of("yes").area) == (2, 1, Decimal("270.75"))
    assert other


def test_co_owner_votes_through_the_designated_voter(tree, moderator, make_household, make_user):
    h = make_household(tree.e1, "101")
    designated = make_user("甲", household=h)            # first owner: designated
    co_owner = make_user("乙", household=h)
    b = ballot(tree, moderator, Electorate.owners, rule="civil_code_278")
    with pytest.raises(NotAllowed):
        cast(b, co_owner)
    assert cast(b, designated)


def test_secret_ballot_keeps_no_link_between_voter_and_choice(tree, moderator, make_household, make_user):
    people = [make_user(f"居民{n}", household=make_household(tree.e1, f"{n}01")) for n in range(1, 4)]
    b = ballot(tree, moderator, secrecy=Secrecy.secret)
    receipts = [cast(b, p, c) for p, c in zip(people, (Choice.yes, Choice.no, Choice.yes))]
    assert db.session.scalars(select(Participation.choice).where(Participation.ballot_id == b.id)).all() == [None] * 3
    assert db.session.scalars(select(Participation.receipt).where(Participation.ballot_id == b.id)).all() == [None] * 3
    box_columns = {c["name"] for c in inspect(db.engine).get_columns("ballot_box")}
    assert box_columns == {"receipt", "ballot_id", "choice", "area"}  # no voter, no time, no sequence
    assert sorted(db.session.scalars(select(BallotBoxEntry.receipt))) == sorted(receipts)
    assert voting.tally(b).of("yes").headcount == 2


def test_retry_with_the_same_client_key_returns_the_receipt(tree, moderator, make_household, make_user):
    voter = make_user(household=make_household(tree.e1, "101"))
    b = ballot(tree, moderator)
    first = cast(b, voter, client_key="k-1")
    assert cast(b, voter, client_key="k-1") == first
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_no_votes_after_close_and_results_are_frozen(tree, moderator, make_household, make_user):
    voters = [make_user(household=make_household(tree.e1, f"{n}01")) for n in range(1, 4)]
    b = ballot(tree, moderator)
    cast(b, voters[0])
    cast(b, voters[1], Choice.no)
    with unit_of_work():
        voting.close_ballot(b, actor=moderator)
    assert b.state is BallotState.closed and b.result["passed"] is False  # 1 of 2: not more than half
    assert b.result["explanation"] == {"zh_Hans": "赞成票 50.0%，未超过 1/2", "en": "votes for 50.0%: not more than 1/2"}
    with pytest.raises(InvalidTransition):
        cast(b, voters[2])
    with pytest.raises(InvalidTransition):
        voting.close_ballot(b, actor=moderator)


def test_resident_of_another_building_cannot_vote(tree, moderator, make_household, make_user):
    make_user(household=make_household(tree.e1, "101"))
    outsider = make_user(household=make_household(tree.b2, "101"))
    b = ballot(tree, moderator)
    with pytest.raises(NotAllowed):
        cast(b, outsider)


def test_drafting_rules(tree, moderator, make_user, make_household):
    resident = make_user(household=make_household(tree.e1, "101"))
    with pytest.raises(NotAllowed):
        voting.draft_ballot(tree.b1, actor=resident, question="?", electorate=Electorate.households,
                            secrecy=Secrecy.named, rule="simple_majority")
    with pytest.raises(InvalidInput):  # art. 278 needs the owners electorate
        voting.draft_ballot(tree.b1, actor=moderator, question="维修资金", electorate=Electorate.households,
                            secrecy=Secrecy.named, rule="civil_code_278")
    with pytest.raises(InvalidInput):
        voting.draft_ballot(tree.b1, actor=moderator, question="", electorate=Electorate.households,
                            secrecy=Secrecy.named, rule="simple_majority")


def test_concurrent_casts_count_each_household_once(app, tree, moderator, make_household, make_user):
    """Ten households vote at once, and one of them presses the button four more times.
    (Kept within the connection pool of one process: 5 + 10 overflow.)"""
    from consult.accounts.models import User
    from consult.voting.models import Ballot

    voters = [make_user(household=make_household(tree.e1, f"{n:03d}")) for n in range(10)]
    b = ballot(tree, moderator)
    jobs = [(v.id, f"key-{v.id}") for v in voters] + [(voters[0].id, f"retry-{n}") for n in range(4)]
    barrier = threading.Barrier(len(jobs), timeout=30)
    errors = []

    def run(user_id, key):
        with app.app_context():
            try:
                user, target = db.session.get(User, user_id), db.session.get(Ballot, b.id)
                barrier.wait()
                with unit_of_work():
                    voting.cast(target, actor=user, choice=Choice.yes, client_key=key)
            except Conflict:
                pass
            except Exception as error:  # noqa: BLE001 — any other error fails the test
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()   # end the test's own snapshot, to read what the threads committed
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 10
    assert voting.tally(b).of("yes").headcount == 10
