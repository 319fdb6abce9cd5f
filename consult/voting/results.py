"""Owners' ballots during and after the vote: live participation against each threshold,
one extension when short of participation, and the staged result — preliminary at the
close with the per-unit record, objections to single entries answered on the record, then
the final result, recounted with the corrections, which alone decides the matter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..notifications import service as notifications
from ..places.models import Household, Place, natural_key
from . import counting, service
from .models import (
    Ballot,
    BallotObjection,
    BallotState,
    BallotVoter,
    ObjectionState,
    Participation,
    ResultStage,
    Secrecy,
)
from .rules import RULES, Count, Tally, participation_checks, percent
from .signals import ballot_closed

REASON_MAX = 500


staged = counting.staged


# --- live participation ----------------------------------------------------------------

def percent_up(value: Fraction) -> Decimal:
    """What is still missing, rounded up: never shown smaller than it is."""
    return (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal("0.1"), rounding=ROUND_UP)


@dataclass(frozen=True)
class Progress:
    """One participation threshold, as far as the votes cast so far reach it."""

    by_area: bool
    value: Fraction
    bound: Fraction
    part: object
    whole: object

    @property
    def met(self) -> bool:
        return self.value >= self.bound

    @property
    def missing(self) -> Fraction:
        return max(self.bound - self.value, Fraction(0))

    def sentence(self) -> str:
        """In plain words: "按面积：已参与 54.0%，还差 12.7% 达到 2/3"."""
        values = {"value": percent(self.value), "missing": percent_up(self.missing),
                  "bound": f"{self.bound.numerator}/{self.bound.denominator}"}
        if self.by_area:
            return _("By area: %(value)s%% have taken part, reaching %(bound)s", **values) if self.met else \
                _("By area: %(value)s%% have taken part, %(missing)s%% short of %(bound)s", **values)
        return _("By owners: %(value)s%% have taken part, reaching %(bound)s", **values) if self.met else \
            _("By owners: %(value)s%% have taken part, %(missing)s%% short of %(bound)s", **values)


def participation(ballot: Ballot) -> list[Progress]:
    """The participation so far against each threshold of the ballot's rule (area and
    headcount for art. 278): totals only, never who has or has not voted."""
    if not RULES[ballot.rule].by_area or ballot.state is BallotState.draft:
        return []
    cast, eligible = service.turnout(ballot), service.electorate_size(ballot)
    checks = participation_checks(Tally(eligible, cast))
    area, owners = checks
    return [Progress(True, area.value, area.bound, cast.area, eligible.area),
            Progress(False, owners.value, owners.bound, cast.headcount, eligible.headcount)]


def short_of_participation(ballot: Ballot) -> bool:
    return any(not p.met for p in participation(ballot))


# --- one extension ---------------------------------------------------------------------

def extend_ballot(ballot: Ballot, *, actor, days: int, reason: str, config) -> Ballot:
    """Extend an owners' ballot short of participation, once, by at most
    ``OWNERS_EXTENSION_MAX_DAYS``; the owners are told."""
    permissions.require(permissions.can_run_ballot(actor, ballot))
    limit = config["OWNERS_EXTENSION_MAX_DAYS"]
    reason = (reason or "").strip()
    if ballot.state is not BallotState.open or ballot.closes_at is None or utcnow() >= ballot.closes_at:
        raise InvalidTransition(_l("Only an open ballot with a closing time still ahead can be extended."))
    if not staged(ballot) or not RULES[ballot.rule].by_area:
        raise InvalidInput(_l("Only an owners' decision with participation thresholds can be extended."))
    if ballot.extended_at is not None:
        raise Conflict(_l("This ballot has been extended once already."))
    if not short_of_participation(ballot):
        raise InvalidInput(_l("Participation already reaches every threshold: the ballot closes as announced."))
    if not isinstance(days, int) or not 1 <= days <= limit:
        raise InvalidInput(_l("Extend by 1 to %(n)d days.", n=limit))
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason in at most %(n)d characters.", n=REASON_MAX))
    ballot.first_closes_at, ballot.extended_at = ballot.closes_at, utcnow()
    ballot.closes_at = ballot.closes_at + timedelta(days=days)
    ballot.extension_reason = reason
    audit.record("ballot.extend", ballot, actor=actor, place=ballot.place, days=days, reason=reason)
    notifications.notify_ids(service._people_of(ballot), "ballot.extended", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return ballot


# --- counting --------------------------------------------------------------------------

def _building_names(ballot: Ballot, ids) -> dict:
    return {p.id: " ".join([a.name for a in p.ancestors() if a.is_within(ballot.place) and a.id != ballot.place_id]
                           + [p.name]) for p in db.session.scalars(select(Place).where(Place.id.in_(
                               [b for b in ids if b])))}


def _corrected(ballot: Ballot, corrections: list[tuple[int, dict]]) -> tuple[Tally, list[dict]]:
    """A named ballot recounted with the corrections of upheld objections, and its
    breakdown by building."""
    voters = {vid: (bid, Decimal(area)) for vid, bid, area in db.session.execute(
        select(BallotVoter.id, BallotVoter.building_id, BallotVoter.area).where(BallotVoter.ballot_id == ballot.id))}
    votes = dict(db.session.execute(select(Participation.voter_id, Participation.choice)
                                    .where(Participation.ballot_id == ballot.id)).all())
    for vid, correction in corrections:
        if vid not in voters:
            continue
        if "area" in correction:
            voters[vid] = (voters[vid][0], Decimal(correction["area"]))
        if correction.get("void"):
            votes.pop(vid, None)
        elif "choice" in correction:
            votes[vid] = correction["choice"]

    def count(ids) -> Tally:
        eligible = Count(len(ids), sum((voters[v][1] for v in ids), Decimal("0")))
        return service._tally_rows(ballot, [(votes[v], 1, voters[v][1]) for v in ids if v in votes], eligible)

    buildings: dict = {}
    for vid, (bid, _area) in voters.items():
        buildings.setdefault(bid, []).append(vid)
    names = _building_names(ballot, buildings)
    breakdown = [{"building": names.get(bid, ""), **service._counts(count(ids))}
                 for bid, ids in sorted(buildings.items(), key=lambda r: (r[0] is None, [
                     natural_key(w) for w in names.get(r[0], "").split(" ")]))]
    return count(list(voters)), breakdown


def count(ballot: Ballot, *, reason: Optional[str] = None, corrections: list[tuple[int, dict]] = ()) -> dict:
    """The result, recounted with the corrections of upheld objections (named ballots)."""
    named = ballot.secrecy is Secrecy.named
    if corrections and named:
        counted, buildings = _corrected(ballot, list(corrections))
    else:
        counted = service.tally(ballot)
        buildings = service._by_building(ballot) if named else []
    return counting.result(ballot, counted, buildings=buildings, reason=reason, corrections=len(corrections))


# --- the staged result -----------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One line of the per-unit record: the rooms an owner voted for and their area; how
    the vote came in; what it was only on a named ballot."""

    voter: BallotVoter
    rooms: str
    participation: Optional[Participation]
    choice: Optional[str]


def rooms_of(ballot: Ballot) -> dict[int, str]:
    """Each voter's units within the ballot's place, as read there ("1号楼2单元502")."""
    homes = service._voter_homes(ballot)
    households = {h.id: h for h in db.session.scalars(select(Household).where(
        Household.id.in_({hid for hids in homes.values() for hid in hids})))} if homes else {}
    return {vid: "、".join(households[h].address_within(ballot.place) for h in hids if h in households)
            for vid, hids in homes.items()}


def entries(ballot: Ballot, *, everyone: bool = False) -> list[Entry]:
    """The per-unit record of a closed ballot in address order: the entries that voted
    (``everyone``: the whole electorate, for the evidence pack)."""
    rows, _total = service.voters_page(ballot, per_page=10 ** 9)
    rooms = rooms_of(ballot)
    choices = ballot.choices()
    named = ballot.secrecy is Secrecy.named
    out = []
    for voter, part in rows:
        if part is None and not everyone:
            continue
        choice = "、".join(choices.get(k, _("Blank")) for k in part.choice.split(",")) \
            if named and part is not None and part.choice else None
        out.append(Entry(voter, rooms.get(voter.id, ""), part, choice))
    return out


def objections_of(ballot: Ballot) -> list[BallotObjection]:
    return list(db.session.scalars(select(BallotObjection).where(BallotObjection.ballot_id == ballot.id)
                                   .order_by(BallotObjection.id)))


def objections_open(ballot: Ballot, now: Optional[datetime] = None) -> bool:
    """May owners still object to the preliminary result?"""
    return ballot.stage is ResultStage.preliminary and (now or utcnow()) < ballot.objections_until


def object_to(ballot: Ballot, voter: BallotVoter, *, actor, reason: str) -> BallotObjection:
    """An owner of the ballot objects to one entry of the preliminary result, with a reason."""
    if not objections_open(ballot):
        raise InvalidTransition(_l("Objections to this result are not taken now."))
    if service.voter_of(ballot, actor) is None:
        raise NotAllowed(_l("Only the owners who could vote in this ballot may object to its result."))
    if voter.ballot_id != ballot.id:
        raise InvalidInput(_l("This entry is not of this ballot."))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason in at most %(n)d characters.", n=REASON_MAX))
    objection = BallotObjection(ballot_id=ballot.id, voter_id=voter.id, raised_by_id=actor.id, reason=reason,
                                raised_at=utcnow())
    db.session.add(objection)
    db.session.flush()
    audit.record("ballot.objection", ballot, actor=actor, place=ballot.place, objection=objection.id)
    notifications.notify_ids([ballot.created_by_id], "ballot.objection", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return objection


def _correction(ballot: Ballot, correction: Optional[dict]) -> Optional[dict]:
    if not correction:
        return None
    if ballot.secrecy is not Secrecy.named:
        raise InvalidInput(_l("A secret ballot's entries cannot be corrected one by one without revealing votes: "
                              "uphold the objection and say in the answer what follows."))
    if correction.get("void"):
        return {"void": True}
    if correction.get("choice"):
        return {"choice": service.marks_of(ballot, correction["choice"])}
    if correction.get("area") not in (None, ""):
        try:
            area = Decimal(str(correction["area"]).strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            area = Decimal("-1")
        if not Decimal("0") <= area < Decimal("100000"):
            raise InvalidInput(_l("Give the corrected area in square metres, e.g. 89.60."))
        return {"area": str(area)}
    return None


def answer_objection(objection: BallotObjection, *, actor, upheld: bool, answer: str,
                     correction: Optional[dict] = None) -> BallotObjection:
    """Staff answer an objection on the record: upheld (with the correction of the entry,
    counted in the final result) or rejected, each with the reason."""
    ballot = db.session.get(Ballot, objection.ballot_id)
    permissions.require(permissions.can_run_ballot(actor, ballot))
    if ballot.stage is not ResultStage.preliminary:
        raise InvalidTransition(_l("The result is final: objections are no longer answered."))
    if objection.state is not ObjectionState.open:
        raise Conflict(_l("This objection has been answered already."))
    answer = (answer or "").strip()
    if not answer or len(answer) > REASON_MAX:
        raise InvalidInput(_l("Give the answer in at most %(n)d characters.", n=REASON_MAX))
    objection.correction = _correction(ballot, correction) if upheld else None
    objection.state = ObjectionState.upheld if upheld else ObjectionState.rejected
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.id, utcnow()
    audit.record("ballot.objection_answered", ballot, actor=actor, place=ballot.place, objection=objection.id,
                 upheld=upheld)
    notifications.notify_ids([objection.raised_by_id], "ballot.objection_answered", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return objection


def describe(ballot: Ballot, correction: Optional[dict]) -> str:
    """A correction in words."""
    if not correction:
        return ""
    if correction.get("void"):
        return _("The vote of this entry is not counted")
    if "choice" in correction:
        choices = ballot.choices()
        return _("Counted as: %(vote)s", vote="、".join(choices.get(k, _("Blank"))
                                                         for k in correction["choice"].split(",")))
    return _("Area corrected to %(area)s m²", area=correction["area"])


def is_due(ballot: Ballot, now: Optional[datetime] = None) -> bool:
    """Whether the final result is due: the objection period is over and every objection
    is answered."""
    now = now or utcnow()
    return ballot.stage is ResultStage.preliminary and now >= ballot.objections_until and not any(
        o.state is ObjectionState.open for o in objections_of(ballot))


def finalize(ballot: Ballot, *, actor=None) -> Ballot:
    """Announce the final result (公告): recounted with the corrections of the upheld
    objections; it, and only it, decides the matter."""
    if ballot.stage is not ResultStage.preliminary:
        raise InvalidTransition(_l("This ballot has no preliminary result awaiting the final one."))
    if not is_due(ballot):
        raise InvalidTransition(_l("The final result comes when the objection period is over and every objection "
                                   "is answered."))
    answered = [o for o in objections_of(ballot) if o.state is ObjectionState.upheld and o.correction]
    answered.sort(key=lambda o: (o.answered_at, o.id))
    corrections = [(o.voter_id, o.correction) for o in answered]
    final = count(ballot, reason=(ballot.result or {}).get("early_reason"), corrections=corrections)
    rooms = rooms_of(ballot) if answered else {}
    final["corrections"] = []
    for objection in answered:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            what = describe(ballot, objection.correction)
        final["corrections"].append({"entry": rooms.get(objection.voter_id, ""), "correction": what,
                                     "reason": objection.answer})
    final["preliminary_passed"] = (ballot.result or {}).get("passed")
    ballot.final_result, ballot.stage, ballot.finalized_at = final, ResultStage.final, utcnow()
    audit.record("ballot.final", ballot, actor=actor, place=ballot.place, passed=final["passed"],
                 corrections=len(corrections))
    ballot_closed.send(ballot, passed=final["passed"],
                       summary=final["explanation"].get(current_app.config["BABEL_DEFAULT_LOCALE"], ""))
    notifications.notify_ids(service._people_of(ballot), "ballot.final", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return ballot


def advance(ballot: Ballot, now: Optional[datetime] = None) -> bool:
    if not is_due(ballot, now):
        return False
    finalize(ballot)
    return True


def _due(now: datetime):
    pending = select(BallotObjection.id).where(BallotObjection.ballot_id == Ballot.id,
                                                BallotObjection.state == ObjectionState.open).exists()
    return select(Ballot).where(Ballot.stage == ResultStage.preliminary, Ballot.objections_until <= now,
                                ~pending).order_by(Ballot.id)


def finalize_is_due(now: Optional[datetime] = None) -> bool:
    return db.session.scalar(_due(now or utcnow()).limit(1)) is not None


def finalize_due(now: Optional[datetime] = None) -> int:
    """Announce the final result of every owners' ballot whose objection period is over
    with every objection answered: the server's loop runs this."""
    now = now or utcnow()
    return sum(advance(ballot, now) for ballot in db.session.scalars(_due(now)).all())


def shown_result(ballot: Ballot) -> Optional[dict]:
    """The result a page shows: the final one once announced, else the preliminary one."""
    return ballot.final_result if ballot.stage is ResultStage.final else ballot.result

