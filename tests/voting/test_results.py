"""Owners' ballots during and after the vote: changing a vote once (named and secret), the
non-voters rule, live participation, one extension, and the staged result — preliminary,
objections answered on the record, final — which alone decides the matter."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text

from consult.accounts.models import Role
from consult.clock import travel_to
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.notifications.models import Notification
from consult.proposals.models import Category, Proposal, ProposalState, Tier
from consult.voting import results
from consult.voting import service as voting
from consult.voting.models import (
    BallotBoxEntry,
    BallotVoter,
    Choice,
    Electorate,
    NonVoters,
    ObjectionState,
    Participation,
    ResultStage,
    Secrecy,
    VoteChanges,
)

T0 = datetime(2026, 3, 2, 1, 0)


@pytest.fixture
def moderator(tree, make_user):
    return make_user("李书记", role=Role.moderator, place=tree.fc)


@pytest.fixture
def owners(tree, make_household, make_user):
    """Four owners of 100 m² each in building 1."""
    return [make_user(f"业主{n}", household=make_household(tree.e1, f"{n}01", "100.00")) for n in range(1, 5)]


def owners_ballot(tree, moderator, *, secrecy=Secrecy.named, changes=VoteChanges.never,
                  non_voters=NonVoters.not_counted, reference=None, closes_at=None, proposal=None):
    with unit_of_work():
        b = voting.draft_ballot(tree.b1, actor=moderator, question="是否同意更换电梯？", electorate=Electorate.owners,
                                secrecy=secrecy, rule="civil_code_278", changes=changes, non_voters=non_voters,
                                non_voters_reference=reference, closes_at=closes_at, proposal=proposal)
    with unit_of_work():
        voting.open_ballot(b, actor=moderator)
    return b


def cast(b, user, choice=Choice.yes, **kw):
    with unit_of_work():
        return voting.cast(b, actor=user, choice=choice, **kw)


def close(b, moderator):
    with unit_of_work():
        voting.close_ballot(b, actor=moderator)


def voter_row(b, user):
    return db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == b.id,
                                                       BallotVoter.user_id == user.id))


# --- settings chosen when drafted --------------------------------------------------------

def test_counting_non_voters_with_the_majority_needs_the_rules_of_procedure(tree, moderator, owners):
    with force_locale("en"), pytest.raises(InvalidInput, match="rules of procedure"):
        with unit_of_work():
            voting.draft_ballot(tree.b1, actor=moderator, question="是否同意？", electorate=Electorate.owners,
                                secrecy=Secrecy.named, rule="civil_code_278", non_voters=NonVoters.with_majority)
    with force_locale("en"), pytest.raises(InvalidInput, match="Only owners"):
        with unit_of_work():
            voting.draft_ballot(tree.b1, actor=moderator, question="是否同意？", electorate=Electorate.households,
                                secrecy=Secrecy.named, rule="simple_majority", non_voters=NonVoters.with_majority,
                                non_voters_reference="第十二条")
    b = owners_ballot(tree, moderator)
    assert (b.changes, b.non_voters, b.non_voters_reference) == (VoteChanges.never, NonVoters.not_counted, None)


# --- changing a vote -----------------------------------------------------------------------

def test_a_vote_cannot_be_changed_unless_the_ballot_allows_it(tree, moderator, owners):
    b = owners_ballot(tree, moderator)
    cast(b, owners[0])
    with force_locale("en"), pytest.raises(Conflict, match="already voted"):
        cast(b, owners[0], Choice.no)
    assert voting.tally(b).of("yes").headcount == 1


def test_a_named_vote_is_changed_once_before_the_close(tree, moderator, owners):
    b = owners_ballot(tree, moderator, changes=VoteChanges.once)
    cast(b, owners[0])
    cast(b, owners[0], Choice.no)
    part = db.session.scalars(select(Participation)).one()
    assert part.choice == "no" and part.changed_at is not None
    assert (voting.tally(b).of("yes").headcount, voting.tally(b).of("no").headcount) == (0, 1)
    with force_locale("en"), pytest.raises(Conflict, match="already changed your vote once"):
        cast(b, owners[0], Choice.yes)
    close(b, moderator)
    with pytest.raises(InvalidTransition):
        cast(b, owners[1])


def test_a_secret_vote_is_changed_by_its_receipt_without_linking_voter_and_choice(app, tree, moderator, owners):
    b = owners_ballot(tree, moderator, secrecy=Secrecy.secret, changes=VoteChanges.once)
    first = cast(b, owners[0], Choice.yes)
    other = cast(b, owners[1], Choice.yes)
    # A receipt that is in no entry changes nothing, and uses up no change.
    with force_locale("en"), pytest.raises(InvalidInput, match="No vote of yours has this receipt"):
        cast(b, owners[0], Choice.no, receipt="f" * 32)
    db.session.rollback()
    assert db.session.scalars(select(Participation.changed_at)).all() == [None, None]
    fresh = cast(b, owners[0], Choice.no, receipt=first)
    assert fresh and fresh != first
    box = {e.receipt: e.choice for e in db.session.scalars(select(BallotBoxEntry))}
    assert box == {fresh: "no", other: "yes"}
    # The participation says that and when the vote changed, never what or under which receipt.
    parts = db.session.scalars(select(Participation).order_by(Participation.id)).all()
    assert [p.changed_at is not None for p in parts] == [True, False]
    assert all(p.choice is None and p.receipt is None for p in parts)
    with force_locale("en"), pytest.raises(Conflict, match="already changed"):
        cast(b, owners[0], Choice.yes, receipt=fresh)
    close(b, moderator)
    counted = voting.tally(b)
    assert (counted.of("yes").headcount, counted.of("no").headcount) == (1, 1)
    if db.engine.dialect.name == "postgresql":
        # The count rewrote the box in its own transaction: the changed entry carries
        # nothing of the transaction that changed the participation.
        box_xmins = set(db.session.scalars(text("SELECT xmin::text FROM ballot_box")))
        part_xmins = set(db.session.scalars(text("SELECT xmin::text FROM ballot_participations")))
        assert len(box_xmins) == 1 and not box_xmins & part_xmins
    else:
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        raw = open(db.engine.url.database, "rb").read()
        assert first.encode() not in raw   # the replaced entry was overwritten, not left in a free page


def test_a_secret_vote_is_not_changed_where_the_ballot_does_not_allow_it(tree, moderator, owners):
    b = owners_ballot(tree, moderator, secrecy=Secrecy.secret)
    receipt = cast(b, owners[0])
    with pytest.raises(Conflict):
        cast(b, owners[0], Choice.no, receipt=receipt)
    assert [e.choice for e in db.session.scalars(select(BallotBoxEntry))] == ["yes"]


# --- non-voters ------------------------------------------------------------------------------

def test_by_default_non_voters_are_not_counted_and_the_result_says_so(tree, moderator, owners):
    b = owners_ballot(tree, moderator)
    cast(b, owners[0])
    close(b, moderator)
    assert b.result["passed"] is False   # 1 of 4 took part
    assert "未参与表决的业主不计入多数" in b.result["explanation"]["zh_Hans"]
    assert b.result["non_voters"]["rule"] == "not_counted"


def test_non_voters_counted_with_the_majority_where_the_rules_of_procedure_say_so(tree, moderator, owners):
    b = owners_ballot(tree, moderator, non_voters=NonVoters.with_majority, reference="《议事规则》第十二条")
    cast(b, owners[0])
    cast(b, owners[1])
    cast(b, owners[2], Choice.no)
    close(b, moderator)
    r = b.result
    assert r["passed"] is True
    assert r["marks"]["yes"] == {"headcount": 3, "area": "300.00"} and r["cast"]["headcount"] == 4
    assert r["non_voters"]["added_to"] == "yes"
    with force_locale("en"):
        assert "《议事规则》第十二条" in r["explanation"]["en"] and "counted with “For”" in r["explanation"]["en"]


def test_non_voters_go_to_no_option_when_none_leads_on_both_counts(tree, moderator, owners):
    b = owners_ballot(tree, moderator, non_voters=NonVoters.with_majority, reference="第十二条")
    cast(b, owners[0])
    cast(b, owners[1], Choice.no)
    close(b, moderator)
    assert b.result["non_voters"]["added_to"] is None and b.result["passed"] is False


# --- live participation and the extension --------------------------------------------------

def test_live_participation_in_plain_words_against_each_threshold(tree, moderator, owners, make_household,
                                                                  make_user):
    make_user("业主5", household=make_household(tree.e2, "501", "100.00"))
    make_user("业主6", household=make_household(tree.e2, "502", "50.00"))
    b = owners_ballot(tree, moderator)
    for owner in owners[:2]:
        cast(b, owner)
    area, heads = results.participation(b)
    # 200 of 550 m² (36.3%, 30.4% short), 2 of 6 owners (33.3%, 33.4% short: rounded up).
    with force_locale("en"):
        assert area.sentence() == "By area: 36.3% have taken part, 30.4% short of 2/3"
        assert heads.sentence() == "By owners: 33.3% have taken part, 33.4% short of 2/3"
    with force_locale("zh_Hans"):
        assert heads.sentence() == "按人数：已参与 33.3%，还差 33.4% 达到 2/3"
    for owner in owners[2:]:
        cast(b, owner)
    with force_locale("en"):
        assert [p.met for p in results.participation(b)] == [True, True]
        assert results.participation(b)[1].sentence() == "By owners: 66.6% have taken part, reaching 2/3"


def test_a_ballot_short_of_participation_is_extended_once_within_the_limit(app, tree, moderator, owners):
    with travel_to(T0):
        b = owners_ballot(tree, moderator, closes_at=T0 + timedelta(days=7))
        cast(b, owners[0])
        with force_locale("en"), pytest.raises(InvalidInput, match="1 to 15 days"):
            with unit_of_work():
                results.extend_ballot(b, actor=moderator, days=16, reason="参与不足", config=app.config)
        with force_locale("en"), pytest.raises(InvalidInput, match="reason"):
            with unit_of_work():
                results.extend_ballot(b, actor=moderator, days=5, reason=" ", config=app.config)
        with unit_of_work():
            results.extend_ballot(b, actor=moderator, days=15, reason="参与人数不足三分之二", config=app.config)
        assert b.closes_at == T0 + timedelta(days=22) and b.first_closes_at == T0 + timedelta(days=7)
        told = db.session.scalars(select(Notification).where(Notification.kind == "ballot.extended")).all()
        assert {n.user_id for n in told} == {o.id for o in owners}
        with force_locale("en"), pytest.raises(Conflict, match="extended once already"):
            with unit_of_work():
                results.extend_ballot(b, actor=moderator, days=1, reason="再延", config=app.config)


def test_a_ballot_that_reaches_participation_is_not_extended(app, tree, moderator, owners):
    with travel_to(T0):
        b = owners_ballot(tree, moderator, closes_at=T0 + timedelta(days=7))
        for owner in owners[:3]:
            cast(b, owner)
        with force_locale("en"), pytest.raises(InvalidInput, match="already reaches"):
            with unit_of_work():
                results.extend_ballot(b, actor=moderator, days=3, reason="多给时间", config=app.config)
        resident = owners[3]
        with pytest.raises(NotAllowed):
            with unit_of_work():
                results.extend_ballot(b, actor=resident, days=3, reason="多给时间", config=app.config)


# --- the staged result -------------------------------------------------------------------------

@pytest.fixture
def proposal(tree, owners):
    p = Proposal(place=tree.b1, author=owners[0], title="更换电梯", body="……", state=ProposalState.accepted,
                 tier=Tier.circle, category=db.session.scalars(select(Category)).first())
    db.session.add(p)
    db.session.commit()
    return p


def test_the_preliminary_result_decides_nothing_the_final_one_does(app, tree, moderator, owners, proposal,
                                                                   make_user):
    with travel_to(T0):
        b = owners_ballot(tree, moderator, proposal=proposal)
        cast(b, owners[0])
        cast(b, owners[1])
        cast(b, owners[2], Choice.no)
        close(b, moderator)
    assert b.stage is ResultStage.preliminary and b.objections_until == T0 + timedelta(days=7)
    assert b.result["passed"] is True   # 3 of 4 took part, 2 of 3 in favour
    db.session.refresh(proposal)
    assert proposal.state is not ProposalState.decided
    kinds = {n.kind for n in db.session.scalars(select(Notification))}
    assert "ballot.preliminary" in kinds and "ballot.closed" not in kinds
    assert [e.rooms for e in results.entries(b)] == ["1单元 101", "1单元 201", "1单元 301"]

    # An owner objects to an entry: the paper says the second owner voted against.
    stranger = make_user("外人")
    second = voter_row(b, owners[1])
    with travel_to(T0 + timedelta(days=1)):
        with pytest.raises(NotAllowed):
            with unit_of_work():
                results.object_to(b, second, actor=stranger, reason="不对")
        with unit_of_work():
            objection = results.object_to(b, second, actor=owners[3], reason="该户书面表决为反对")
        assert not results.is_due(b)
    with travel_to(T0 + timedelta(days=8)):
        # The period is over, but an objection awaits its answer: nothing is final yet.
        assert not results.finalize_is_due() and results.finalize_due() == 0
        with pytest.raises(InvalidTransition):
            with unit_of_work():
                results.finalize(b)
        with unit_of_work():
            results.answer_objection(objection, actor=moderator, upheld=True, answer="核对纸质表决票，确为反对",
                                     correction={"choice": "no"})
        assert objection.state is ObjectionState.upheld and objection.correction == {"choice": "no"}
        assert results.finalize_is_due()
        with unit_of_work():
            assert results.finalize_due() == 1
    assert b.stage is ResultStage.final
    final = b.final_result
    # Recounted: 1 for and 2 against of 3: not adopted; the preliminary result is kept as it was.
    assert final["passed"] is False and b.result["passed"] is True and final["preliminary_passed"] is True
    assert final["marks"]["no"]["headcount"] == 2
    assert final["corrections"] == [{"entry": "1单元 201", "correction": "计为：反对",
                                     "reason": "核对纸质表决票，确为反对"}]
    assert "1 条记录经异议更正" in final["explanation"]["zh_Hans"]
    db.session.refresh(proposal)
    assert proposal.state is not ProposalState.decided and proposal.events[-1].action == "ballot_failed"
    kinds = {n.kind for n in db.session.scalars(select(Notification))}
    assert {"ballot.objection", "ballot.objection_answered", "ballot.final"} <= kinds
    with pytest.raises(InvalidTransition):
        with unit_of_work():
            results.object_to(b, second, actor=owners[3], reason="再议")


def test_the_final_result_decides_the_matter(app, tree, moderator, owners, proposal):
    with travel_to(T0):
        b = owners_ballot(tree, moderator, proposal=proposal)
        for owner in owners[:3]:
            cast(b, owner)
        close(b, moderator)
    with travel_to(T0 + timedelta(days=6, hours=23)):
        assert results.finalize_due() == 0
    with travel_to(T0 + timedelta(days=7)):
        with unit_of_work():
            assert results.finalize_due() == 1
    db.session.refresh(proposal)
    assert proposal.state is ProposalState.decided and b.final_result["passed"] is True
    # The archive keeps the final result, with the preliminary one beside it.
    import json
    import zipfile

    from consult.minutes.archive import export_zip

    path = export_zip(b.place, app.config)
    try:
        record = next(r for r in json.loads(zipfile.ZipFile(path).read("ballots.json")) if r["id"] == b.id)
    finally:
        path.unlink()
    assert record["stage"] == "final" and record["result"] == b.final_result
    assert record["preliminary_result"] == b.result


def test_a_rejected_objection_and_a_voided_entry(app, tree, moderator, owners):
    with travel_to(T0):
        b = owners_ballot(tree, moderator)
        for owner in owners:
            cast(b, owner)
        close(b, moderator)
        with unit_of_work():
            rejected = results.object_to(b, voter_row(b, owners[0]), actor=owners[1], reason="面积不对")
            voided = results.object_to(b, voter_row(b, owners[2]), actor=owners[1], reason="该户已出售，非业主投票")
        with unit_of_work():
            results.answer_objection(rejected, actor=moderator, upheld=False, answer="面积与不动产登记一致")
            results.answer_objection(voided, actor=moderator, upheld=True, answer="经核实属实",
                                     correction={"void": True})
        with force_locale("en"), pytest.raises(Conflict, match="answered already"):
            with unit_of_work():
                results.answer_objection(rejected, actor=moderator, upheld=True, answer="改判")
    with travel_to(T0 + timedelta(days=7)):
        with unit_of_work():
            results.finalize(b)
    assert rejected.correction is None
    assert b.final_result["cast"] == {"headcount": 3, "area": "300.00"}


def test_a_secret_ballots_entries_are_not_corrected_one_by_one(app, tree, moderator, owners):
    with travel_to(T0):
        b = owners_ballot(tree, moderator, secrecy=Secrecy.secret)
        cast(b, owners[0])
        close(b, moderator)
        assert [e.choice for e in results.entries(b)] == [None]
        with unit_of_work():
            objection = results.object_to(b, voter_row(b, owners[0]), actor=owners[1], reason="不是本人投票")
        with force_locale("en"), pytest.raises(InvalidInput, match="secret"):
            with unit_of_work():
                results.answer_objection(objection, actor=moderator, upheld=True, answer="属实",
                                         correction={"void": True})
        with unit_of_work():
            results.answer_objection(objection, actor=moderator, upheld=True, answer="属实，将重新表决")
    assert objection.state is ObjectionState.upheld and objection.correction is None


def test_other_ballots_still_decide_at_the_close(tree, moderator, make_household, make_user):
    make_user("王秀英", household=make_household(tree.e1, "101"))
    with unit_of_work():
        b = voting.draft_ballot(tree.b1, actor=moderator, question="是否加装电梯？", electorate=Electorate.households,
                                secrecy=Secrecy.named, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(b, actor=moderator)
    close(b, moderator)
    assert b.stage is None and "non_voters" not in b.result
    assert not results.is_due(b)
    assert Decimal(b.result["eligible"]["area"]) == Decimal("88.50")
