"""The frozen result of a ballot, from its tally: the decision, every check, the
explanation in each language, and — for an owners' decision — the non-voters rule the
ballot states. Pure of the database, so that the close (``service``) and the final
result recounted after objections (``results``) write it alike."""
from __future__ import annotations

from typing import Optional

from flask import current_app
from flask_babel import force_locale

from .models import Ballot, BallotKind, Electorate, NonVoters
from .rules import RULES, Count, Tally, counted_with_majority, explain, words


def staged(ballot: Ballot) -> bool:
    """An owners' decision: its result is preliminary at the close, open to objections,
    then final; only the final result decides the matter."""
    return ballot.electorate is Electorate.owners


def count_of(count: Count) -> dict:
    return {"headcount": count.headcount, "area": str(count.area)}


def counts(counted: Tally) -> dict:
    return {"eligible": count_of(counted.eligible), "cast": count_of(counted.cast),
            "marks": {key: count_of(c) for key, c in counted.marks.items()}}


def decide(ballot: Ballot, counted: Tally):
    return RULES[ballot.rule].decide(counted, options=ballot.choices() if ballot.kind is not BallotKind.yes_no
                                     else None, seats=ballot.max_choices)


def non_voters_words(ballot: Ballot, absent: Count, added_to: Optional[str]) -> dict:
    """How the non-voters were counted, as the system's words (``i18n.SYSTEM_WORDS``)."""
    if ballot.non_voters is NonVoters.not_counted:
        return words("non_voters_not_counted")
    if added_to is None:
        return words("non_voters_to_none", reference=ballot.non_voters_reference)
    return words("non_voters_to_option", reference=ballot.non_voters_reference, n=absent.headcount,
                 area=str(absent.area), option=ballot.choice_words().get(added_to, added_to))


def result(ballot: Ballot, counted: Tally, *, buildings: list, reason: Optional[str] = None,
           corrections: int = 0) -> dict:
    """The result as it is frozen: totals, checks, the decision and its explanation in each
    language, with the non-voters rule applied as the ballot states it."""
    added_to = None
    absent = Count(counted.eligible.headcount - counted.cast.headcount, counted.eligible.area - counted.cast.area)
    if ballot.non_voters is NonVoters.with_majority:
        counted, added_to = counted_with_majority(counted)
    outcome = decide(ballot, counted)
    said = outcome.said()
    if staged(ballot):
        said.append(non_voters_words(ballot, absent, added_to))
    if corrections:
        said.append(words("corrected_entries", n=corrections))
    explanation = {}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            explanation[locale] = explain(said)
    out = {
        "passed": outcome.passed,
        "winners": outcome.winners,
        "explanation": explanation,
        "said": said,
        "options": ballot.choices(),
        **counts(counted),
        "checks": [{"value": str(c.value), "bound": str(c.bound), "inclusive": c.inclusive, "met": c.met}
                   for c in outcome.checks],
        "buildings": buildings,
        "early_reason": reason,
    }
    if staged(ballot):
        out["non_voters"] = {"rule": ballot.non_voters.value, "reference": ballot.non_voters_reference,
                             "added_to": added_to, "headcount": absent.headcount, "area": str(absent.area)}
    return out
