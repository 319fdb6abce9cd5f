"""Property certificates bind owners to their units; owners' choices always offer "none of
these"; a for/against question offers for, against and abstain."""
from datetime import timedelta

import pytest
from flask_babel import force_locale

from consult import clock
from consult.database import unit_of_work
from consult.errors import InvalidInput, NotAllowed
from consult.owners import service as owners
from consult.owners.models import ClaimState
from consult.places.importer import import_households
from consult.voting import service as voting
from consult.voting.models import BallotKind, Choice
from consult.voting.rules import RULES, Tally, Count

from .conftest import T0, draft


def test_importer_reads_the_certificate_number(tree, administrator):
    data = "楼栋,单元,房号,面积,业主姓名,手机号,不动产权证号\n1号楼,1单元,301,88.00,孙业主,13711112222,京(2020)朝阳区不动产权第0012345号\n"
    with unit_of_work():
        import_households(tree.north, "list.csv", data.encode(), actor=administrator)
    unit = next(h for h in tree.e1.households if h.room == "301")
    assert unit.certificate_number == "京(2020)朝阳区不动产权第0012345号"


def test_a_matching_certificate_is_approved_and_binds_the_owner(app, tree, moderator, building):
    app.config["OWNERS_CERTIFICATE_BINDING"] = True
    unit, owner = building.units[0], building.owners[0]
    unit.certificate_number = "京(2020)朝阳区不动产权第0000101号"
    with unit_of_work():
        wrong = owners.claim_certificate(unit, actor=owner, number="京(2020)朝阳区不动产权第9999999号")
    assert not wrong.matches
    with force_locale("en"), pytest.raises(InvalidInput, match="does not match"):
        with unit_of_work():
            owners.review_claim(wrong, actor=moderator, approve=True)
    with unit_of_work():
        owners.review_claim(wrong, actor=moderator, approve=False)
    with unit_of_work():
        claim = owners.claim_certificate(unit, actor=owner, number=" 京(2020)朝阳区不动产权第0000101号 ")
    assert claim.matches
    with unit_of_work():
        owners.review_claim(claim, actor=moderator, approve=True)
    assert claim.state is ClaimState.approved


def test_a_non_owner_cannot_claim_a_unit(app, tree, building):
    app.config["OWNERS_CERTIFICATE_BINDING"] = True
    with pytest.raises(NotAllowed):
        with unit_of_work():
            owners.claim_certificate(building.units[0], actor=building.owners[1], number="X1")


def test_with_binding_an_unbound_owner_votes_on_paper_only(app, tree, moderator, building):
    app.config["OWNERS_CERTIFICATE_BINDING"] = True
    unit, owner = building.units[0], building.owners[0]
    unit.certificate_number = "C-101"
    with unit_of_work():
        claim = owners.claim_certificate(unit, actor=owner, number="C-101")
    with unit_of_work():
        owners.review_claim(claim, actor=moderator, approve=True)
    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    with unit_of_work():
        assert voting.cast(ballot, actor=owner, choice=Choice.yes)
    with pytest.raises(NotAllowed):
        with unit_of_work():
            voting.cast(ballot, actor=building.owners[1], choice=Choice.yes)
    assert voting.electorate_size(ballot).headcount == 3   # the unbound still count, on paper


def test_yes_no_offers_for_against_and_abstain(tree, moderator, building):
    ballot = draft(tree, moderator)
    assert list(ballot.choices()) == ["yes", "no", "abstain"]


def test_a_choice_among_options_always_offers_none_of_these(tree, moderator, building):
    ballot = draft(tree, moderator, kind=BallotKind.single, options=["甲物业公司", "乙物业公司"],
                   rule="civil_code_278_choice")
    assert list(ballot.choices().values()) == ["甲物业公司", "乙物业公司", "以上都不选"]
    assert "none" in ballot.choices()


def test_none_of_these_cannot_be_marked_with_an_option(tree, moderator, building):
    ballot = draft(tree, moderator, kind=BallotKind.multiple, options=["甲", "乙", "丙"], rule="plurality")
    ballot.max_choices = 2
    with force_locale("en"), pytest.raises(InvalidInput, match="None of these"):
        voting.marks_of(ballot, ["1", "none"])
    assert voting.marks_of(ballot, ["none"]) == "none"


def test_civil_code_278_choice_never_adopts_none_of_these():
    options = {"1": "甲", "2": "乙", "none": "以上都不选"}
    tally = Tally(Count(10, 1000), Count(9, 900), {"1": Count(2, 200), "2": Count(1, 100), "none": Count(6, 600)})
    outcome = RULES["civil_code_278_choice"].decide(tally, options=options)
    assert not outcome.passed and outcome.winners == []
    assert RULES["plurality"].decide(tally, options=options).winners == []
    tally = Tally(Count(10, 1000), Count(9, 900), {"1": Count(6, 600), "2": Count(1, 100), "none": Count(2, 200)})
    assert RULES["civil_code_278_choice"].decide(tally, options=options).winners == ["1"]
