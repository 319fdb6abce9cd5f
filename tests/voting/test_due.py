"""Ballots over a period: the server's loop opens and closes them; a page does so only for
the ballot it shows, once the viewer is known to see it, and tells no viewer of another's
failure."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.clock import utcnow
from consult.database import unit_of_work
from consult.extensions import db
from consult import schedule
from consult.notifications.models import Notification
from consult.places.models import Relation
from consult.voting import service as voting
from consult.voting.models import Ballot, BallotState, Electorate, Secrecy


@pytest.fixture
def people(tree, make_household, make_user):
    return type("People", (), dict(
        wang=make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101", "90.00")),
        sun=make_user("孙阿姨", phone="13900000005", household=make_household(tree.b2, "101")),
        moderator=make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))


def period_ballot(place, moderator, *, opens_in=timedelta(hours=1), electorate=Electorate.households) -> Ballot:
    with unit_of_work():
        ballot = voting.draft_ballot(place, actor=moderator, question="是否同意加装电梯？", electorate=electorate,
                                     secrecy=Secrecy.named, rule="simple_majority",
                                     opens_at=utcnow() + opens_in, closes_at=utcnow() + timedelta(days=7))
    return ballot


def come(ballot: Ballot, **times) -> None:
    for name, value in times.items():
        setattr(ballot, name, value)
    db.session.commit()


def state_of(ballot_id: int) -> BallotState:
    db.session.rollback()
    return db.session.scalar(select(Ballot.state).where(Ballot.id == ballot_id))


def test_a_viewer_who_may_not_see_a_due_ballot_opens_nothing(client, auth, tree, people):
    ballot = period_ballot(tree.b1, people.moderator)
    come(ballot, opens_at=utcnow() - timedelta(minutes=1))
    auth.login("13900000005")   # building 2: the ballot is building 1's
    assert client.get(f"/ballots/{ballot.id}").status_code == 404
    assert state_of(ballot.id) is BallotState.draft


def test_the_ballot_list_advances_no_ballot(client, auth, tree, people):
    ballot = period_ballot(tree.b1, people.moderator)
    come(ballot, opens_at=utcnow() - timedelta(minutes=1))
    auth.login("13900000005")
    assert client.get("/ballots/").status_code == 200
    assert state_of(ballot.id) is BallotState.draft
    auth.logout()
    auth.login("13900000001")
    assert client.get("/ballots/").status_code == 200
    assert state_of(ballot.id) is BallotState.draft


def test_a_due_ballot_opens_on_access_for_one_who_will_see_it(client, auth, tree, people):
    ballot = period_ballot(tree.b1, people.moderator)
    come(ballot, opens_at=utcnow() - timedelta(minutes=1))
    auth.login("13900000001")
    assert client.get(f"/ballots/{ballot.id}").status_code == 200
    assert state_of(ballot.id) is BallotState.open


def test_a_failed_automatic_opening_is_told_to_its_drafter_once_and_flashed_to_nobody(client, auth, tree, people,
                                                                                     make_place):
    empty = make_place("building", "9号楼", tree.fc)   # nobody lives there: nobody could vote
    ballot = period_ballot(empty, people.moderator)
    come(ballot, opens_at=utcnow() - timedelta(minutes=1))
    auth.login("moderator")
    for _ in range(2):
        page = client.get(f"/ballots/{ballot.id}", follow_redirects=True).get_data(as_text=True)
        assert "这次表决没有可投票的人" not in page and "Nobody could vote" not in page
        assert client.get("/ballots/").status_code == 200
    db.session.rollback()
    ballot = db.session.get(Ballot, ballot.id)
    assert ballot.state is BallotState.draft and ballot.opens_at is None   # not tried again
    told = db.session.scalars(select(Notification).where(Notification.kind == "ballot.open_failed")).all()
    assert [n.user_id for n in told] == [people.moderator.id]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "ballot.open_failed")) == 1
    assert voting.advance_is_due() is False


def test_the_loop_opens_and_closes_ballots_over_a_period(app, tree, people):
    ballot = period_ballot(tree.b1, people.moderator)
    ballot_id = ballot.id
    assert schedule.run_once(app) == 0
    come(db.session.get(Ballot, ballot_id), opens_at=utcnow() - timedelta(minutes=1))
    assert schedule.run_once(app) == 1
    assert state_of(ballot_id) is BallotState.open
    come(db.session.get(Ballot, ballot_id), closes_at=utcnow() - timedelta(seconds=1))
    assert schedule.run_once(app) == 1
    db.session.rollback()
    ballot = db.session.get(Ballot, ballot_id)
    assert ballot.state is BallotState.closed and ballot.result["passed"] is False
