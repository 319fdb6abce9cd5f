"""Bringing every owner in: the turnout desk (participation per building and entrance
against the ballot's thresholds), the door-knocking list of a building and its visits,
reminders to a building's non-voters, assisted votes confirmed by the owner, and the
rotating code that signs people in at a meeting held in a hall."""
from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import permissions
from ..accounts.models import Role, User
from ..audit import service as audit
from ..clock import local_today, utcnow
from ..database import on_commit
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, TooManyAttempts
from ..extensions import db
from ..meetings import service as meetings
from ..meetings.models import Meeting, MeetingForm
from ..notifications import channels as channel_registry
from ..notifications import service as notifications
from ..notifications.outbox import DeliverySetting, Outgoing
from ..places import service as places
from ..places.models import Household, HouseholdMember, Place, PlaceKind, natural_key
from ..voting import service as voting
from ..voting.models import Ballot, BallotState, BallotVoter, Channel, Electorate, Participation
from ..voting.rules import RULES
from .models import AssistCode, BuildingReminder, DoorOutcome, DoorVisit

NOTE_MAX = 200
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODE_INTERVAL_SECONDS = 60
# The sign-in code shown in a hall changes every this many seconds; the one before is
# still taken, so that a scan just as it changes goes through.
SIGN_IN_WINDOW_SECONDS = 30
HELPERS = (Role.grid_worker, Role.building_leader)
TWO_THIRDS = Fraction(2, 3)


# --- the desk ----------------------------------------------------------------------------

@dataclass
class Figures:
    """Participation of a group of voters: how many and how much area, of how many."""
    name: str = ""
    place_id: Optional[int] = None
    eligible: int = 0
    eligible_area: Decimal = Decimal("0")
    cast: int = 0
    cast_area: Decimal = Decimal("0")

    @property
    def missing(self) -> int:
        return self.eligible - self.cast

    @property
    def share(self) -> Fraction:
        return Fraction(self.cast, self.eligible) if self.eligible else Fraction(0)

    @property
    def area_share(self) -> Fraction:
        return Fraction(self.cast_area) / Fraction(self.eligible_area) if self.eligible_area else Fraction(0)

    @property
    def percent(self) -> str:
        return f"{float(self.share) * 100:.1f}"

    @property
    def area_percent(self) -> str:
        return f"{float(self.area_share) * 100:.1f}"

    @property
    def two_thirds(self) -> bool:
        """Both shares reach two thirds (art. 278's participation)."""
        return self.share >= TWO_THIRDS and self.area_share >= TWO_THIRDS

    def add(self, other: "Figures") -> None:
        self.eligible += other.eligible
        self.eligible_area += other.eligible_area
        self.cast += other.cast
        self.cast_area += other.cast_area


@dataclass
class Desk:
    ballot: Ballot
    by_area: bool                      # the rule needs two thirds of the area and of the owners
    overall: Figures                   # the whole ballot
    mine: Figures                      # the buildings shown
    buildings: list[Figures] = field(default_factory=list)


def served_buildings(user, ballot: Ballot) -> Optional[set[int]]:
    """The buildings whose voters ``user`` may see on the desk: None for all of them (the
    moderators of the ballot's place), else those of their grids and places as a grid
    worker or building leader."""
    if permissions.moderates(user, ballot.place):
        return None
    ids: set[int] = set()
    for grant in user.grants:
        if grant.role not in HELPERS:
            continue
        if grant.grid is not None:
            ids.update(b.id for b in grant.grid.buildings)
        elif grant.place is not None:
            if grant.place.kind is PlaceKind.entrance:
                ids.add(grant.place.parent_id)
            else:
                ids.update(db.session.scalars(grant.place.descendants_query().with_only_columns(Place.id)
                                              .where(Place.kind == PlaceKind.building)))
    return ids


def _require_watch(actor, ballot: Ballot) -> None:
    permissions.require(permissions.can_watch_turnout(actor, ballot),
                        _l("Only the staff who serve this ballot's buildings can see who has not voted."))


def _figures(query) -> list[Figures]:
    return [Figures(place_id=key, eligible=n, eligible_area=Decimal(area), cast=c, cast_area=Decimal(c_area))
            for key, n, area, c, c_area in db.session.execute(query)]


def _counted(query, key):
    voted = Participation.id.is_not(None)
    return query.add_columns(func.count(BallotVoter.id), func.coalesce(func.sum(BallotVoter.area), 0),
                             func.count(Participation.id),
                             func.coalesce(func.sum(case((voted, BallotVoter.area), else_=0)), 0)) \
        .outerjoin(Participation, (Participation.ballot_id == BallotVoter.ballot_id)
                   & (Participation.voter_id == BallotVoter.id)).group_by(key)


def names_below(ballot: Ballot, place_ids) -> dict[int, str]:
    """Each place named from below the ballot's place ("北区 1号楼"), with one query for
    all their ancestors."""
    found = list(db.session.scalars(select(Place).where(Place.id.in_(list(place_ids))))) if place_ids else []
    above = {i for p in found for i in p.ancestor_ids}
    names = dict(db.session.execute(select(Place.id, Place.name).where(Place.id.in_(above),
                                                                       Place.kind != PlaceKind.subdistrict)).all()) \
        if above else {}
    out = {}
    for place in found:
        ids = place.ancestor_ids
        start = ids.index(ballot.place_id) + 1 if ballot.place_id in ids else 0
        out[place.id] = " ".join(names[i] for i in ids[start:] if i in names) or place.name
    return out


def desk(ballot: Ballot, *, actor) -> Desk:
    """Participation per building, for the buildings ``actor`` serves, with the ballot's
    overall figures and the thresholds its rule needs (never what anyone voted)."""
    _require_watch(actor, ballot)
    served = served_buildings(actor, ballot)
    query = _counted(select(BallotVoter.building_id).where(BallotVoter.ballot_id == ballot.id),
                     BallotVoter.building_id)
    rows = _figures(query)
    overall = Figures()
    for row in rows:
        overall.add(row)
    shown = [r for r in rows if served is None or r.place_id in served]
    names = names_below(ballot, {r.place_id for r in shown if r.place_id})
    for row in shown:
        row.name = names.get(row.place_id, "")
    shown.sort(key=lambda r: (r.place_id is None, [natural_key(w) for w in r.name.split(" ")]))
    mine = Figures()
    for row in shown:
        mine.add(row)
    by_area = RULES[ballot.rule].by_area
    return Desk(ballot=ballot, by_area=by_area, overall=overall, mine=mine, buildings=shown)


def building_of_ballot(ballot: Ballot, building: Place) -> None:
    """Refuse a building that holds none of the ballot's voters."""
    found = db.session.scalar(select(BallotVoter.id).where(BallotVoter.ballot_id == ballot.id,
                                                           BallotVoter.building_id == building.id).limit(1))
    if found is None:
        raise InvalidInput(_l("No voter of this ballot lives in this building."))


def _require_canvass(actor, ballot: Ballot, building: Optional[Place]) -> None:
    permissions.require(permissions.can_canvass(actor, ballot, building),
                        _l("Only the staff who serve this building can do this."))


def _homes_in(ballot: Ballot, households: dict[int, Household],
              voters: list[BallotVoter]) -> dict[int, list[Household]]:
    """Each voter's homes among the building's ``households``: the household of a household
    vote, the units an owner is the designated voter of."""
    homes: dict[int, list[Household]] = {}
    by_user = defaultdict(list)
    users = [v.user_id for v in voters if v.household_id is None and v.user_id]
    if users:
        members = select(HouseholdMember.user_id, HouseholdMember.household_id).where(
            HouseholdMember.user_id.in_(users), HouseholdMember.household_id.in_(list(households)))
        if ballot.electorate is Electorate.owners:
            members = members.where(HouseholdMember.is_designated_voter.is_(True))
        for uid, hid in db.session.execute(members):
            by_user[uid].append(households[hid])
    for voter in voters:
        if voter.household_id is not None:
            homes[voter.id] = [households[voter.household_id]] if voter.household_id in households else []
        else:
            homes[voter.id] = by_user.get(voter.user_id, [])
    return homes


@dataclass
class Door:
    voter: BallotVoter
    homes: list
    people: list
    participation: Optional[Participation]
    last_visit: Optional[DoorVisit]

    @property
    def entrance(self) -> str:
        return self.homes[0].place.name if self.homes else ""


def _people_loaded(person):
    """Load with each person what naming them on a page asks (their roles and homes), in a
    few queries for a whole building rather than several per person."""
    return (person.selectinload(User.grants),
            person.selectinload(User.memberships).selectinload(HouseholdMember.household)
            .selectinload(Household.place))


def doors(ballot: Ballot, building: Place, *, actor) -> list[Door]:
    """Every voter of a building in address order (entrance, room), with their vote's
    participation (never what) and the last knock on their door: the door-knocking list
    is those without a participation."""
    _require_canvass(actor, ballot, building)
    building_of_ballot(ballot, building)
    rows = db.session.execute(select(BallotVoter, Participation)
                              .options(*_people_loaded(selectinload(BallotVoter.user)),
                                       *_people_loaded(selectinload(BallotVoter.household)
                                                       .selectinload(Household.members).selectinload(HouseholdMember.user)))
                              .outerjoin(Participation, (Participation.ballot_id == BallotVoter.ballot_id)
                                         & (Participation.voter_id == BallotVoter.id))
                              .where(BallotVoter.ballot_id == ballot.id, BallotVoter.building_id == building.id)).all()
    voters = [v for v, _p in rows]
    in_order = places.households_in(building)
    homes = _homes_in(ballot, {h.id: h for h in in_order}, voters)
    order = {h.id: i for i, h in enumerate(in_order)}
    last: dict[int, DoorVisit] = {}
    if voters:
        for visit in db.session.scalars(select(DoorVisit).options(selectinload(DoorVisit.by)).where(DoorVisit.ballot_id == ballot.id,
                                                               DoorVisit.voter_id.in_([v.id for v in voters]))
                                        .order_by(DoorVisit.at, DoorVisit.id)):
            last[visit.voter_id] = visit
    out = []
    for voter, part in rows:
        mine = sorted(homes[voter.id], key=lambda h: order.get(h.id, len(order)))
        people = [m.user for m in voter.household.members] if voter.household is not None else \
            [voter.user] if voter.user is not None else []
        out.append(Door(voter, mine, people, part, last.get(voter.id)))
    out.sort(key=lambda d: (min((order.get(h.id, len(order)) for h in d.homes), default=len(order)), d.voter.id))
    return out


def building_figures(ballot: Ballot, building: Place, found: list[Door]) -> list[Figures]:
    """Participation per entrance (or per building part holding households) of one
    building, from its doors."""
    by_place: dict[int, Figures] = {}
    for door in found:
        place = door.homes[0].place if door.homes else building
        figures = by_place.setdefault(place.id, Figures(name=place.name, place_id=place.id))
        figures.eligible += 1
        figures.eligible_area += door.voter.area
        if door.participation is not None:
            figures.cast += 1
            figures.cast_area += door.voter.area
    return sorted(by_place.values(), key=lambda f: natural_key(f.name))


def _require_open(ballot: Ballot) -> None:
    if ballot.state is not BallotState.open:
        raise InvalidTransition(_l("This ballot is not open."))


def record_visit(ballot: Ballot, voter: BallotVoter, *, actor, outcome: DoorOutcome, note: str = "") -> DoorVisit:
    """入户动员: a knock on a voter's door, with what came of it, the time and who knocked."""
    if voter.ballot_id != ballot.id:
        raise InvalidInput(_l("This voter is not in the electorate of this ballot."))
    _require_canvass(actor, ballot, voter.building)
    _require_open(ballot)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=NOTE_MAX))
    visit = DoorVisit(ballot_id=ballot.id, voter_id=voter.id, outcome=outcome, note=note, by_id=actor.id,
                      at=utcnow())
    db.session.add(visit)
    db.session.flush()
    audit.record("turnout.visit", ballot, actor=actor, place=voter.building, voter=voter.voter_key,
                 outcome=outcome.value)
    return visit


def _non_voters_accounts(ballot: Ballot, building: Place) -> list[int]:
    """The accounts that may cast the votes not yet cast in a building."""
    waiting = select(BallotVoter.user_id, BallotVoter.household_id).outerjoin(
        Participation, (Participation.ballot_id == BallotVoter.ballot_id)
        & (Participation.voter_id == BallotVoter.id)).where(
        BallotVoter.ballot_id == ballot.id, BallotVoter.building_id == building.id, Participation.id.is_(None))
    ids, households = [], []
    for uid, hid in db.session.execute(waiting):
        if uid:
            ids.append(uid)
        if hid:
            households.append(hid)
    if households:
        ids += db.session.scalars(select(HouseholdMember.user_id).where(HouseholdMember.household_id.in_(households)))
    return list(dict.fromkeys(ids))


def remind_building(ballot: Ballot, building: Place, *, actor) -> int:
    """One tap: tell a building's non-voters through their channels (the inbox and the
    outbox) that the ballot waits for them. Once per building per day; returns how many
    people were told."""
    _require_canvass(actor, ballot, building)
    _require_open(ballot)
    building_of_ballot(ballot, building)
    reminder = BuildingReminder(ballot_id=ballot.id, building_id=building.id, day=local_today(), by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        raise Conflict(_l("This building's non-voters were already reminded today."))
    people = _non_voters_accounts(ballot, building)
    reminder.people = notifications.notify_ids(people, "ballot.nudge", skip=actor, ballot=ballot.id,
                                               question=ballot.question)
    audit.record("turnout.remind", ballot, actor=actor, place=building, people=reminder.people)
    return reminder.people


def reminded_today(ballot: Ballot, building_ids) -> set[int]:
    return set(db.session.scalars(select(BuildingReminder.building_id).where(
        BuildingReminder.ballot_id == ballot.id, BuildingReminder.day == local_today(),
        BuildingReminder.building_id.in_(list(building_ids))))) if building_ids else set()


# --- assisted votes ------------------------------------------------------------------------

def owner_of(voter: BallotVoter):
    """The person whose vote it is: the owner, or for a household vote its designated
    voter (else its first owner, else its first member)."""
    if voter.user is not None:
        return voter.user
    household = voter.household
    if household is None or not household.members:
        return None
    chosen = household.designated_voter or (household.owners[0] if household.owners else household.members[0])
    return chosen.user


def verified_number(person) -> Optional[str]:
    setting = db.session.get(DeliverySetting, person.id) if person is not None else None
    return setting.sms_number if setting is not None and setting.sms_verified_at else None


def _code_hash(code: str, assist_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"assist:{assist_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _require_assist(actor, ballot: Ballot, voter: BallotVoter) -> None:
    if voter.ballot_id != ballot.id:
        raise InvalidInput(_l("This voter is not in the electorate of this ballot."))
    _require_canvass(actor, ballot, voter.building)
    _require_open(ballot)
    if voting.participation_of(ballot, voter) is not None:
        raise Conflict(_l("This vote has already been cast, online or on paper."))


def ask_assist_code(ballot: Ballot, voter: BallotVoter, *, actor) -> str:
    """Send a one-time code to the owner's own verified mobile (after the commit), through
    the same SMS path as the code that verified it. Returns the number, to be shown masked."""
    _require_assist(actor, ballot, voter)
    config = current_app.config
    number = verified_number(owner_of(voter))
    if number is None:
        raise InvalidInput(_l("This owner has no verified mobile number: confirm with a photo of their "
                              "signature instead."))
    if not channel_registry.enabled("sms", config) or not (config.get("SMS_TEMPLATES") or {}).get("verify"):
        raise InvalidInput(_l("This site does not send SMS: confirm with a photo of the owner's signature instead."))
    now = utcnow()
    recent = db.session.scalar(select(AssistCode.id).where(
        AssistCode.ballot_id == ballot.id, AssistCode.voter_id == voter.id,
        AssistCode.created_at > now - timedelta(seconds=CODE_INTERVAL_SECONDS)).limit(1))
    if recent is not None:
        raise TooManyAttempts(_l("A code was sent less than a minute ago: wait a moment."))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    assist = AssistCode(ballot_id=ballot.id, voter_id=voter.id, helper_id=actor.id, code_hash="",
                        created_at=now, expires_at=now + timedelta(minutes=CODE_MINUTES), attempts=0)
    db.session.add(assist)
    db.session.flush()
    assist.code_hash = _code_hash(code, assist.id)
    app = current_app._get_current_object()
    on_commit(lambda: _send_code(app, number, code))
    audit.record("turnout.assist_code", ballot, actor=actor, place=voter.building, voter=voter.voter_key)
    return number


def _send_code(app, number: str, code: str) -> None:
    message = Outgoing(0, 1, 0, "sms", number, f"assist-{secrets.token_hex(8)}", "verify", {"code": code},
                       app.config["BABEL_DEFAULT_LOCALE"])
    channel_registry.channel("sms", app.config).send(message)


def _code_matches(ballot: Ballot, voter: BallotVoter, code: str) -> bool:
    """Whether the owner's code is right. A wrong one counts against the code (and is kept:
    nothing is rolled back)."""
    now = utcnow()
    assist = db.session.scalar(select(AssistCode).where(
        AssistCode.ballot_id == ballot.id, AssistCode.voter_id == voter.id, AssistCode.used_at.is_(None))
        .order_by(AssistCode.id.desc()).limit(1).with_for_update())
    if assist is None or assist.expires_at < now:
        raise InvalidInput(_l("The code has expired: ask for a new one."))
    if assist.attempts >= CODE_ATTEMPTS:
        raise TooManyAttempts(_l("Too many wrong codes: ask for a new one."))
    if not hmac.compare_digest(assist.code_hash, _code_hash((code or "").strip(), assist.id)):
        assist.attempts += 1
        db.session.flush()
        return False
    assist.used_at = now
    return True


def cast_assisted(ballot: Ballot, voter: BallotVoter, *, actor, choice, code: str = "",
                  signature: bytes = b"", config=None) -> Optional[str]:
    """An owner votes on the helper's phone, having confirmed with the code sent to their
    own phone or with a photo of their signature. Recorded as an assisted vote with the
    helper's name; it is the owner's one vote. Returns the receipt, or None when the code
    was wrong (nothing cast)."""
    from ..photos import encode_photo, save_photo

    _require_assist(actor, ballot, voter)
    config = config or current_app.config
    jpeg = None
    if (code or "").strip():
        if not _code_matches(ballot, voter, code):
            return None
    elif signature:
        jpeg, _w, _h = encode_photo(signature, config=config)
    else:
        raise InvalidInput(_l("Confirm with the code sent to the owner's phone or a photo of their signature."))
    receipt = voting.cast_for(ballot, voter, actor=actor, choice=choice, channel=Channel.assisted,
                              witness=(actor.name or "")[:60], evidence="pending" if jpeg else None)
    if jpeg is not None:
        voting.participation_of(ballot, voter).evidence = save_photo(jpeg, config=config)
    return receipt


# --- signing in at a meeting in a hall ------------------------------------------------------

def _window(at: Optional[datetime] = None) -> int:
    return calendar.timegm((at or utcnow()).utctimetuple()) // SIGN_IN_WINDOW_SECONDS


def _token(meeting: Meeting, window: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"meeting-sign-in:{meeting.id}:{window}".encode(), hashlib.sha256).hexdigest()[:24]


def sign_in_token(meeting: Meeting, *, actor, at: Optional[datetime] = None) -> str:
    """The code the hall's screen shows now: changes every ``SIGN_IN_WINDOW_SECONDS``, so
    that a photo of it taken home has expired by the time it is scanned."""
    permissions.require(permissions.can_run_meeting(actor, meeting))
    return _token(meeting, _window(at))


def token_is_current(meeting: Meeting, token: str, at: Optional[datetime] = None) -> bool:
    now = _window(at)
    return any(hmac.compare_digest(_token(meeting, w), token or "") for w in (now, now - 1))


def sign_in_by_scan(meeting: Meeting, token: str, *, actor):
    """签到 in the hall: the attendee, signed in to the site and invited, scanned the code
    on the screen. Returns the attendance, or None if they had signed in already."""
    if meeting.form is MeetingForm.online:
        raise InvalidInput(_l("This meeting is held online only."))
    if not permissions.can_enter_meeting(actor, meeting):
        raise NotAllowed(_l("You are not invited to this meeting."))
    if not token_is_current(meeting, token):
        raise InvalidInput(_l("This code has expired: scan the code on the screen in the hall again."))
    return meetings.sign_in(meeting, actor=actor, in_person=True)
