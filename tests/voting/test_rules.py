"""The counting rules at their bounds: exact fractions, both counts of art. 278."""
from decimal import Decimal
from fractions import Fraction

import pytest

from consult.voting.rules import RULES, Count, Tally, share

D = Decimal


def owners(eligible, for_, against, abstain=0, *, area_eligible=None, area_for=None, area_against=None,
           area_abstain=D("0")):
    """A tally where every owner has 100 m² unless areas are given."""
    return Tally.yes_no(
        eligible, for_, against, abstain,
        eligible_area=area_eligible if area_eligible is not None else D(100) * eligible,
        for_area=area_for if area_for is not None else D(100) * for_,
        against_area=area_against if area_against is not None else D(100) * against,
        abstain_area=area_abstain if abstain == 0 else D(100) * abstain)


@pytest.mark.parametrize("for_, against, abstain, passed", [
    (51, 49, 0, True), (50, 50, 0, False), (50, 49, 1, False), (1, 0, 0, True), (0, 0, 0, False),
])
def test_simple_majority_excludes_the_half(app, for_, against, abstain, passed):
    assert RULES["simple_majority"].decide(Tally.yes_no(100, for_, against, abstain)).passed is passed


@pytest.mark.parametrize("for_, cast, passed", [(2, 3, True), (66, 100, False), (67, 100, True), (200, 300, True)])
def test_two_thirds_includes_the_bound(app, for_, cast, passed):
    assert RULES["two_thirds"].decide(Tally.yes_no(cast, for_, cast - for_, 0)).passed is passed


def test_278_participation_at_exactly_two_thirds_counts(app):
    # 9 owners, 6 take part (exactly 2/3 of people and of area), 4 of 6 in favour
    outcome = RULES["civil_code_278"].decide(owners(9, 4, 2))
    assert outcome.passed and [c.met for c in outcome.checks] == [True, True, True, True]


def test_278_participation_just_under_two_thirds_fails(app):
    outcome = RULES["civil_code_278"].decide(owners(100, 60, 6))  # 66 of 100 owners
    assert not outcome.passed and not outcome.checks[1].met


def test_278_approval_at_exactly_half_fails(app):
    outcome = RULES["civil_code_278"].decide(owners(9, 3, 3))  # 3 of 6 participating: not more than half
    assert not outcome.passed and not outcome.checks[3].met


def test_278_just_over_a_third_of_all_owners_passes_an_ordinary_matter(app):
    # 300 owners: 200 take part (2/3), 101 in favour (> 1/2 of 200), i.e. 33.7% of all owners
    outcome = RULES["civil_code_278"].decide(owners(300, 101, 99))
    assert outcome.passed
    assert share(101, 300) < Fraction(34, 100)


def test_278_both_counts_are_needed(app):
    # Most owners are for, but the large flats are against: area in favour is not over half.
    tally = Tally.yes_no(6, 4, 2, 0, eligible_area=D("600.00"), for_area=D("200.00"), against_area=D("400.00"))
    outcome = RULES["civil_code_278"].decide(tally)
    assert not outcome.passed
    assert [c.met for c in outcome.checks] == [True, True, False, True]


@pytest.mark.parametrize("for_, against, passed", [(3, 1, True), (74, 26, False), (75, 25, True)])
def test_278_special_matter_needs_three_quarters_inclusive(app, for_, against, passed):
    assert RULES["civil_code_278_special"].decide(owners(for_ + against, for_, against)).passed is passed


def test_areas_are_exact_decimals(app):
    # 1/3 of an area with cents: no float could say whether 2/3 is reached exactly.
    tally = Tally.yes_no(3, 2, 0, 0, eligible_area=D("100.02"), for_area=D("66.68"))
    outcome = RULES["civil_code_278"].decide(tally)
    assert outcome.checks[0].value == Fraction(6668, 10002) == Fraction(2, 3)
    assert outcome.checks[0].met


def test_explanation_reads_plainly_and_never_rounds_up(app):
    outcome = RULES["civil_code_278"].decide(owners(300, 101, 98))  # 199 of 300 take part: 66.33%
    text = outcome.explanation()
    assert "66.3%，未达到 2/3" in text and "；" in text
    assert not outcome.passed


def test_explanation_in_chinese(app):
    with app.test_request_context():
        text = RULES["civil_code_278"].decide(owners(9, 4, 2)).explanation()
    assert text.startswith("参与面积 66.6%，达到 2/3；参与人数 66.6%，达到 2/3；同意面积 66.6%，超过 1/2")


def choices(eligible, marks, *, area=D(100)):
    """A choice ballot where every owner has ``area`` m² and casts one mark."""
    cast = sum(marks.values())
    return Tally(Count(eligible, area * eligible), Count(cast, area * cast),
                 {key: Count(n, area * n) for key, n in marks.items()})


OPTIONS = {"1": "甲物业", "2": "乙物业", "3": "丙物业"}


def test_plurality_picks_the_most_votes(app):
    outcome = RULES["plurality"].decide(choices(100, {"1": 30, "2": 41, "3": 12}), options=OPTIONS)
    assert outcome.passed and outcome.winners == ["2"]
    assert "“乙物业”：41 票" in outcome.explanation()


def test_plurality_tie_for_the_last_seat_elects_nobody_to_it(app):
    outcome = RULES["plurality"].decide(choices(100, {"1": 30, "2": 20, "3": 20}), options=OPTIONS, seats=2)
    assert outcome.winners == ["1"]
    assert "乙物业、丙物业" in outcome.explanation()


def test_278_choice_needs_more_than_half_of_participants_for_one_option(app):
    # 90 of 120 owners take part (3/4); 46 of 90 choose 甲 (> 1/2): adopted.
    outcome = RULES["civil_code_278_choice"].decide(choices(120, {"1": 46, "2": 30, "3": 14}), options=OPTIONS)
    assert outcome.passed and outcome.winners == ["1"]
    # 45 of 90 is exactly half: nobody is adopted.
    outcome = RULES["civil_code_278_choice"].decide(choices(120, {"1": 45, "2": 30, "3": 15}), options=OPTIONS)
    assert not outcome.passed and outcome.winners == []


def test_278_choice_without_participation_adopts_nothing(app):
    outcome = RULES["civil_code_278_choice"].decide(choices(120, {"1": 70, "2": 9}), options=OPTIONS)
    assert not outcome.passed and not outcome.checks[0].met
