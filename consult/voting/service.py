"""Ballots: draft, open (snapshot the electorate), cast online or enter on paper, close
(tally and freeze the result), and the periods that open and close a ballot by themselves."""
from __future__ import annotations

import re
import secrets
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable, Iterable, Optional, Union

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import permissions
from ..accounts.models import Role, User
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..notifications import service as notifications
from ..places.models import Household, HouseholdMember, Place, PlaceKind, natural_key
from ..proposals.lifecycle import DELIBERABLE
from .models import (
    Ballot,
    BallotBoxEntry,
    BallotKind,
    BallotOption,
    BallotState,
    BallotVoter,
    Channel,
    Choice,
    Electorate,
    NONE_OF_THESE,
    NonVoters,
    Participation,
    ResultStage,
    Secrecy,
    VoteChanges,
)
from . import counting
from .lifecycle import TRANSITIONS
from .rules import ABSTAIN, RULES, Count, Tally
from .signals import ballot_closed, ballot_drafted, ballot_opening

QUESTION_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 20
WITNESS_MAX = 60

Marks = Union[Choice, str, Iterable[str]]


# --- drafting --------------------------------------------------------------------------

def draft_ballot(place: Place, *, actor, question: str, electorate: Electorate, secrecy: Secrecy,
                 rule: str, kind: BallotKind = BallotKind.yes_no, options: Iterable[str] = (),
                 max_choices: int = 1, proposal=None, opens_at: Optional[datetime] = None,
                 closes_at: Optional[datetime] = None, changes: VoteChanges = VoteChanges.never,
                 non_voters: NonVoters = NonVoters.not_counted, non_voters_reference: Optional[str] = None) -> Ballot:
    """A moderator drafts a ballot: its question, its options, who votes, how it is counted
    and, for a ballot over a period, when it opens and closes by itself (UTC); whether a
    vote may be changed once, and how the owners who do not vote are counted."""
    permissions.require(permissions.can_draft_ballot(actor, place))
    question = (question or "").strip()
    if not question or len(question) > QUESTION_MAX:
        raise InvalidInput(_l("Give the question in at most %(n)d characters.", n=QUESTION_MAX))
    counting = RULES.get(rule)
    if counting is None:
        raise InvalidInput(_l("Unknown counting rule."))
    if counting.by_area and electorate is not Electorate.owners:
        raise InvalidInput(_l("The Civil Code art. 278 rule counts owners by headcount and area."))
    labels = [o.strip() for o in options if o and o.strip()]
    if kind is BallotKind.yes_no:
        if counting.for_choices:
            raise InvalidInput(_l("This counting rule is for a choice among options."))
        labels, max_choices = [], 1
    else:
        if not counting.for_choices:
            raise InvalidInput(_l("This counting rule is for a for/against vote."))
        if not 2 <= len(labels) <= OPTIONS_MAX:
            raise InvalidInput(_l("Give between 2 and %(n)d options, one per line.", n=OPTIONS_MAX))
        if len(set(labels)) != len(labels):
            raise InvalidInput(_l("Two options have the same text."))
        if any(len(label) > OPTION_MAX for label in labels):
            raise InvalidInput(_l("An option may have at most %(n)d characters.", n=OPTION_MAX))
        if kind is BallotKind.single:
            max_choices = 1
        elif not 1 <= max_choices < len(labels):
            raise InvalidInput(_l("Voters may mark at least one option and fewer than all of them."))
    if closes_at is not None and closes_at <= max(opens_at or utcnow(), utcnow()):
        raise InvalidInput(_l("The ballot must close after it opens, in the future."))
    if proposal is not None:
        if not proposal.place.is_within(place) and not place.is_within(proposal.place):
            raise InvalidInput(_l("The ballot must be held in the matter's place."))
        if proposal.state not in DELIBERABLE:
            raise InvalidInput(_l("Only a matter that was accepted for discussion can be put to the vote."))
    reference = (non_voters_reference or "").strip() or None
    if non_voters is NonVoters.with_majority:
        if electorate is not Electorate.owners:
            raise InvalidInput(_l("Only owners' decisions count the owners who did not vote."))
        if reference is None or len(reference) > 200:
            raise InvalidInput(_l("Name the article of the owners' rules of procedure that counts the owners who "
                                  "do not vote with the majority (at most 200 characters)."))
    else:
        reference = None
    ballot = Ballot(place=place, question=question, kind=kind, max_choices=max_choices, electorate=electorate,
                    secrecy=secrecy, rule=rule, proposal=proposal, created_by_id=actor.id,
                    opens_at=opens_at, closes_at=closes_at, changes=changes, non_voters=non_voters,
                    non_voters_reference=reference,
                    options=[BallotOption(position=n, label=label) for n, label in enumerate(labels, 1)])
    db.session.add(ballot)
    audit.record("ballot.draft", ballot, actor=actor, place=place, rule=rule, kind=kind.value)
    ballot_drafted.send(ballot, actor=actor)
    return ballot


# --- opening ---------------------------------------------------------------------------

def building_of(place: Place) -> Optional[int]:
    if place.kind is PlaceKind.building:
        return place.id
    if place.kind is PlaceKind.entrance:
        return place.parent_id
    return None


def _snapshot(ballot: Ballot, attendees: Iterable[User]) -> list[dict]:
    """The electorate as rows for ``ballot_voters``, read in one query per kind (a
    community may hold 100,000 owners)."""
    within = Place.path.startswith(ballot.place.path, autoescape=True)
    building = case((Place.kind == PlaceKind.building, Place.id),
                    (Place.kind == PlaceKind.entrance, Place.parent_id), else_=None)
    if ballot.electorate is Electorate.households:
        inhabited = select(HouseholdMember.id).where(HouseholdMember.household_id == Household.id).exists()
        rows = db.session.execute(select(Household.id, Household.area, building).join(Household.place)
                                  .where(within, inhabited).order_by(Household.id))
        return [{"ballot_id": ballot.id, "voter_key": f"household:{hid}", "household_id": hid,
                 "building_id": bid, "area": area} for hid, area, bid in rows]
    if ballot.electorate is Electorate.attendees:
        return [{"ballot_id": ballot.id, "voter_key": f"person:{pid}", "user_id": pid, "area": Decimal("0")}
                for pid in sorted({person.id for person in attendees})]
    # One vote per owner: the units they are the designated voter of, areas summed; an
    # owner of units in several buildings is counted under their largest unit's building.
    areas: dict[int, Decimal] = defaultdict(Decimal)
    largest: dict[int, tuple] = {}
    rows = db.session.execute(select(HouseholdMember.user_id, Household.area, building)
                              .join(HouseholdMember.household).join(Household.place)
                              .where(within, HouseholdMember.is_designated_voter.is_(True))
                              .order_by(Household.id))
    for uid, area, bid in rows:
        areas[uid] += area
        if uid not in largest or area > largest[uid][0]:
            largest[uid] = (area, bid)
    return [{"ballot_id": ballot.id, "voter_key": f"owner:{uid}", "user_id": uid, "area": area,
             "building_id": largest[uid][1]} for uid, area in sorted(areas.items())]


def open_ballot(ballot: Ballot, *, actor, attendees: Iterable[User] = ()) -> Ballot:
    """Snapshot who may vote, with what weight, and open the ballot. ``actor`` is None
    when a ballot over a period opens by itself. ``attendees`` are the people signed in
    for a ballot of attendees."""
    if actor is not None:
        permissions.require(permissions.can_run_ballot(actor, ballot))
    step = TRANSITIONS.require(ballot.state, "open", _l("Only a draft ballot can be opened."))
    db.session.flush()
    given = [rows for _receiver, rows in ballot_opening.send(ballot) if rows is not None]
    voters = given[0] if given else _snapshot(ballot, attendees)
    if not voters:
        raise InvalidInput(_l("Nobody could vote in this ballot."))
    db.session.execute(insert(BallotVoter), voters)
    ballot.state, ballot.opened_at = step.target, utcnow()
    audit.record("ballot.open", ballot, actor=actor, place=ballot.place, voters=len(voters))
    notifications.notify_ids(_people_of(ballot), "ballot.opened", skip=actor, ballot=ballot.id,
                         question=ballot.question)
    return ballot


def _people_of(ballot: Ballot, voter: Optional[BallotVoter] = None) -> list[int]:
    """The ids of the accounts that may cast the votes of the ballot's electorate (or of
    one voter)."""
    voters = select(BallotVoter).where(BallotVoter.ballot_id == ballot.id)
    if voter is not None:
        voters = voters.where(BallotVoter.id == voter.id)
    voters = voters.subquery()
    direct = select(voters.c.user_id).where(voters.c.user_id.is_not(None))
    members = select(HouseholdMember.user_id).join(voters, voters.c.household_id == HouseholdMember.household_id)
    return list(db.session.scalars(direct.union(members)))


# --- casting ---------------------------------------------------------------------------

def marks_of(ballot: Ballot, choice: Marks, valid: Optional[Iterable[str]] = None) -> str:
    """Check a choice against the ballot and write it the way it is stored: "yes", or the
    option numbers in order, "1,3"; a blank vote is "abstain". ``valid``: the ballot's
    option keys, when already known (a batch of casts reads them once)."""
    if isinstance(choice, Choice):
        keys = [choice.value]
    elif isinstance(choice, str):
        keys = [choice]
    else:
        keys = list(choice)
    keys = sorted({k for k in keys if k}, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    valid = ballot.choices() if valid is None else valid
    if not keys:
        raise InvalidInput(_l("Choose an option."))
    if keys == [ABSTAIN]:
        return ABSTAIN
    if any(k not in valid for k in keys) or (ABSTAIN in keys):
        raise InvalidInput(_l("This is not one of the ballot's options."))
    if NONE_OF_THESE in keys and len(keys) > 1:
        raise InvalidInput(_l("“None of these” cannot be marked with another option."))
    if len(keys) > ballot.max_choices:
        raise InvalidInput(_l("Choose at most %(n)d options.", n=ballot.max_choices))
    return ",".join(keys)


def _voter_keys(ballot: Ballot, user, household: Optional[Household] = None) -> list[str]:
    """The keys of the votes ``user`` may cast in ``ballot``: their households' within the
    ballot's place (or the one named), their own as an owner or an attendee."""
    if ballot.electorate is Electorate.households:
        mine = [m.household for m in user.memberships if m.household.place.is_within(ballot.place)]
        if household is not None:
            mine = [h for h in mine if h.id == household.id]
        return [f"household:{h.id}" for h in mine]
    prefix = "owner" if ballot.electorate is Electorate.owners else "person"
    return [f"{prefix}:{user.id}"]


def voter_of(ballot: Ballot, user, household: Optional[Household] = None) -> Optional[BallotVoter]:
    """The vote ``user`` may cast in ``ballot`` (their household's, their own as an owner or
    an attendee), or None."""
    keys = _voter_keys(ballot, user, household)
    if not keys:
        return None
    return db.session.scalars(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                         BallotVoter.voter_key.in_(keys))
                              .order_by(BallotVoter.id)).first()


def _voters_of(ballot: Ballot, casts: list["CastRequest"]) -> list[Optional[BallotVoter]]:
    """``voter_of`` for each of ``casts``, in one query (and one more for the households of
    the people casting, in a ballot of households)."""
    if ballot.electorate is Electorate.households:
        unloaded = [c.actor.id for c in casts if "memberships" not in c.actor.__dict__]
        if unloaded:
            db.session.scalars(select(User).where(User.id.in_(unloaded)).options(
                selectinload(User.memberships).joinedload(HouseholdMember.household).joinedload(Household.place)))
    keys = [_voter_keys(ballot, c.actor, c.household) for c in casts]
    wanted = {key for some in keys for key in some}
    found = {v.voter_key: v for v in db.session.scalars(select(BallotVoter).where(
        BallotVoter.ballot_id == ballot.id, BallotVoter.voter_key.in_(wanted)))} if wanted else {}
    return [min((found[k] for k in some if k in found), key=lambda v: v.id, default=None) for some in keys]


def participation_of(ballot: Ballot, voter: Optional[BallotVoter]) -> Optional[Participation]:
    if voter is None:
        return None
    return db.session.scalar(select(Participation).where(Participation.ballot_id == ballot.id,
                                                         Participation.voter_id == voter.id))


def _lock_open(ballot: Ballot) -> Ballot:
    # Hold the ballot row while casting, so that closing waits for casts under way.
    ballot = db.session.scalar(select(Ballot).where(Ballot.id == ballot.id).with_for_update(read=True))
    if not TRANSITIONS.allows(ballot.state, "cast") or (ballot.closes_at is not None and utcnow() >= ballot.closes_at):
        raise _not_open()
    return ballot


def _record(ballot: Ballot, voter: BallotVoter, *, actor, marks: str, client_key=None,
            channel=Channel.online, evidence=None, witness=None) -> Optional[str]:
    receipt = secrets.token_hex(16)
    named = ballot.secrecy is Secrecy.named
    try:
        with db.session.begin_nested():
            db.session.add(Participation(ballot_id=ballot.id, voter_id=voter.id, cast_by_id=actor.id,
                                         client_key=client_key, channel=channel, choice=marks if named else None,
                                         receipt=receipt if named else None, evidence=evidence, witness=witness))
            if not named:
                weight = voter.area if RULES[ballot.rule].by_area else Decimal("0")
                db.session.add(BallotBoxEntry(ballot_id=ballot.id, choice=marks, area=weight, receipt=receipt))
    except IntegrityError:
        raise _already_voted(ballot, channel)
    _still_open(ballot)
    return receipt


def _already_voted(ballot: Ballot, channel: Channel = Channel.online) -> Conflict:
    if channel is not Channel.online:
        return Conflict(_l("This vote has already been cast, online or on paper."))
    if ballot.electorate is Electorate.households:
        return Conflict(_l("Your household has already voted."))
    return Conflict(_l("You have already voted."))


def _outside() -> NotAllowed:
    return NotAllowed(_l("You are not in the electorate of this ballot."))


def _not_open() -> InvalidTransition:
    return InvalidTransition(_l("This ballot is not open."))


def _still_open(ballot: Ballot) -> None:
    # On SQLite the write lock is taken only by the insert: look again, now that no close
    # can slip in, so that a vote racing the close is refused rather than left uncounted.
    state = db.session.execute(select(Ballot.state).where(Ballot.id == ballot.id)).scalar_one()
    if not TRANSITIONS.allows(state, "cast"):
        raise _not_open()


@dataclass
class CastRequest:
    """One vote cast online, as ``cast`` takes it; ``cast_many`` takes a batch of them.
    ``locale``: the language its refusal is worded in, when not the current one (a batch
    holds the casts of people who read different languages)."""

    actor: User
    choice: Marks
    client_key: Optional[str] = None
    household: Optional[Household] = None
    receipt: Optional[str] = None
    locale: Optional[str] = None


def cast(ballot: Ballot, *, actor, choice: Marks, client_key: Optional[str] = None,
         household: Optional[Household] = None, receipt: Optional[str] = None) -> str:
    """Cast one vote online; returns the receipt. The database allows one participation per
    voter, so a second member of a household, a racing co-owner or a retry all find the
    vote already counted. A retry with the same ``client_key`` gets its receipt back
    (a secret vote's receipt is shown once and kept nowhere but in the box). Where the
    ballot allows it, a vote already cast is changed once (``_change``): a secret vote by
    its ``receipt``. One cast is a batch of one (``cast_many``)."""
    [answer] = cast_many(ballot, [CastRequest(actor, choice, client_key, household, receipt)])
    if isinstance(answer, DomainError):
        raise answer
    return answer


def cast_many(ballot: Ballot, casts: list[CastRequest]) -> list[Union[str, DomainError]]:
    """Cast a batch of votes arriving together (the live room's burst) in the running
    transaction, by the rules of ``cast`` and with the answers it would give them one after
    another, in this order: each cast's receipt, or the error that refuses that cast alone.

    The ballot, the retries (client keys), the voters and the votes already cast are read
    once for the batch; the participations, the box entries and the audit entries are
    written with one statement each, the box entries in a random order. A cast that meets
    an earlier one of the batch (the same voter, the same client key) waits for the next
    round, which reads what the first wrote. If the database refuses a round's insert (a
    vote written meanwhile by another process), each of its votes is written again alone,
    as ``cast`` writes one."""
    answers: list = [None] * len(casts)
    try:
        ballot = _lock_open(ballot)
    except InvalidTransition:
        return [_worded(c, _not_open) for c in casts]
    valid = set(ballot.choice_keys())
    waiting = list(range(len(casts)))
    while waiting:
        waiting = _cast_round(ballot, casts, waiting, answers, valid)
    return answers


def _speaking(locale: Optional[str]):
    return force_locale(locale) if locale else nullcontext()


def _worded(request: CastRequest, refuse: Callable[[], object]) -> DomainError:
    """The error that ``refuse`` returns or raises, worded in the caster's language (only a
    refusal is worded: switching the language for every cast of a burst costs)."""
    with _speaking(request.locale):
        try:
            error = refuse()
        except DomainError as raised:
            error = raised
    assert isinstance(error, DomainError)
    return error


def _cast_round(ballot: Ballot, casts: list[CastRequest], waiting: list[int], answers: list,
                valid: set[str]) -> list[int]:
    """One round of ``cast_many``: answers the casts it settles, writes the votes; returns
    the casts left for the next round."""
    earlier = _by_client_key(ballot, {casts[n].client_key for n in waiting if casts[n].client_key})
    todo = []
    for n in waiting:
        request = casts[n]
        known = earlier.get(request.client_key) if request.client_key else None
        if known is not None and known[0] == request.actor.id:
            answers[n] = known[1] or ""          # a retry: its vote is counted
        else:
            todo.append(n)
    voters = _voters_of(ballot, [casts[n] for n in todo])
    voted = {p.voter_id: p for p in db.session.scalars(select(Participation).where(
        Participation.ballot_id == ballot.id, Participation.voter_id.in_({v.id for v in voters if v})))} \
        if any(voters) else {}
    later, writing, voters_taken, keys_taken = [], [], set(), set()
    for n, voter in zip(todo, voters):
        request = casts[n]
        if voter is None:
            answers[n] = _worded(request, _outside)
            continue
        try:
            marks = marks_of(ballot, request.choice, valid)
        except DomainError:
            answers[n] = _worded(request, lambda: marks_of(ballot, request.choice, valid))
            continue
        if voter.id in voters_taken or (request.client_key and request.client_key in keys_taken):
            later.append(n)       # after the cast it meets, as if one after the other
            continue
        voters_taken.add(voter.id)
        if voter.id in voted and ballot.changes is VoteChanges.once:
            with _speaking(request.locale):
                try:
                    with db.session.begin_nested():
                        answers[n] = _change(ballot, voted[voter.id], actor=request.actor, marks=marks,
                                             receipt=request.receipt, client_key=request.client_key)
                except DomainError as error:
                    answers[n] = error
            continue
        if voter.id in voted or request.client_key in earlier:
            # As when the insert finds the vote counted: a retry whose first cast committed
            # since the client keys were read gets that vote's receipt back.
            known = _by_client_key(ballot, {request.client_key}).get(request.client_key) \
                if request.client_key else None
            if known is not None and known[0] == request.actor.id:
                answers[n] = known[1] or ""
            else:
                answers[n] = _worded(request, lambda: _already_voted(ballot))
            continue
        if request.client_key:
            keys_taken.add(request.client_key)
        writing.append((n, voter, marks))
    _write_votes(ballot, casts, writing, answers)
    return later


def _by_client_key(ballot: Ballot, keys: set[str]) -> dict[str, tuple[int, Optional[str]]]:
    """The votes of ``ballot`` already cast under these client keys: who cast them, and the
    receipt of a named vote."""
    if not keys:
        return {}
    return {key: (by, receipt) for key, by, receipt in db.session.execute(
        select(Participation.client_key, Participation.cast_by_id, Participation.receipt)
        .where(Participation.ballot_id == ballot.id, Participation.client_key.in_(keys)))}


def _write_votes(ballot: Ballot, casts: list[CastRequest], writing: list[tuple[int, BallotVoter, str]],
                 answers: list) -> None:
    """Write a round's votes with one statement per table, in a savepoint of their own."""
    if not writing:
        return
    named = ballot.secrecy is Secrecy.named
    by_area = RULES[ballot.rule].by_area
    receipts = [secrets.token_hex(16) for _ in writing]
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Participation), [
                {"ballot_id": ballot.id, "voter_id": voter.id, "cast_by_id": casts[n].actor.id,
                 "client_key": casts[n].client_key, "channel": Channel.online, "choice": marks if named else None,
                 "receipt": receipt if named else None}
                for (n, voter, marks), receipt in zip(writing, receipts)])
            if not named:
                entries = [{"ballot_id": ballot.id, "receipt": receipt, "choice": marks,
                            "area": voter.area if by_area else Decimal("0")}
                           for (_n, voter, marks), receipt in zip(writing, receipts)]
                # Nothing of the order of casting goes into the box, not even within a batch.
                secrets.SystemRandom().shuffle(entries)
                db.session.execute(insert(BallotBoxEntry), entries)
            # The audit log says that a vote was cast, never what.
            audit.record_many("ballot.cast", ballot, actors=[casts[n].actor for n, _v, _m in writing],
                              place=ballot.place)
            _still_open(ballot)
    except IntegrityError:
        for n, voter, marks in writing:
            with _speaking(casts[n].locale):
                try:
                    answers[n] = _write_one(ballot, voter, casts[n], marks)
                except DomainError as error:
                    answers[n] = error
        return
    except InvalidTransition:
        for n, _voter, _marks in writing:
            answers[n] = _worded(casts[n], _not_open)
        return
    for (n, _voter, _marks), receipt in zip(writing, receipts):
        answers[n] = receipt


def _write_one(ballot: Ballot, voter: BallotVoter, request: CastRequest, marks: str) -> str:
    """One vote written alone, when its batch's insert was refused."""
    try:
        with db.session.begin_nested():
            receipt = _record(ballot, voter, actor=request.actor, marks=marks, client_key=request.client_key)
            audit.record("ballot.cast", ballot, actor=request.actor, place=ballot.place)
    except Conflict:
        # The same cast, retried while the first was still under way, lost the race to it.
        known = _by_client_key(ballot, {request.client_key}).get(request.client_key) if request.client_key else None
        if known is not None and known[0] == request.actor.id:
            return known[1] or ""
        raise
    return receipt or ""


def _change(ballot: Ballot, participation: Participation, *, actor, marks: str, receipt: Optional[str],
            client_key: Optional[str]) -> str:
    """Change a vote once, before the close. A named vote is changed on its participation.
    A secret vote is found in the box only by the receipt its voter was shown: its entry is
    replaced by one under a fresh receipt, with the same weight, and nothing written links
    the voter to either (the participation records only that and when the vote changed).
    The old entry is overwritten where it lay (SQLite's secure_delete); on PostgreSQL the
    count rewrites the whole box in receipt order, as for every secret ballot. As nothing
    ties an entry to its voter, the receipt is the key until the count: a voter who gave
    theirs away would find it missing from the published box, and object."""
    if participation.channel is not Channel.online:
        raise Conflict(_l("A vote entered from a signed paper ballot cannot be changed online."))
    if participation.cast_by_id != actor.id:
        raise Conflict(_l("Only the person who cast the vote can change it."))
    named = ballot.secrecy is Secrecy.named
    changed = db.session.execute(
        update(Participation).where(Participation.id == participation.id, Participation.changed_at.is_(None))
        .values(changed_at=utcnow(), client_key=client_key, choice=marks if named else None))
    if changed.rowcount != 1:
        raise Conflict(_l("You have already changed your vote once."))
    db.session.refresh(participation)
    audit.record("ballot.change", ballot, actor=actor, place=ballot.place)
    if named:
        return participation.receipt or ""
    weight = participation.voter.area if RULES[ballot.rule].by_area else Decimal("0")
    old = (receipt or "").strip().lower()[:32]
    entry = db.session.scalar(select(BallotBoxEntry).where(
        BallotBoxEntry.ballot_id == ballot.id, BallotBoxEntry.receipt == old, BallotBoxEntry.area == weight))
    if entry is None:
        raise InvalidInput(_l("No vote of yours has this receipt: give the receipt you were shown when you voted."))
    fresh = secrets.token_hex(16)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        secure = db.session.execute(text("PRAGMA secure_delete")).scalar()
        db.session.execute(text("PRAGMA secure_delete = 1"))
    try:
        db.session.execute(text("DELETE FROM ballot_box WHERE ballot_id = :ballot AND receipt = :receipt"),
                           {"ballot": ballot.id, "receipt": old})
        db.session.expunge(entry)
        db.session.execute(insert(BallotBoxEntry).values(ballot_id=ballot.id, receipt=fresh, choice=marks,
                                                         area=weight))
    finally:
        if sqlite:
            db.session.execute(text(f"PRAGMA secure_delete = {'FAST' if secure == 2 else int(secure)}"))
    return fresh


def enter_paper(ballot: Ballot, voter: BallotVoter, *, actor, choice: Marks, photo: bytes, witness: str,
                config) -> Participation:
    """代投: a grid worker or moderator enters a signed paper ballot for a voter, with a
    photo of the paper and a witness. It takes the voter's one vote like an online cast."""
    from ..photos import encode_photo, save_photo

    permissions.require(permissions.can_enter_paper(actor, ballot, voter))
    if ballot.secrecy is not Secrecy.named:
        raise InvalidInput(_l("Paper ballots are entered for named ballots only."))
    ballot = _lock_open(ballot)
    if voter.ballot_id != ballot.id:
        raise InvalidInput(_l("This voter is not in the electorate of this ballot."))
    witness = (witness or "").strip()
    if not witness or len(witness) > WITNESS_MAX:
        raise InvalidInput(_l("Name the witness in at most %(n)d characters.", n=WITNESS_MAX))
    marks = marks_of(ballot, choice)
    jpeg, _w, _h = encode_photo(photo, config=config)
    _record(ballot, voter, actor=actor, marks=marks, channel=Channel.paper, witness=witness,
            evidence="pending")
    participation = participation_of(ballot, voter)
    participation.evidence = save_photo(jpeg, config=config)
    audit.record("ballot.paper", ballot, actor=actor, place=ballot.place, voter=voter.voter_key)
    notifications.notify_ids(_people_of(ballot, voter), "ballot.paper_entered", skip=actor, ballot=ballot.id,
                         question=ballot.question)
    return participation


def cast_for(ballot: Ballot, voter: BallotVoter, *, actor, choice: Marks, channel: Channel,
             witness: Optional[str] = None, evidence: Optional[str] = None) -> str:
    """``voter``'s one vote cast by someone else — an owner's proxy (``Channel.proxy``), a
    helper on whose phone the owner votes (``Channel.assisted``) — once the calling domain
    has checked that they may (the authorisation; the owner's own code or signature). The
    constraint on every vote keeps it to one; returns the receipt."""
    ballot = _lock_open(ballot)
    if voter.ballot_id != ballot.id:
        raise InvalidInput(_l("This voter is not in the electorate of this ballot."))
    receipt = _record(ballot, voter, actor=actor, marks=marks_of(ballot, choice), channel=channel,
                      witness=witness, evidence=evidence)
    audit.record(f"ballot.{channel.value}", ballot, actor=actor, place=ballot.place, voter=voter.voter_key)
    return receipt or ""


# --- counting and closing ----------------------------------------------------------------

def _tally_rows(ballot: Ballot, rows, eligible: Count) -> Tally:
    marks: dict[str, list] = defaultdict(lambda: [0, Decimal("0")])
    cast_n, cast_area = 0, Decimal("0")
    for choice, n, area in rows:
        area = Decimal(area)
        cast_n, cast_area = cast_n + n, cast_area + area
        for key in choice.split(","):
            marks[key][0] += n
            marks[key][1] += area
    return Tally(eligible, Count(cast_n, cast_area), {k: Count(n, a) for k, (n, a) in marks.items()})


def tally(ballot: Ballot) -> Tally:
    eligible = electorate_size(ballot)
    if ballot.secrecy is Secrecy.named:
        rows = db.session.execute(
            select(Participation.choice, func.count(), func.coalesce(func.sum(BallotVoter.area), 0))
            .join(BallotVoter, BallotVoter.id == Participation.voter_id)
            .where(Participation.ballot_id == ballot.id).group_by(Participation.choice)).all()
    else:
        rows = db.session.execute(
            select(BallotBoxEntry.choice, func.count(), func.coalesce(func.sum(BallotBoxEntry.area), 0))
            .where(BallotBoxEntry.ballot_id == ballot.id).group_by(BallotBoxEntry.choice)).all()
    return _tally_rows(ballot, rows, eligible)


def _by_building(ballot: Ballot) -> list[dict]:
    """Named ballots: participation and marks per building."""
    eligible = db.session.execute(
        select(BallotVoter.building_id, func.count(), func.coalesce(func.sum(BallotVoter.area), 0))
        .where(BallotVoter.ballot_id == ballot.id).group_by(BallotVoter.building_id)).all()
    rows = db.session.execute(
        select(BallotVoter.building_id, Participation.choice, func.count(),
               func.coalesce(func.sum(BallotVoter.area), 0))
        .join(BallotVoter, BallotVoter.id == Participation.voter_id)
        .where(Participation.ballot_id == ballot.id)
        .group_by(BallotVoter.building_id, Participation.choice)).all()
    # Each building named from below the ballot's place ("北区 1号楼", not the whole address).
    names = {p.id: " ".join([a.name for a in p.ancestors() if a.is_within(ballot.place) and a.id != ballot.place_id]
                            + [p.name]) for p in db.session.scalars(
        select(Place).where(Place.id.in_([b for b, _n, _a in eligible if b])))}
    out = []
    for building_id, n, area in sorted(eligible, key=lambda r: (r[0] is None, [natural_key(w) for w in
                                                                                names.get(r[0], "").split(" ")])):
        counted = _tally_rows(ballot, [(c, k, a) for b, c, k, a in rows if b == building_id],
                              Count(n, Decimal(area)))
        out.append({"building": names.get(building_id, ""), **_counts(counted)})
    return out


_counts = counting.counts
decide = counting.decide


def closes_early(ballot: Ballot) -> bool:
    """Closing now would end the voting before the closing time announced to the voters."""
    return ballot.closes_at is not None and utcnow() < ballot.closes_at


def _rewrite_box(ballot: Ballot) -> None:
    """Write a secret ballot's box afresh in receipt order, in the transaction that counts
    it: the rows then sit where the random receipts put them and all carry this one
    transaction, so that nothing of the order in which they were cast (PostgreSQL's ctid
    and xmin) remains. On SQLite, where the table is stored in key order already, the old
    cells are overwritten with zeros (secure_delete), so that the database file keeps no
    trace of the order in which they were written either."""
    columns, where = "ballot_id, receipt, choice, area", {"ballot": ballot.id}
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        secure = db.session.execute(text("PRAGMA secure_delete")).scalar()
        db.session.execute(text("PRAGMA secure_delete = 1"))
    try:
        db.session.execute(text(f"CREATE TEMPORARY TABLE ballot_box_rewrite AS SELECT {columns} FROM ballot_box "
                                "WHERE ballot_id = :ballot"), where)
        db.session.execute(text("DELETE FROM ballot_box WHERE ballot_id = :ballot"), where)
        db.session.execute(text(f"INSERT INTO ballot_box ({columns}) SELECT {columns} FROM ballot_box_rewrite "
                                "ORDER BY receipt"))
        db.session.execute(text("DROP TABLE ballot_box_rewrite"))
    finally:
        if sqlite:
            db.session.execute(text(f"PRAGMA secure_delete = {'FAST' if secure == 2 else int(secure)}"))


def close_ballot(ballot: Ballot, *, actor, reason: Optional[str] = None) -> Ballot:
    """Close, count and freeze the result. ``actor`` is None when a ballot over a period
    closes by itself. Closing before the announced closing time needs a reason, which
    stays with the result."""
    reason = (reason or "").strip() or None
    if actor is not None:
        permissions.require(permissions.can_run_ballot(actor, ballot))
        if closes_early(ballot) and reason is None:
            raise InvalidInput(_l("The voters were told the ballot closes later: give the reason for closing it now."))
        if reason is not None and len(reason) > 500:
            raise InvalidInput(_l("Give the reason in at most 500 characters."))
    step = TRANSITIONS["close"]
    closed = db.session.execute(update(Ballot).where(Ballot.id == ballot.id, Ballot.state.in_(step.sources))
                                .values(state=step.target, closed_at=utcnow()))
    if closed.rowcount != 1:
        raise InvalidTransition(_l("This ballot is not open."))
    db.session.refresh(ballot)
    if ballot.secrecy is Secrecy.secret:
        _rewrite_box(ballot)
    named = ballot.secrecy is Secrecy.named
    ballot.result = counting.result(ballot, tally(ballot), buildings=_by_building(ballot) if named else [],
                                    reason=reason)
    passed = ballot.result["passed"]
    audit.record("ballot.close", ballot, actor=actor, place=ballot.place, passed=passed, reason=reason)
    if counting.staged(ballot):
        # An owners' decision: the result is preliminary, open to objections; only the
        # final result decides the matter (``results.finalize``).
        _publish_preliminary(ballot, actor=actor)
        return ballot
    ballot_closed.send(ballot, passed=passed,
                       summary=ballot.result["explanation"].get(current_app.config["BABEL_DEFAULT_LOCALE"], ""))
    notifications.notify_ids(_people_of(ballot), "ballot.closed", skip=actor, ballot=ballot.id,
                         question=ballot.question)
    return ballot


def _publish_preliminary(ballot: Ballot, *, actor) -> None:
    """At the close of an owners' ballot: the result is preliminary, published with the
    per-unit record, and open to objections for ``OWNERS_OBJECTION_DAYS``."""
    days = current_app.config["OWNERS_OBJECTION_DAYS"]
    ballot.stage = ResultStage.preliminary
    ballot.objections_until = ballot.closed_at + timedelta(days=days)
    audit.record("ballot.preliminary", ballot, actor=actor, place=ballot.place, days=days)
    notifications.notify_ids(_people_of(ballot), "ballot.preliminary", skip=actor, ballot=ballot.id,
                             question=ballot.question)


def advance(ballot: Ballot, now: Optional[datetime] = None) -> bool:
    """Open or close a ballot over a period whose time has come; True if it changed. Run
    by the server's loop (``advance_due``) and, for the one ballot a page shows, on access
    once the viewer may see it. An opening that fails (nobody could vote) is not tried
    again: the ballot stays a draft without an opening time and those who drafted it are
    told, once."""
    now = now or utcnow()
    if not is_due(ballot, now):
        return False
    if ballot.state is BallotState.draft:
        try:
            with db.session.begin_nested():
                open_ballot(ballot, actor=None)
        except DomainError as error:
            _opening_failed(ballot, error)
        return True
    close_ballot(ballot, actor=None)
    return True


def is_due(ballot: Ballot, now: Optional[datetime] = None) -> bool:
    """Whether ``advance`` would open or close the ballot now."""
    now = now or utcnow()
    return (TRANSITIONS.allows(ballot.state, "open") and ballot.opens_at is not None and now >= ballot.opens_at
            and ballot.electorate is not Electorate.attendees) or \
        (TRANSITIONS.allows(ballot.state, "close") and ballot.closes_at is not None and now >= ballot.closes_at)


def _opening_failed(ballot: Ballot, error: DomainError) -> None:
    ballot.opens_at = None
    audit.record("ballot.open_failed", ballot, actor=None, place=ballot.place, reason=error.message)
    notifications.notify_ids([ballot.created_by_id], "ballot.open_failed", ballot=ballot.id,
                             question=ballot.question, reason=error.message)


def _due(now: datetime):
    return select(Ballot).where(
        (Ballot.state.in_(TRANSITIONS["open"].sources) & (Ballot.opens_at <= now)
         & (Ballot.electorate != Electorate.attendees))
        | (Ballot.state.in_(TRANSITIONS["close"].sources) & (Ballot.closes_at <= now))).order_by(Ballot.id)


def due_ballots(now: Optional[datetime] = None) -> list[Ballot]:
    return list(db.session.scalars(_due(now or utcnow())))


def advance_is_due(now: Optional[datetime] = None) -> bool:
    """Is a ballot over a period due to open or close? A read, so that the loop writes
    only when something is due."""
    return db.session.scalar(_due(now or utcnow()).limit(1)) is not None


def advance_due(now: Optional[datetime] = None) -> int:
    """Open and close every ballot over a period whose time has come: the server's loop
    runs this. Returns how many changed."""
    now = now or utcnow()
    return sum(advance(ballot, now) for ballot in due_ballots(now))


# --- finding ---------------------------------------------------------------------------

def ballots_for(user, *, limit: int = 50) -> list[Ballot]:
    """The ballots of the places a person lives in (and the places above), of the places
    they serve, and those they attend; open ones first."""
    conditions = [Ballot.id.in_(select(BallotVoter.ballot_id).where(BallotVoter.user_id == user.id))]
    above: set[int] = set()
    for membership in user.memberships:
        above.update(membership.household.place.ancestor_ids)
    if above:
        conditions.append(Ballot.place_id.in_(above))
    for grant in user.grants:
        served = [grant.place] if grant.place is not None else grant.grid.buildings if grant.grid else []
        if grant.place is None and grant.grid is None:
            conditions.append(Ballot.id.is_not(None))   # an installation-wide administrator
        conditions += [Place.path.startswith(p.path, autoescape=True) for p in served]
    rows = db.session.scalars(select(Ballot).join(Ballot.place).where(or_(*conditions))
                              .order_by(Ballot.id.desc()).limit(limit * 2)).all()
    visible = [b for b in rows if permissions.can_view_ballot(user, b)]
    order = {BallotState.open: 0, BallotState.draft: 1, BallotState.closed: 2}
    return sorted(visible, key=lambda b: (order[b.state], -b.id))[:limit]


def unvoted_for(user, *, limit: int = 20) -> list[Ballot]:
    """Open ballots in which ``user`` holds a vote (their household's, their own) that has
    not been cast yet, newest first: for the home page."""
    waiting = []
    for ballot in ballots_for(user, limit=limit * 2):
        if ballot.state is not BallotState.open:
            continue
        voter = voter_of(ballot, user)
        if voter is not None and participation_of(ballot, voter) is None:
            waiting.append(ballot)
    return sorted(waiting, key=lambda b: b.id, reverse=True)[:limit]


def paper_desks_for(user, *, limit: int = 20) -> list[Ballot]:
    """Open ballots whose paper votes ``user`` enters as a grid worker or building leader
    (代投), newest first. Moderators run their ballots from the ballot's page."""
    helpers = (Role.grid_worker, Role.building_leader)
    if not any(g.role in helpers for g in user.grants):
        return []
    rows = [b for b in ballots_for(user, limit=limit * 2) if b.state is BallotState.open]
    return [b for b in rows if permissions.can_enter_paper(user, b)][:limit]


def ballots_in(place: Place, *, limit: int = 100) -> list[Ballot]:
    return list(db.session.scalars(select(Ballot).join(Ballot.place)
                                   .where(Place.path.startswith(place.path, autoescape=True))
                                   .order_by(Ballot.id.desc()).limit(limit)))


def address_pattern(q: str):
    """A desk's search as a pattern over compact addresses ("富成花园社区1号楼1单元302"):
    "302", "1号楼302" or "1号楼1单元302" find that room in that order; a number matches a
    whole number only, so "1号楼" is not "11号楼" and "302" is not "1302". None when the
    search holds no number (a name)."""
    compact = re.sub(r"\s+", "", q or "")
    if not re.search(r"\d", compact):
        return None
    parts = []
    for token in re.findall(r"\d+\D*|\D+", compact):
        part = re.escape(token)
        if token[0].isdigit():
            part = r"(?<!\d)" + part
        if token[-1].isdigit():
            part += r"(?!\d)"
        parts.append(part)
    return re.compile(".*?".join(parts))


def _voter_homes(ballot: Ballot) -> dict[int, list[int]]:
    """Each voter's households within the ballot's place: their own for a household vote,
    the units an owner votes for, the homes of an attendee."""
    within = Place.path.startswith(ballot.place.path, autoescape=True)
    rows = db.session.execute(select(BallotVoter.id, BallotVoter.household_id, BallotVoter.user_id)
                              .where(BallotVoter.ballot_id == ballot.id)).all()
    homes: dict[int, list[int]] = {vid: [hid] if hid else [] for vid, hid, _ in rows}
    by_user = defaultdict(list)
    members = select(HouseholdMember.user_id, HouseholdMember.household_id).join(HouseholdMember.household) \
        .join(Household.place).where(within, HouseholdMember.user_id.in_(
            select(BallotVoter.user_id).where(BallotVoter.ballot_id == ballot.id)))
    if ballot.electorate is Electorate.owners:
        members = members.where(HouseholdMember.is_designated_voter.is_(True))
    for uid, hid in db.session.execute(members):
        by_user[uid].append(hid)
    for vid, hid, uid in rows:
        if not hid and uid:
            homes[vid] = by_user.get(uid, [])
    return homes


def voters_page(ballot: Ballot, *, q: str = "", page: int = 1, per_page: int = 50):
    """The electorate in address order (building, entrance, room), a page of it, with each
    vote's participation (or None): for the paper-ballot desk and the signed list. ``q``
    finds an address ("302", "1号楼1单元302"), a name or a mobile number, on a household
    vote as on an owners' vote."""
    from ..places import service as places

    homes = _voter_homes(ballot)
    households = places.households_in(ballot.place)
    rank = {h.id: i for i, h in enumerate(households)}
    chosen = set(homes)
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        named = select(BallotVoter.id).outerjoin(User, User.id == BallotVoter.user_id).where(
            BallotVoter.ballot_id == ballot.id,
            or_(User.name.like(like), User.phone.like(like), BallotVoter.household_id.in_(
                select(HouseholdMember.household_id).join(User).where(
                    or_(User.name.like(like), User.phone.like(like))))))
        chosen = set(db.session.scalars(named))
        pattern = address_pattern(q)
        if pattern is not None:
            names = {}
            for h in households:
                if h.place_id not in names:
                    names[h.place_id] = h.place.full_name.replace(" ", "")
            found = {h.id for h in households if pattern.search(names[h.place_id] + h.room)}
            chosen |= {vid for vid, hids in homes.items() if found.intersection(hids)}
    unplaced = len(rank)
    ordered = sorted(chosen, key=lambda vid: (min((rank.get(h, unplaced) for h in homes[vid]), default=unplaced),
                                              vid))
    total = len(ordered)
    shown = ordered[(max(page, 1) - 1) * per_page:][:per_page]
    query = select(BallotVoter, Participation).outerjoin(Participation, Participation.voter_id == BallotVoter.id) \
        .where(BallotVoter.ballot_id == ballot.id)
    if len(shown) <= 1000:   # a page; the whole list (the signed list) is read at once
        query = query.where(BallotVoter.id.in_(shown))
    found_rows = {voter.id: (voter, part) for voter, part in db.session.execute(query).all()} if shown else {}
    return [found_rows[vid] for vid in shown], total


def turnout(ballot: Ballot) -> Count:
    """How many have voted so far (never what): headcount and area."""
    n, area = db.session.execute(
        select(func.count(), func.coalesce(func.sum(BallotVoter.area), 0)).select_from(Participation)
        .join(BallotVoter, BallotVoter.id == Participation.voter_id)
        .where(Participation.ballot_id == ballot.id)).one()
    return Count(n, Decimal(area))


def electorate_size(ballot: Ballot) -> Count:
    n, area = db.session.execute(select(func.count(), func.coalesce(func.sum(BallotVoter.area), 0))
                                 .where(BallotVoter.ballot_id == ballot.id)).one()
    return Count(n, Decimal(area))


def box_page(ballot: Ballot, *, receipt: str = "", page: int = 1, per_page: int = 50):
    """The published box of a closed secret ballot, in receipt order (which says nothing
    of when a vote was cast)."""
    query = select(BallotBoxEntry).where(BallotBoxEntry.ballot_id == ballot.id)
    if receipt:
        query = query.where(BallotBoxEntry.receipt == receipt)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(BallotBoxEntry.receipt).limit(per_page)
                              .offset((max(page, 1) - 1) * per_page)).all()
    return rows, total
