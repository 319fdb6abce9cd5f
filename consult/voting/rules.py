"""Counting rules: a small registry of methods that decide a ballot exactly (``Fraction``
for shares, ``Decimal`` for floor areas) and with an explanation a resident can check.

The Civil Code art. 278 rule counts twice, by area and by headcount: participation needs
at least 2/3 of the total exclusive area *and* at least 2/3 of all owners; approval needs
more than 1/2 of the participating area *and* headcount, or at least 3/4 of both for the
special matters (raising the maintenance fund; rebuilding or altering the building;
changing the use of common parts or running a business on them).

For/against/abstain ballots are counted under the keys ``yes``, ``no`` and ``abstain``;
choice ballots under their option numbers ``"1"``, ``"2"`` … (``abstain`` is a blank vote;
``none``, "none of these", a vote cast against every option: it counts in the participation
and in the share every option needs, and is never adopted).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

from ..i18n import sentences, system_words

ZERO_AREA = Decimal("0")
YES, NO, ABSTAIN = "yes", "no", "abstain"
NONE = "none"   # "none of these": a vote against every option; never adopted itself


@dataclass(frozen=True)
class Count:
    headcount: int = 0
    area: Decimal = ZERO_AREA


@dataclass(frozen=True)
class Tally:
    """What the count found. ``eligible`` is the electorate snapshotted when the ballot
    opened, ``cast`` the votes (a blank or abstaining vote is cast), ``marks`` the count
    per option — on a multiple-choice ballot one vote marks several options."""

    eligible: Count
    cast: Count
    marks: dict[str, Count] = field(default_factory=dict)

    def of(self, key: str) -> Count:
        return self.marks.get(key, Count())

    @classmethod
    def yes_no(cls, eligible: int, for_: int, against: int, abstain: int = 0, *,
               eligible_area: Decimal = ZERO_AREA, for_area: Decimal = ZERO_AREA,
               against_area: Decimal = ZERO_AREA, abstain_area: Decimal = ZERO_AREA) -> "Tally":
        return cls(Count(eligible, eligible_area),
                   Count(for_ + against + abstain, for_area + against_area + abstain_area),
                   {YES: Count(for_, for_area), NO: Count(against, against_area),
                    ABSTAIN: Count(abstain, abstain_area)})


def share(part, whole) -> Fraction:
    """An exact share; nothing of nothing is 0."""
    whole = Fraction(whole)
    return Fraction(part) / whole if whole else Fraction(0)


def percent(value: Fraction) -> Decimal:
    """For display, rounded down: a share is never shown higher than it is."""
    return (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_DOWN)


def words(key: str, **numbers) -> dict:
    """The system's words as a key with its numbers (``i18n.SYSTEM_WORDS``)."""
    return {"key": key, **numbers}


@dataclass(frozen=True)
class Check:
    label: dict            # words: {"key": "participating_area"}
    value: Fraction
    bound: Fraction
    inclusive: bool        # True: value ≥ bound; False: value > bound

    @property
    def met(self) -> bool:
        return self.value >= self.bound if self.inclusive else self.value > self.bound

    def said(self) -> dict:
        return words("check", what=self.label, value=str(percent(self.value)),
                     bound=f"{self.bound.numerator}/{self.bound.denominator}", inclusive=self.inclusive,
                     met=self.met)

    def explain(self) -> str:
        """In words, not signs: "参与面积 2.1%，未达到 2/3"."""
        return system_words(self.said())


@dataclass(frozen=True)
class Outcome:
    passed: bool
    checks: list[Check] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)   # choice ballots: the options adopted
    notes: list[dict] = field(default_factory=list)    # words: {"key": "tied", "options": […]}

    def said(self) -> list[dict]:
        """The explanation as it is stored: the system's words, worded for each reader."""
        return [check.said() for check in self.checks] + list(self.notes)

    def explanation(self) -> str:
        return explain(self.said())


def explain(said) -> str:
    """A frozen explanation in the reader's language: the stored words (a list), or, for a
    ballot closed before they were stored, the text kept per language."""
    if isinstance(said, list):
        return sentences(system_words(w) for w in said)
    if isinstance(said, dict):
        from flask_babel import get_locale

        return said.get(str(get_locale())) or next(iter(said.values()), "")
    return str(said or "")


class CountingRule(ABC):
    key = ""
    label = None
    by_area = False
    for_choices = False   # False: for/against/abstain ballots; True: choice ballots

    @abstractmethod
    def decide(self, tally: Tally, *, options: dict[str, str] | None = None, seats: int = 1) -> Outcome:
        """Whether the ballot passed (and which options won), with every check that decided
        it. ``options`` maps option keys to their labels; ``seats`` is how many may win."""


class SimpleMajority(CountingRule):
    """More votes for than half of the votes cast (abstentions are cast votes)."""

    key = "simple_majority"
    label = _l("Simple majority of votes cast")

    def decide(self, tally, *, options=None, seats=1):
        check = Check(words("votes_for"), share(tally.of(YES).headcount, tally.cast.headcount), Fraction(1, 2), False)
        return Outcome(check.met, [check])


class TwoThirds(CountingRule):
    key = "two_thirds"
    label = _l("Two-thirds of votes cast")

    def decide(self, tally, *, options=None, seats=1):
        check = Check(words("votes_for"), share(tally.of(YES).headcount, tally.cast.headcount), Fraction(2, 3), True)
        return Outcome(check.met, [check])


def participation_checks(tally: Tally) -> list[Check]:
    """The participation thresholds of art. 278 (2/3 of the area and of the owners)."""
    return _participation(tally)


def counted_with_majority(tally: Tally) -> tuple[Tally, str | None]:
    """Where the owners' rules of procedure say so, the owners who did not vote are
    counted with the majority of those who did: they take part, and their headcount and
    area go to the option that leads by area *and* by headcount (a blank vote leads
    nothing). When no option leads on both, nothing is added. Returns the tally and the
    key the non-voters went to (or None)."""
    absent = Count(tally.eligible.headcount - tally.cast.headcount, tally.eligible.area - tally.cast.area)
    options = [key for key in tally.marks if key != ABSTAIN]
    if absent.headcount <= 0 or not options:
        return tally, None
    by_area = sorted(options, key=lambda k: tally.of(k).area, reverse=True)
    by_head = sorted(options, key=lambda k: tally.of(k).headcount, reverse=True)
    leader = by_area[0]
    if by_head[0] != leader or (len(options) > 1 and (tally.of(by_area[1]).area == tally.of(leader).area or
                                                      tally.of(by_head[1]).headcount == tally.of(leader).headcount)):
        return tally, None
    marks = dict(tally.marks)
    marks[leader] = Count(tally.of(leader).headcount + absent.headcount, tally.of(leader).area + absent.area)
    return Tally(tally.eligible, Count(tally.eligible.headcount, tally.eligible.area), marks), leader


def _participation(tally: Tally) -> list[Check]:
    return [
        Check(words("participating_area"), share(tally.cast.area, tally.eligible.area), Fraction(2, 3), True),
        Check(words("participating_owners"), share(tally.cast.headcount, tally.eligible.headcount),
              Fraction(2, 3), True),
    ]


class CivilCode278(CountingRule):
    """Art. 278, ordinary matters: > 1/2 of the participating area and owners."""

    key = "civil_code_278"
    label = _l("Owners' decision (Civil Code art. 278), ordinary matter")
    by_area = True
    approval = Fraction(1, 2)
    approval_inclusive = False

    def decide(self, tally, *, options=None, seats=1):
        checks = _participation(tally) + [
            Check(words("area_in_favour"), share(tally.of(YES).area, tally.cast.area), self.approval,
                  self.approval_inclusive),
            Check(words("owners_in_favour"), share(tally.of(YES).headcount, tally.cast.headcount), self.approval,
                  self.approval_inclusive),
        ]
        return Outcome(all(c.met for c in checks), checks)


class CivilCode278Special(CivilCode278):
    """Art. 278, special matters: ≥ 3/4 of the participating area and owners."""

    key = "civil_code_278_special"
    label = _l("Owners' decision (Civil Code art. 278), special matter")
    approval = Fraction(3, 4)
    approval_inclusive = True


def _top(candidates: list[str], score, seats: int) -> tuple[list[str], list[str]]:
    """The ``seats`` best candidates by ``score``; those tied across the last seat win
    nothing and are returned second, for the moderator to settle by a new round."""
    ranked = sorted(candidates, key=score, reverse=True)
    if len(ranked) <= seats:
        return ranked, []
    cutoff = score(ranked[seats - 1])
    if score(ranked[seats]) == cutoff:
        return [c for c in ranked if score(c) > cutoff], [c for c in ranked if score(c) == cutoff]
    return ranked[:seats], []


class Plurality(CountingRule):
    """Elections and choices among options: the options with the most votes win, as many
    as there are seats."""

    key = "plurality"
    label = _l("Most votes (choice among options)")
    for_choices = True

    def decide(self, tally, *, options=None, seats=1):
        options = options or {}
        voted = [key for key in options if tally.of(key).headcount > 0 and key != NONE]
        winners, tied = _top(voted, lambda key: tally.of(key).headcount, seats)
        notes = [words("option_votes", option=options[key], n=tally.of(key).headcount) for key in options]
        if tied:
            notes.append(words("tied", options=[options[k] for k in tied]))
        if NONE in options and winners and tally.of(NONE).headcount >= max(tally.of(k).headcount for k in winners):
            winners = []
            notes.append(words("none_adopted", option=options[NONE]))
        return Outcome(bool(winners), [], winners, notes)


class CivilCode278Choice(CountingRule):
    """Art. 278 for a choice among options (e.g. choosing a property company): the
    participation of an ordinary matter, and an option is adopted with more than half of
    the participating area and owners."""

    key = "civil_code_278_choice"
    label = _l("Owners' decision (Civil Code art. 278), choice among options")
    by_area = True
    for_choices = True

    def decide(self, tally, *, options=None, seats=1):
        options = options or {}
        checks = _participation(tally)
        qualified = []
        for key, label in options.items():
            by_area = Check(words("area_for_option", option=label), share(tally.of(key).area, tally.cast.area),
                            Fraction(1, 2), False)
            by_owners = Check(words("owners_for_option", option=label),
                              share(tally.of(key).headcount, tally.cast.headcount), Fraction(1, 2), False)
            checks += [by_area, by_owners]
            if by_area.met and by_owners.met and key != NONE:
                qualified.append(key)
        participated = all(c.met for c in checks[:2])
        winners, tied = _top(qualified, lambda key: (tally.of(key).area, tally.of(key).headcount), seats)
        notes = []
        if tied:
            notes.append(words("tied", options=[options[k] for k in tied]))
        winners = winners if participated else []
        return Outcome(bool(winners), checks, winners, notes)


RULES: dict[str, CountingRule] = {rule.key: rule for rule in (
    SimpleMajority(), TwoThirds(), CivilCode278(), CivilCode278Special(), Plurality(), CivilCode278Choice())}
