"""Ballots: draft, open (snapshot the electorate), cast, close (tally and freeze)."""
from __future__ import annotations

import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..accounts.models import Role
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..places.models import Household, HouseholdMember, Place
from .models import Ballot, BallotBoxEntry, BallotState, BallotVoter, Choice, Electorate, Participation, Secrecy
from .rules import RULES, Tally

QUESTION_MAX = 200


def draft_ballot(place: Place, *, actor, question: str, electorate: Electorate, secrecy: Secrecy,
                 rule: str, proposal=None) -> Ballot:
    permissions.require(permissions.has_role(actor, place, Role.moderator, Role.administrator))
    question = (question or "").strip()
    if not question or len(question) > QUESTION_MAX:
        raise InvalidInput(_l("Give the question in at most %(n)d characters.", n=QUESTION_MAX))
    if rule not in RULES:
        raise InvalidInput(_l("Unknown counting rule."))
    if RULES[rule].by_area and electorate is not Electorate.owners:
        raise InvalidInput(_l("The Civil Code art. 278 rule counts owners by headcount and area."))
    ballot = Ballot(place=place, question=question, electorate=electorate, secrecy=secrecy, rule=rule,
                    proposal_id=getattr(proposal, "id", None), created_by_id=actor.id)
    db.session.add(ballot)
    audit.record("ballot.draft", ballot, actor=actor, place=place, rule=rule)
    return ballot


def _households_in(place: Place) -> list[Household]:
    return list(db.session.scalars(select(Household).join(Household.place)
                                   .where(Place.path.startswith(place.path, autoescape=True))))


def open_ballot(ballot: Ballot, *, actor) -> Ballot:
    """Snapshot who may vote, with what weight, and open the ballot."""
    permissions.require(permissions.has_role(actor, ballot.place, Role.moderator, Role.administrator))
    if ballot.state is not BallotState.draft:
        raise InvalidTransition(_l("Only a draft ballot can be opened."))
    voters: list[BallotVoter] = []
    if ballot.electorate is Electorate.households:
        for household in _households_in(ballot.place):
            if household.members:
                voters.append(BallotVoter(ballot_id=ballot.id, voter_key=f"household:{household.id}",
                                          household_id=household.id, area=household.area))
    else:
        # One vote per owner: the units they are the designated voter of, areas summed.
        areas: dict[int, Decimal] = defaultdict(Decimal)
        for household in _households_in(ballot.place):
            voter = household.designated_voter
            if voter is not None:
                areas[voter.user_id] += household.area
        voters = [BallotVoter(ballot_id=ballot.id, voter_key=f"owner:{user_id}", owner_id=user_id, area=area)
                  for user_id, area in sorted(areas.items())]
    if not voters:
        raise InvalidInput(_l("Nobody could vote in this ballot."))
    db.session.add_all(voters)
    ballot.state, ballot.opened_at = BallotState.open, utcnow()
    audit.record("ballot.open", ballot, actor=actor, place=ballot.place, voters=len(voters))
    return ballot


def _voter_for(ballot: Ballot, actor, household: Optional[Household]) -> BallotVoter:
    if ballot.electorate is Electorate.owners:
        key = f"owner:{actor.id}"
    else:
        mine = [m.household for m in actor.memberships if m.household.place.is_within(ballot.place)]
        if household is None and mine:
            household = mine[0]
        if household is None or household not in mine:
            raise NotAllowed(_l("You are not in the electorate of this ballot."))
        key = f"household:{household.id}"
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                        BallotVoter.voter_key == key))
    if voter is None:
        raise NotAllowed(_l("You are not in the electorate of this ballot."))
    return voter


def cast(ballot: Ballot, *, actor, choice: Choice, client_key: Optional[str] = None,
         household: Optional[Household] = None) -> Optional[str]:
    """Cast one vote; returns the receipt. The database allows one participation per voter,
    so a second member of a household, a racing co-owner or a retry all find the vote
    already counted. A retry with the same ``client_key`` of a named vote gets its receipt
    back."""
    # Hold the ballot row while casting, so that closing waits for casts under way.
    ballot = db.session.scalar(select(Ballot).where(Ballot.id == ballot.id).with_for_update(read=True))
    if ballot.state is not BallotState.open:
        raise InvalidTransition(_l("This ballot is not open."))
    if client_key:
        earlier = db.session.scalar(select(Participation).where(Participation.ballot_id == ballot.id,
                                                                Participation.client_key == client_key))
        if earlier is not None and earlier.cast_by_id == actor.id:
            return earlier.receipt
    voter = _voter_for(ballot, actor, household)
    receipt = secrets.token_hex(16)
    named = ballot.secrecy is Secrecy.named
    try:
        with db.session.begin_nested():
            db.session.add(Participation(ballot_id=ballot.id, voter_id=voter.id, cast_by_id=actor.id,
                                         client_key=client_key, choice=choice if named else None,
                                         receipt=receipt if named else None))
            if not named:
                db.session.add(BallotBoxEntry(ballot_id=ballot.id, choice=choice, area=voter.area, receipt=receipt))
    except IntegrityError:
        if ballot.electorate is Electorate.households:
            raise Conflict(_l("Your household has already voted."))
        raise Conflict(_l("You have already voted."))
    # The audit log says that a vote was cast, never what.
    audit.record("ballot.cast", ballot, actor=actor, place=ballot.place)
    return receipt


def tally(ballot: Ballot) -> Tally:
    eligible = db.session.execute(select(func.count(), func.coalesce(func.sum(BallotVoter.area), 0))
                                  .where(BallotVoter.ballot_id == ballot.id)).one()
    if ballot.secrecy is Secrecy.named:
        rows = db.session.execute(
            select(Participation.choice, func.count(), func.coalesce(func.sum(BallotVoter.area), 0))
            .join(BallotVoter, BallotVoter.id == Participation.voter_id)
            .where(Participation.ballot_id == ballot.id).group_by(Participation.choice)).all()
    else:
        rows = db.session.execute(
            select(BallotBoxEntry.choice, func.count(), func.coalesce(func.sum(BallotBoxEntry.area), 0))
            .where(BallotBoxEntry.ballot_id == ballot.id).group_by(BallotBoxEntry.choice)).all()
    counts = {choice: (n, Decimal(area)) for choice, n, area in rows}
    zero = (0, Decimal("0"))
    return Tally(
        eligible_headcount=eligible[0], eligible_area=Decimal(eligible[1]),
        for_headcount=counts.get(Choice.yes, zero)[0], for_area=counts.get(Choice.yes, zero)[1],
        against_headcount=counts.get(Choice.no, zero)[0], against_area=counts.get(Choice.no, zero)[1],
        abstain_headcount=counts.get(Choice.abstain, zero)[0], abstain_area=counts.get(Choice.abstain, zero)[1],
    )


def close_ballot(ballot: Ballot, *, actor) -> Ballot:
    """Close, count and freeze the result."""
    permissions.require(permissions.has_role(actor, ballot.place, Role.moderator, Role.administrator))
    closed = db.session.execute(update(Ballot).where(Ballot.id == ballot.id, Ballot.state == BallotState.open)
                                .values(state=BallotState.closed, closed_at=utcnow()))
    if closed.rowcount != 1:
        raise InvalidTransition(_l("This ballot is not open."))
    db.session.refresh(ballot)
    counted = tally(ballot)
    outcome = RULES[ballot.rule].decide(counted)
    ballot.result = {
        "passed": outcome.passed,
        "explanation": outcome.explanation(),
        "tally": {k: str(v) for k, v in counted.__dict__.items()},
        "checks": [{"value": str(c.value), "bound": str(c.bound), "inclusive": c.inclusive, "met": c.met}
                   for c in outcome.checks],
    }
    audit.record("ballot.close", ballot, actor=actor, place=ballot.place, passed=outcome.passed)
    return ballot
