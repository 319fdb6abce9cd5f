"""The register checked in public before an owners' ballot opens, and the ballot counting it."""
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.errors import InvalidTransition, NotAllowed
from consult.extensions import db
from consult.owners import service as owners
from consult.owners.models import ObjectionState
from consult.places.models import HouseholdMember, Relation
from consult.voting import service as voting
from consult.voting.models import BallotState, BallotVoter, Choice

from .conftest import T0, draft


def publish(ballot, moderator):
    with unit_of_work():
        return owners.publish_register(ballot, actor=moderator)


def announce(ballot, moderator):
    with unit_of_work():
        return owners.publish_notice(ballot, actor=moderator, matter="更换1号楼两部电梯，费用从维修资金支出。")


def test_register_lists_every_unit_with_its_area_and_voting_owner(tree, moderator, building):
    ballot = draft(tree, moderator)
    register = publish(ballot, moderator)
    entries = {e.household.room: (e.area, e.owner_id) for e in register.entries}
    assert entries == {"101": (Decimal("80.00"), building.owners[0].id), "102": (Decimal("90.00"), building.owners[1].id),
                       "201": (Decimal("100.00"), building.owners[2].id), "202": (Decimal("50.00"), None)}
    assert register.check_until == T0 + timedelta(days=7)


def test_owner_reads_own_entry_in_full_and_others_masked(tree, moderator, building):
    ballot = draft(tree, moderator)
    register = publish(ballot, moderator)
    rows = {r["room"]: r for r in owners.entry_rows(register, building.owners[0])}
    assert rows["101"]["own"] and rows["101"]["owner"] == "王秀英"
    assert not rows["102"]["full"] and rows["102"]["owner"] == "赵**"


def test_opening_is_refused_before_the_register_is_frozen(tree, moderator, building):
    ballot = draft(tree, moderator)
    with force_locale("en"), pytest.raises(InvalidTransition, match="Publish the owner register"):
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
    publish(ballot, moderator)
    with force_locale("en"), pytest.raises(InvalidTransition, match="published for checking until"):
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
    assert ballot.state is BallotState.draft


def test_an_open_objection_keeps_the_register_unfrozen_until_settled(tree, moderator, administrator, building):
    ballot = draft(tree, moderator)
    register = publish(ballot, moderator)
    entry = next(e for e in register.entries if e.household.room == "102")
    with unit_of_work():
        objection = owners.object_to(entry, actor=building.owners[0], reason="102的面积应为86.20平方米")
    announce(ballot, moderator)
    clock.set_now(T0 + timedelta(days=20))
    assert not owners.freeze(register)
    with force_locale("en"), pytest.raises(InvalidTransition, match="objection to the owner register is still open"):
        with unit_of_work():
            voting.open_ballot(ballot, actor=moderator)
    with unit_of_work():
        owners.settle(objection, actor=administrator, upheld=True, answer="与不动产权证核对一致", area="86.20")
    assert objection.state is ObjectionState.upheld and objection.change == {"area": ["90.00", "86.20"]}
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    assert register.frozen_at is not None
    areas = {v.user_id: v.area for v in db.session.scalars(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id))}
    assert areas == {building.owners[0].id: Decimal("80.00"), building.owners[1].id: Decimal("86.20"),
                     building.owners[2].id: Decimal("100.00")}


def test_only_an_administrator_settles_and_only_with_a_reason(tree, moderator, administrator, building):
    ballot = draft(tree, moderator)
    register = publish(ballot, moderator)
    with unit_of_work():
        objection = owners.object_to(register.entries[0], actor=building.owners[1], reason="户主已变更")
    with pytest.raises(NotAllowed):
        with unit_of_work():
            owners.settle(objection, actor=moderator, upheld=False, answer="无依据")
    with force_locale("en"), pytest.raises(Exception, match="reason for the decision"):
        with unit_of_work():
            owners.settle(objection, actor=administrator, upheld=False, answer=" ")
    with unit_of_work():
        owners.settle(objection, actor=administrator, upheld=False, answer="户主未变更，产权证为证")
    assert objection.state is ObjectionState.rejected and register.entries[0].owner_id == building.owners[0].id


def test_objections_only_by_owners_and_within_the_period(tree, moderator, building, make_user):
    ballot = draft(tree, moderator)
    register = publish(ballot, moderator)
    tenant = make_user("租户", household=building.units[3], relation=Relation.tenant)
    with pytest.raises(NotAllowed):
        with unit_of_work():
            owners.object_to(register.entries[0], actor=tenant, reason="不对")
    clock.set_now(T0 + timedelta(days=7))
    with force_locale("en"), pytest.raises(InvalidTransition, match="check period"):
        with unit_of_work():
            owners.object_to(register.entries[0], actor=building.owners[0], reason="不对")


def test_the_frozen_register_counts_and_a_new_owner_cannot_vote_for_a_counted_unit(tree, moderator, building,
                                                                                    make_user):
    ballot = draft(tree, moderator)
    publish(ballot, moderator)
    announce(ballot, moderator)
    clock.set_now(T0 + timedelta(days=8))
    assert owners.freeze_due() == 1
    # Unit 101 is sold after the register froze: the buyer becomes its owner and voter.
    seller = building.owners[0]
    membership = db.session.scalar(select(HouseholdMember).where(HouseholdMember.user_id == seller.id))
    db.session.delete(membership)
    db.session.flush()
    buyer = make_user("新业主")
    db.session.add(HouseholdMember(household=building.units[0], user=buyer, relation=Relation.owner,
                                   is_designated_voter=True))
    db.session.commit()
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    with pytest.raises(NotAllowed):
        with unit_of_work():
            voting.cast(ballot, actor=buyer, choice=Choice.yes)
    with unit_of_work():
        assert voting.cast(ballot, actor=seller, choice=Choice.yes)
    assert voting.tally(ballot).eligible.headcount == 3


def test_voting_for_a_unit_one_does_not_own_is_impossible(tree, moderator, building, make_user):
    ballot = draft(tree, moderator)
    publish(ballot, moderator)
    announce(ballot, moderator)
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    family = make_user("家属", household=building.units[0], relation=Relation.family)
    for person in (family, make_user("外人")):
        with pytest.raises(NotAllowed):
            with unit_of_work():
                voting.cast(ballot, actor=person, choice=Choice.yes)
    assert voting.turnout(ballot).headcount == 0
