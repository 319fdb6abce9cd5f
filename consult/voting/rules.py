"""Counting rules: a small registry of methods that decide whether a for/against/abstain
ballot passed, exactly (``Fraction`` for shares, ``Decimal`` for floor areas) and with an
explanation a resident can check.

The Civil Code art. 278 rule counts twice, by area and by headcount: participation needs
at least 2/3 of the total exclusive area *and* at least 2/3 of all owners; approval needs
more than 1/2 of the participating area *and* headcount, or at least 3/4 of both for the
special matters (raising the maintenance fund; rebuilding or altering the building;
changing the use of common parts or running a business on them).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

ZERO_AREA = Decimal("0")


@dataclass(frozen=True)
class Tally:
    """What the count found. Areas in m² as Decimal; headcounts as integers. ``eligible_*``
    are the electorate snapshotted when the ballot opened."""

    eligible_headcount: int
    for_headcount: int
    against_headcount: int
    abstain_headcount: int
    eligible_area: Decimal = ZERO_AREA
    for_area: Decimal = ZERO_AREA
    against_area: Decimal = ZERO_AREA
    abstain_area: Decimal = ZERO_AREA

    @property
    def cast_headcount(self) -> int:
        return self.for_headcount + self.against_headcount + self.abstain_headcount

    @property
    def cast_area(self) -> Decimal:
        return self.for_area + self.against_area + self.abstain_area


def share(part, whole) -> Fraction:
    """An exact share; nothing of nothing is 0."""
    whole = Fraction(whole)
    return Fraction(part) / whole if whole else Fraction(0)


@dataclass(frozen=True)
class Check:
    label: object          # lazy translated: "participating area"
    value: Fraction
    bound: Fraction
    inclusive: bool        # True: value ≥ bound; False: value > bound

    @property
    def met(self) -> bool:
        return self.value >= self.bound if self.inclusive else self.value > self.bound

    def explain(self) -> str:
        percent = (Decimal(self.value.numerator) * 100 / Decimal(self.value.denominator)).quantize(
            Decimal("0.1"), rounding=ROUND_DOWN)  # shown never higher than it is
        sign = "≥" if self.inclusive else ">"
        bound = f"{self.bound.numerator}/{self.bound.denominator}"
        return f"{self.label} {percent}% {sign} {bound} {'✓' if self.met else '✗'}"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    checks: list[Check] = field(default_factory=list)

    def explanation(self) -> str:
        return "；".join(check.explain() for check in self.checks)


class CountingRule(ABC):
    key = ""
    label = None
    by_area = False

    @abstractmethod
    def decide(self, tally: Tally) -> Outcome:
        """Whether the ballot passed, with every check that decided it."""


class SimpleMajority(CountingRule):
    """More votes for than half of the votes cast (abstentions are cast votes)."""

    key = "simple_majority"
    label = _l("Simple majority of votes cast")

    def decide(self, tally: Tally) -> Outcome:
        check = Check(_l("votes for"), share(tally.for_headcount, tally.cast_headcount), Fraction(1, 2), False)
        return Outcome(check.met, [check])


class TwoThirds(CountingRule):
    key = "two_thirds"
    label = _l("Two-thirds of votes cast")

    def decide(self, tally: Tally) -> Outcome:
        check = Check(_l("votes for"), share(tally.for_headcount, tally.cast_headcount), Fraction(2, 3), True)
        return Outcome(check.met, [check])


class CivilCode278(CountingRule):
    """Art. 278, ordinary matters: > 1/2 of the participating area and owners."""

    key = "civil_code_278"
    label = _l("Owners' decision (Civil Code art. 278), ordinary matter")
    by_area = True
    approval = Fraction(1, 2)
    approval_inclusive = False

    def decide(self, tally: Tally) -> Outcome:
        checks = [
            Check(_l("participating area"), share(tally.cast_area, tally.eligible_area), Fraction(2, 3), True),
            Check(_l("participating owners"), share(tally.cast_headcount, tally.eligible_headcount),
                  Fraction(2, 3), True),
            Check(_l("area in favour"), share(tally.for_area, tally.cast_area), self.approval,
                  self.approval_inclusive),
            Check(_l("owners in favour"), share(tally.for_headcount, tally.cast_headcount), self.approval,
                  self.approval_inclusive),
        ]
        return Outcome(all(c.met for c in checks), checks)


class CivilCode278Special(CivilCode278):
    """Art. 278, special matters: ≥ 3/4 of the participating area and owners."""

    key = "civil_code_278_special"
    label = _l("Owners' decision (Civil Code art. 278), special matter")
    approval = Fraction(3, 4)
    approval_inclusive = True


RULES: dict[str, CountingRule] = {rule.key: rule for rule in (
    SimpleMajority(), TwoThirds(), CivilCode278(), CivilCode278Special())}
