"""The procedure around an owners' ballot, before the vote and by proxy.

1. The register is published for checking (``publish_register``): every unit of the
   ballot's place with its area and the owner who votes it. Owners object to entries
   (``object_to``); an administrator settles each (``settle``). The register freezes when
   the check period is over and no objection is open (``freeze_due``).
2. The notice (``publish_notice``) goes to every owner through their channels at least
   OWNERS_NOTICE_DAYS before voting opens; where it did not reach, the printed notice is
   posted and the posting recorded with a photo (``record_posting``).
3. The ballot opens on the frozen register only (``on_ballot_opening``): the electorate
   is the register's owners, one vote each with their units' areas.
4. Proxies (``authorise_proxy``) cast an owner's one vote (``cast_by_proxy``); the
   database keeps it to one whoever casts first.

Change of ownership: the register frozen for a ballot counts until the ballot closes.
The owner listed there casts the unit's vote even if the unit is sold meanwhile; a new
owner's account is not in the frozen register and cannot vote for the unit.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable, Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import permissions
from ..accounts.models import User
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..notifications import service as notifications
from ..notifications.models import Notification
from ..notifications.outbox import Delivery
from ..places.models import Household, HouseholdMember, Place, PlaceKind, Relation
from ..places import service as places
from ..privacy import mask_name
from ..voting import service as voting
from ..voting.models import (
    Ballot,
    BallotKind,
    BallotOption,
    BallotState,
    BallotVoter,
    Channel,
    Electorate,
    Participation,
)
from .models import (
    CertificateClaim,
    ClaimState,
    NoticePosting,
    NoticeRecipient,
    ObjectionState,
    OwnerNotice,
    OwnerRegister,
    Proxy,
    ProxyMethod,
    ProxyVote,
    RegisterEntry,
    RegisterObjection,
)

REASON_MAX = 500
MATTER_MAX = 5000
SPOT_MAX = 120
DOCUMENTS_MAX = 8
NONE_OF_THESE = _l("None of these")


def _config(name: str):
    return current_app.config[name]


def procedure_applies(ballot: Ballot) -> bool:
    return ballot.electorate is Electorate.owners and bool(_config("OWNERS_PROCEDURE"))


def _require_owners_draft(ballot: Ballot) -> None:
    if ballot.electorate is not Electorate.owners:
        raise InvalidInput(_l("This is not an owners' ballot."))
    if ballot.state is not BallotState.draft:
        raise InvalidTransition(_l("The ballot is already open: its register and notice can no longer change."))


def _clean_reason(text: Optional[str], message) -> str:
    text = (text or "").strip()
    if not text or len(text) > REASON_MAX:
        raise InvalidInput(message)
    return text


# --- the register ------------------------------------------------------------------------

def register_of(ballot: Ballot) -> Optional[OwnerRegister]:
    return db.session.scalar(select(OwnerRegister).where(OwnerRegister.ballot_id == ballot.id))


def _bound_pairs(household_ids: list[int]) -> set[tuple[int, int]]:
    if not household_ids:
        return set()
    return set(db.session.execute(select(CertificateClaim.user_id, CertificateClaim.household_id).where(
        CertificateClaim.state == ClaimState.approved, CertificateClaim.household_id.in_(household_ids))).all())


def publish_register(ballot: Ballot, *, actor) -> OwnerRegister:
    """Publish the register the ballot will count, for OWNERS_REGISTER_CHECK_DAYS: every
    unit of the place, its area and the owner designated to vote it."""
    permissions.require(permissions.can_run_ballot(actor, ballot))
    _require_owners_draft(ballot)
    if register_of(ballot) is not None:
        raise Conflict(_l("The register of this ballot is already published."))
    within = Place.path.startswith(ballot.place.path, autoescape=True)
    units = db.session.execute(select(Household.id, Household.area).join(Household.place).where(within)
                               .order_by(Household.id)).all()
    if not units:
        raise InvalidInput(_l("There are no units in this place to register."))
    voters = dict(db.session.execute(select(HouseholdMember.household_id, HouseholdMember.user_id).join(
        HouseholdMember.household).join(Household.place).where(within, HouseholdMember.is_designated_voter.is_(True))
    ).all())
    bound = _bound_pairs([hid for hid, _area in units])
    now = utcnow()
    register = OwnerRegister(ballot_id=ballot.id, published_at=now, published_by_id=actor.id,
                             check_until=now + timedelta(days=_config("OWNERS_REGISTER_CHECK_DAYS")))
    register.entries = [RegisterEntry(household_id=hid, area=area, owner_id=voters.get(hid),
                                      bound=(voters.get(hid), hid) in bound) for hid, area in units]
    db.session.add(register)
    db.session.flush()
    audit.record("owners.register", ballot, actor=actor, place=ballot.place, entries=len(units))
    notifications.notify_ids(_owners_of(ballot.place), "ballot.register", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return register


def _owners_of(place: Place) -> list[int]:
    """Every owner (co-owners too) of a unit in ``place``."""
    within = Place.path.startswith(place.path, autoescape=True)
    return list(db.session.scalars(select(HouseholdMember.user_id).join(HouseholdMember.household)
                                   .join(Household.place).where(within, HouseholdMember.relation == Relation.owner)
                                   .distinct().order_by(HouseholdMember.user_id)))


def open_objections(register: OwnerRegister) -> int:
    return db.session.scalar(select(func.count()).select_from(RegisterObjection).where(
        RegisterObjection.register_id == register.id, RegisterObjection.state == ObjectionState.open)) or 0


def in_check_period(register: OwnerRegister, now: Optional[datetime] = None) -> bool:
    return register.frozen_at is None and (now or utcnow()) < register.check_until


def freeze(register: OwnerRegister, now: Optional[datetime] = None) -> bool:
    """Freeze the register if its time has come: the check period is over and no objection
    is open. True if it is frozen (now or before)."""
    now = now or utcnow()
    if register.frozen_at is not None:
        return True
    if now < register.check_until or open_objections(register):
        return False
    register.frozen_at = now
    audit.record("owners.register_frozen", register.ballot, actor=None, place=register.ballot.place)
    return True


def _unfrozen_due(now: datetime):
    pending = select(RegisterObjection.id).where(RegisterObjection.register_id == OwnerRegister.id,
                                                 RegisterObjection.state == ObjectionState.open).exists()
    return select(OwnerRegister).where(OwnerRegister.frozen_at.is_(None), OwnerRegister.check_until <= now,
                                       ~pending).order_by(OwnerRegister.id)


def freeze_is_due() -> bool:
    return db.session.scalar(_unfrozen_due(utcnow()).limit(1)) is not None


def freeze_due() -> int:
    """The server's loop: freeze every register whose check period ended without an open
    objection."""
    now = utcnow()
    return sum(freeze(register, now) for register in db.session.scalars(_unfrozen_due(now)).all())


def entry_rows(register: OwnerRegister, viewer) -> list[dict]:
    """The register as ``viewer`` reads it, in address order: their own entries (and all,
    for those who serve the place) in full; the others by room and area, the owner's name
    masked (``privacy.shown_name``)."""
    from ..privacy import shown_name

    place = register.ballot.place
    full = permissions.can_see_personal_data(viewer, place)
    rank = {h.id: i for i, h in enumerate(places.households_in(place))}
    open_by_entry = defaultdict(list)
    for objection in register.objections:
        open_by_entry[objection.entry_id].append(objection)
    rows = []
    for entry in sorted(register.entries, key=lambda e: (rank.get(e.household_id, len(rank)), e.id)):
        own = entry.owner_id == viewer.id or any(m.user_id == viewer.id and m.relation is Relation.owner
                                                  for m in entry.household.members)
        rows.append({"entry": entry, "own": own, "full": own or full,
                     "unit": entry.household.address_within(place),
                     "room": entry.household.room,
                     "owner": shown_name(entry.owner, place, viewer) if entry.owner else "",
                     "objections": open_by_entry[entry.id]})
    return rows


def object_to(entry: RegisterEntry, *, actor, reason: str) -> RegisterObjection:
    """An owner of the place objects to one entry of the register, with a reason, while it
    is published for checking."""
    register = entry.register
    ballot = register.ballot
    permissions.require(permissions.is_owner_in(actor, ballot.place),
                        _l("Only the owners of this place can object to its register."))
    if ballot.state is not BallotState.draft or not in_check_period(register):
        raise InvalidTransition(_l("The check period of this register is over."))
    reason = _clean_reason(reason, _l("Say what is wrong with the entry, in at most %(n)d characters.", n=REASON_MAX))
    objection = RegisterObjection(register=register, entry=entry, raised_by_id=actor.id, reason=reason)
    db.session.add(objection)
    db.session.flush()
    audit.record("owners.objection", ballot, actor=actor, place=ballot.place, entry=entry.id)
    return objection


def settle(objection: RegisterObjection, *, actor, upheld: bool, answer: str, area=None,
           owner: Optional[User] = None) -> RegisterObjection:
    """An administrator answers an objection. Upheld, the entry is corrected (its area,
    the owner who votes it, or both) and the change is kept with the objection."""
    register = objection.register
    ballot = register.ballot
    permissions.require(permissions.can_settle_objections(actor, ballot))
    if objection.state is not ObjectionState.open:
        raise InvalidTransition(_l("This objection is already settled."))
    if register.frozen_at is not None or ballot.state is not BallotState.draft:
        raise InvalidTransition(_l("The register is frozen for the ballot."))
    answer = _clean_reason(answer, _l("Give the reason for the decision, in at most %(n)d characters.", n=REASON_MAX))
    entry = objection.entry
    change = {}
    if upheld:
        if area not in (None, ""):
            new_area = places.parse_area(str(area))
            if new_area != entry.area:
                change["area"] = [str(entry.area), str(new_area)]
                entry.area = new_area
        if owner is not None and owner.id != entry.owner_id:
            if not any(m.user_id == owner.id and m.relation is Relation.owner for m in entry.household.members):
                raise InvalidInput(_l("The new owner must be recorded as an owner of the unit first."))
            change["owner"] = [entry.owner_id, owner.id]
            entry.owner_id = owner.id
            entry.bound = (owner.id, entry.household_id) in _bound_pairs([entry.household_id])
        if not change:
            raise InvalidInput(_l("An upheld objection corrects the entry: give the correct area or owner."))
        entry.corrected_at = utcnow()
    objection.state = ObjectionState.upheld if upheld else ObjectionState.rejected
    objection.answer, objection.settled_by_id, objection.settled_at = answer, actor.id, utcnow()
    objection.change = change or None
    audit.record("owners.objection_settled", ballot, actor=actor, place=ballot.place, objection=objection.id,
                 upheld=upheld)
    notifications.notify_ids([objection.raised_by_id], "ballot.objection_settled", skip=actor, ballot=ballot.id,
                             question=ballot.question)
    return objection


# --- opening on the frozen register ---------------------------------------------------------

def notice_due_at(notice: OwnerNotice) -> datetime:
    """The earliest moment voting may open after the notice."""
    return notice.published_at + timedelta(days=_config("OWNERS_NOTICE_DAYS"))


def on_ballot_opening(ballot: Ballot, **_kw) -> Optional[list[dict]]:
    """Refuse to open an owners' ballot before its register is frozen and its notice given
    long enough before; otherwise the electorate is the frozen register's owners."""
    if not procedure_applies(ballot):
        return None
    register = register_of(ballot)
    if register is None:
        raise InvalidTransition(_l("Publish the owner register for checking first: the ballot counts it."))
    if not freeze(register):
        if open_objections(register):
            raise InvalidTransition(_l("An objection to the owner register is still open: settle it first."))
        raise InvalidTransition(_l("The owner register is published for checking until %(when)s: "
                                   "the ballot cannot open before.", when=_shown(register.check_until)))
    notice = notice_of(ballot)
    if notice is None:
        raise InvalidTransition(_l("Announce the ballot to the owners first (the notice)."))
    if utcnow() < notice_due_at(notice):
        raise InvalidTransition(_l("The owners must be given %(n)d days' notice: voting can open from %(when)s.",
                                   n=_config("OWNERS_NOTICE_DAYS"), when=_shown(notice_due_at(notice))))
    if ballot.opens_at is not None and utcnow() < ballot.opens_at:
        raise InvalidTransition(_l("The notice told the owners that voting opens on %(when)s: it cannot open earlier.",
                                   when=_shown(ballot.opens_at)))
    return register_snapshot(register)


def _shown(moment: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(moment, "short")


def register_snapshot(register: OwnerRegister) -> list[dict]:
    """The frozen register as rows for ``ballot_voters``: one vote per owner, the areas of
    their units added up, counted under their largest unit's building. Where certificates
    must be bound, an owner not yet bound keeps their vote but casts it on paper only."""
    binding = bool(_config("OWNERS_CERTIFICATE_BINDING"))
    areas: dict[int, Decimal] = defaultdict(Decimal)
    largest: dict[int, tuple] = {}
    unbound: set[int] = set()
    for entry in register.entries:
        if entry.owner_id is None:
            continue
        uid = entry.owner_id
        areas[uid] += entry.area
        if uid not in largest or entry.area > largest[uid][0]:
            largest[uid] = (entry.area, entry.household)
        if binding and not entry.bound:
            unbound.add(uid)
    rows = []
    for uid, area in sorted(areas.items()):
        household = largest[uid][1]
        row = {"ballot_id": register.ballot_id, "area": area, "building_id": voting.building_of(household.place)}
        if uid in unbound:
            row.update(voter_key=f"unbound:{uid}", household_id=household.id)
        else:
            row.update(voter_key=f"owner:{uid}", user_id=uid)
        rows.append(row)
    return rows


def add_none_of_these(ballot: Ballot, **_kw) -> None:
    """A choice among options put to the owners always offers "none of these" (courts
    have revoked decisions that offered only plan A or plan B)."""
    if ballot.electorate is not Electorate.owners or ballot.kind is BallotKind.yes_no:
        return
    if any(o.none_of_these for o in ballot.options):
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        label = str(NONE_OF_THESE)
    ballot.options.append(BallotOption(position=len(ballot.options) + 1, label=label, none_of_these=True))


# --- the notice ------------------------------------------------------------------------------

def notice_of(ballot: Ballot) -> Optional[OwnerNotice]:
    return db.session.scalar(select(OwnerNotice).where(OwnerNotice.ballot_id == ballot.id))


def publish_notice(ballot: Ballot, *, actor, matter: str, documents: Iterable[bytes] = (), config=None) -> OwnerNotice:
    """Announce the ballot to every owner of the register through their channels: the
    matter, its documents, and (from the ballot) the counting rule, the period and how to
    vote. Voting must open at least OWNERS_NOTICE_DAYS later."""
    from ..photos import encode_photo, save_photo

    permissions.require(permissions.can_run_ballot(actor, ballot))
    _require_owners_draft(ballot)
    if notice_of(ballot) is not None:
        raise Conflict(_l("The notice of this ballot is already published."))
    register = register_of(ballot)
    if register is None:
        raise InvalidInput(_l("Publish the owner register first: the notice goes to its owners."))
    matter = (matter or "").strip()
    if not matter or len(matter) > MATTER_MAX:
        raise InvalidInput(_l("Describe the matter in at most %(n)d characters.", n=MATTER_MAX))
    days = _config("OWNERS_NOTICE_DAYS")
    now = utcnow()
    if ballot.opens_at is None or ballot.closes_at is None:
        raise InvalidInput(_l("Set the period first: when voting opens and closes."))
    if ballot.opens_at < now + timedelta(days=days):
        raise InvalidInput(_l("The notice must come at least %(n)d days before voting opens: "
                              "set the opening on or after %(when)s.", n=days, when=_shown(now + timedelta(days=days))))
    documents = [d for d in documents if d]
    if len(documents) > DOCUMENTS_MAX:
        raise InvalidInput(_l("Add at most %(n)d documents.", n=DOCUMENTS_MAX))
    encoded = [encode_photo(d, config=config or current_app.config)[0] for d in documents]
    notice = OwnerNotice(ballot_id=ballot.id, matter=matter, published_at=now, published_by_id=actor.id,
                         documents=[save_photo(j, config=config or current_app.config) for j in encoded])
    db.session.add(notice)
    db.session.flush()
    owners = _owners_of(ballot.place)
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    notifications.notify_ids(owners, "ballot.notice", ballot=ballot.id, question=ballot.question, notice=notice.id)
    sent = {row.user_id: row.id for row in db.session.execute(
        select(Notification.id, Notification.user_id, Notification.params).where(
            Notification.id > before, Notification.kind == "ballot.notice")) if row.params.get("notice") == notice.id}
    db.session.add_all([NoticeRecipient(notice_id=notice.id, user_id=uid, notification_id=sent.get(uid))
                        for uid in owners])
    audit.record("owners.notice", ballot, actor=actor, place=ballot.place, owners=len(owners))
    return notice


def delivery_log(notice: OwnerNotice) -> list[dict]:
    """Per owner: each channel's delivery and its status, whether the notice was read in
    the app, whether it reached them, and the posting that covers their unit."""
    place = notice.ballot.place
    recipients = list(notice.recipients)
    ids = [r.notification_id for r in recipients if r.notification_id]
    deliveries = defaultdict(list)
    read = {}
    if ids:
        for d in db.session.scalars(select(Delivery).where(Delivery.notification_id.in_(ids)).order_by(Delivery.id)):
            deliveries[d.notification_id].append(d)
        read = dict(db.session.execute(select(Notification.id, Notification.read_at)
                                       .where(Notification.id.in_(ids))).all())
    homes = defaultdict(list)
    within = Place.path.startswith(place.path, autoescape=True)
    for member in db.session.scalars(select(HouseholdMember).join(HouseholdMember.household).join(Household.place)
                                     .where(within, HouseholdMember.relation == Relation.owner,
                                            HouseholdMember.user_id.in_([r.user_id for r in recipients]))):
        homes[member.user_id].append(member.household)
    rows = []
    for r in recipients:
        own = deliveries.get(r.notification_id, [])
        reached = any(d.status == "sent" for d in own) or read.get(r.notification_id) is not None
        posted = [p for p in notice.postings if any(h.place.is_within(p.place) for h in homes[r.user_id])]
        rows.append({"recipient": r, "owner": r.user, "units": [h.address_within(place) for h in homes[r.user_id]],
                     "deliveries": own, "read_at": read.get(r.notification_id), "reached": reached,
                     "postings": posted})
    return rows


def record_posting(notice: OwnerNotice, *, actor, place: Place, spot: str, posted_at: datetime, photo: bytes,
                   config) -> NoticePosting:
    """The printed notice was posted in a building or entrance: where, when, by whom, and a
    photo of it on the wall."""
    from ..photos import encode_photo, save_photo

    ballot = notice.ballot
    permissions.require(permissions.can_post_notice(actor, ballot))
    if not place.is_within(ballot.place) or place.kind not in (PlaceKind.building, PlaceKind.entrance,
                                                               PlaceKind.compound, PlaceKind.community):
        raise InvalidInput(_l("Choose the building or entrance of this ballot where the notice was posted."))
    spot = (spot or "").strip()
    if not spot or len(spot) > SPOT_MAX:
        raise InvalidInput(_l("Say where the notice was posted, in at most %(n)d characters.", n=SPOT_MAX))
    if posted_at is None or posted_at > utcnow():
        raise InvalidInput(_l("Give when the notice was posted (not in the future)."))
    if not photo:
        raise InvalidInput(_l("Add a photo of the posted notice."))
    jpeg, _w, _h = encode_photo(photo, config=config)
    posting = NoticePosting(notice_id=notice.id, place_id=place.id, spot=spot, posted_at=posted_at,
                            posted_by_id=actor.id, photo=save_photo(jpeg, config=config))
    db.session.add(posting)
    db.session.flush()
    audit.record("owners.posting", ballot, actor=actor, place=place, spot=spot)
    return posting


# --- identity: the property certificate ---------------------------------------------------------

def _normal_number(number: str) -> str:
    return re.sub(r"\s+", "", number or "").upper()


def claim_certificate(household: Household, *, actor, number: str) -> CertificateClaim:
    """An owner binds their account to their unit by its property certificate number; the
    number is checked against the imported register, and staff review the claim."""
    if not _config("OWNERS_CERTIFICATE_BINDING"):
        raise InvalidInput(_l("This installation does not bind owners by their property certificate."))
    if not any(m.user_id == actor.id and m.relation is Relation.owner for m in household.members):
        raise NotAllowed(_l("Only an owner of this unit can bind it to their account."))
    number = _normal_number(number)
    if not number or len(number) > 40:
        raise InvalidInput(_l("Give the property certificate number, as on the certificate."))
    if db.session.scalar(select(CertificateClaim.id).where(
            CertificateClaim.user_id == actor.id, CertificateClaim.household_id == household.id,
            CertificateClaim.state != ClaimState.rejected)) is not None:
        raise Conflict(_l("You have already given the certificate of this unit."))
    claim = CertificateClaim(user_id=actor.id, household_id=household.id, number=number,
                             matches=bool(household.certificate_number)
                             and number == _normal_number(household.certificate_number))
    db.session.add(claim)
    db.session.flush()
    audit.record("owners.certificate_claim", household, actor=actor, place=household.place, matches=claim.matches)
    return claim


def review_claim(claim: CertificateClaim, *, actor, approve: bool) -> CertificateClaim:
    """Staff approve a claim whose number matches the register, or reject it. Approved,
    the owner's entries in registers not yet frozen are bound."""
    permissions.require(permissions.can_review_certificate(actor, claim.household))
    if claim.state is not ClaimState.pending:
        raise InvalidTransition(_l("This claim is already reviewed."))
    if approve and not claim.matches:
        raise InvalidInput(_l("The number does not match the register: it cannot be approved."))
    claim.state = ClaimState.approved if approve else ClaimState.rejected
    claim.reviewed_by_id, claim.reviewed_at = actor.id, utcnow()
    if approve:
        for entry in db.session.scalars(select(RegisterEntry).join(RegisterEntry.register).where(
                RegisterEntry.household_id == claim.household_id, RegisterEntry.owner_id == claim.user_id,
                OwnerRegister.frozen_at.is_(None))):
            entry.bound = True
    audit.record("owners.certificate_review", claim.household, actor=actor, place=claim.household.place,
                 approved=approve)
    return claim


def pending_claims(place: Place) -> list[CertificateClaim]:
    within = Place.path.startswith(place.path, autoescape=True)
    return list(db.session.scalars(select(CertificateClaim).join(CertificateClaim.household).join(Household.place)
                                   .where(within, CertificateClaim.state == ClaimState.pending)
                                   .order_by(CertificateClaim.id)))


# --- proxies -----------------------------------------------------------------------------------

def _active(now: datetime):
    return Proxy.revoked_at.is_(None) & or_(Proxy.valid_until.is_(None), Proxy.valid_until > now)


def _held_by(user: User):
    return or_(Proxy.proxy_id == user.id, (Proxy.proxy_id.is_(None) & (Proxy.proxy_phone == user.phone))) \
        if user.phone else Proxy.proxy_id == user.id


def _find_proxy(handle: str) -> tuple[Optional[User], Optional[str]]:
    """A proxy named by mobile number or user name: the account, or the number alone for a
    person who has none yet."""
    from ..accounts.service import clean_phone

    handle = (handle or "").strip()
    if not handle:
        raise InvalidInput(_l("Give the proxy's mobile number or user name."))
    person = db.session.scalar(select(User).where(or_(User.phone == handle, User.username == handle)))
    if person is not None:
        return person, None
    return None, clean_phone(handle)


def holds_count(proxy_user: Optional[User], phone: Optional[str], now: Optional[datetime] = None) -> int:
    """How many owners a proxy holds now: authorisations not revoked, not expired, for a
    ballot not yet closed."""
    now = now or utcnow()
    whose = []
    if proxy_user is not None:
        whose.append(Proxy.proxy_id == proxy_user.id)
        phone = phone or proxy_user.phone
    if phone:
        whose.append(Proxy.proxy_phone == phone)
    closed = select(Ballot.id).where(Ballot.id == Proxy.ballot_id, Ballot.state == BallotState.closed).exists()
    return db.session.scalar(select(func.count(func.distinct(Proxy.owner_id))).where(
        or_(*whose), _active(now), ~closed)) or 0


def authorise_proxy(place: Place, owner: User, *, actor, proxy: str, ballot: Optional[Ballot] = None,
                    valid_until: Optional[datetime] = None, photo: Optional[bytes] = None, config=None) -> Proxy:
    """An owner authorises a proxy online, or staff record the owner's signed authorisation
    with its photo; for one ballot, or for the owners' ballots of ``place`` until
    ``valid_until``."""
    from ..photos import encode_photo, save_photo

    now = utcnow()
    if actor.id == owner.id:
        method = ProxyMethod.online
    else:
        permissions.require(permissions.can_record_proxy(actor, place))
        method = ProxyMethod.signed
        if not photo:
            raise InvalidInput(_l("Add a photo of the signed authorisation."))
    if not permissions.is_owner_in(owner, place):
        raise NotAllowed(_l("Only an owner of a unit here can authorise a proxy."))
    if ballot is not None:
        if ballot.electorate is not Electorate.owners or not ballot.place.is_within(place) \
                and not place.is_within(ballot.place):
            raise InvalidInput(_l("A proxy is authorised for an owners' ballot of this place."))
        if ballot.state is BallotState.closed:
            raise InvalidTransition(_l("This ballot is closed."))
        valid_until = None
    elif valid_until is None or valid_until <= now:
        raise InvalidInput(_l("Give the ballot, or the day until which the proxy holds your vote."))
    person, phone = _find_proxy(proxy)
    if (person is not None and person.id == owner.id) or (phone and phone == owner.phone):
        raise InvalidInput(_l("An owner cannot be their own proxy."))
    mine = select(Proxy.id).where(Proxy.owner_id == owner.id, _active(now))
    mine = mine.where(Proxy.ballot_id == ballot.id) if ballot is not None else mine.where(Proxy.ballot_id.is_(None))
    if db.session.scalar(mine.limit(1)) is not None:
        raise Conflict(_l("A proxy already holds this vote: revoke it first."))
    cap = _config("PROXY_MAX_OWNERS")
    if holds_count(person, phone, now) >= cap:
        raise InvalidInput(_l("This proxy already holds the votes of %(n)d owners, the most one may hold.", n=cap))
    token = None
    if photo:
        jpeg, _w, _h = encode_photo(photo, config=config or current_app.config)
        token = save_photo(jpeg, config=config or current_app.config)
    authorisation = Proxy(place_id=place.id, owner_id=owner.id, proxy_id=person.id if person else None,
                          proxy_phone=phone, ballot_id=ballot.id if ballot else None, valid_from=now,
                          valid_until=valid_until, method=method, photo=token, recorded_by_id=actor.id)
    db.session.add(authorisation)
    db.session.flush()
    audit.record("owners.proxy", place, actor=actor, place=place, owner=owner.id, method=method.value)
    if person is not None:
        params = {"ballot": ballot.id} if ballot is not None else {}
        notifications.notify_ids([person.id], "ballot.proxy", skip=actor, owner=mask_name(owner.name), **params)
    return authorisation


def proxy_votes(authorisation: Proxy) -> int:
    return db.session.scalar(select(func.count()).select_from(ProxyVote)
                             .where(ProxyVote.proxy_id == authorisation.id)) or 0


def revoke_proxy(authorisation: Proxy, *, actor) -> Proxy:
    """The owner (or staff, for a signed revocation) revokes a proxy, until it has voted."""
    if actor.id != authorisation.owner_id:
        permissions.require(permissions.can_record_proxy(actor, authorisation.place))
    if authorisation.revoked_at is not None:
        raise InvalidTransition(_l("This proxy is already revoked."))
    if proxy_votes(authorisation):
        raise InvalidTransition(_l("The proxy has already voted with this authorisation: it can no longer be revoked."))
    authorisation.revoked_at, authorisation.revoked_by_id = utcnow(), actor.id
    audit.record("owners.proxy_revoked", authorisation.place, actor=actor, place=authorisation.place,
                 owner=authorisation.owner_id)
    return authorisation


def _covers(authorisation: Proxy, ballot: Ballot, now: datetime) -> bool:
    if authorisation.revoked_at is not None:
        return False
    if authorisation.ballot_id is not None:
        return authorisation.ballot_id == ballot.id
    return ballot.place.is_within(authorisation.place) and (authorisation.valid_until is None
                                                            or now < authorisation.valid_until)


def held_in(ballot: Ballot, user: User) -> list[tuple[Proxy, Optional[BallotVoter], Optional[Participation]]]:
    """The owners whose votes ``user`` holds by proxy in ``ballot``, each with the owner's
    vote in the electorate and whether it was cast (by anyone)."""
    if ballot.electorate is not Electorate.owners:
        return []
    now = utcnow()
    found = []
    for authorisation in db.session.scalars(select(Proxy).where(_held_by(user), Proxy.revoked_at.is_(None))
                                            .order_by(Proxy.id)):
        if not _covers(authorisation, ballot, now):
            continue
        voter = db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                            BallotVoter.voter_key == f"owner:{authorisation.owner_id}"))
        found.append((authorisation, voter, voting.participation_of(ballot, voter)))
    return found


def _authorisation_for(ballot: Ballot, owner_id: int, proxy_user: User) -> Proxy:
    now = utcnow()
    for authorisation in db.session.scalars(select(Proxy).where(Proxy.owner_id == owner_id, _held_by(proxy_user),
                                                                Proxy.revoked_at.is_(None)).order_by(Proxy.id)):
        if _covers(authorisation, ballot, now):
            return authorisation
    raise NotAllowed(_l("You do not hold this owner's vote by proxy."))


def _owner_voter(ballot: Ballot, owner_id: int) -> BallotVoter:
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                        BallotVoter.voter_key == f"owner:{owner_id}"))
    if voter is None:
        raise NotAllowed(_l("This owner has no vote online in this ballot."))
    return voter


def cast_by_proxy(ballot: Ballot, owner_id: int, *, actor, choice) -> str:
    """A proxy casts the owner's one vote online. Whoever casts first — the owner, the
    proxy, a paper ballot — takes it: the database holds one vote per voter."""
    authorisation = _authorisation_for(ballot, owner_id, actor)
    voter = _owner_voter(ballot, owner_id)
    receipt = voting.cast_for(ballot, voter, actor=actor, choice=choice, channel=Channel.proxy)
    if authorisation.proxy_id is None:
        authorisation.proxy_id = actor.id   # the number has an account now
    db.session.add(ProxyVote(proxy_id=authorisation.id, ballot_id=ballot.id, voter_id=voter.id))
    notifications.notify_ids([owner_id], "ballot.proxy_voted", ballot=ballot.id, question=ballot.question)
    return receipt


def enter_proxy_paper(ballot: Ballot, owner_id: int, proxy_user: User, *, actor, choice, photo: bytes,
                      witness: str, config) -> str:
    """On the paper desk: a paper ballot signed by the owner's proxy, entered by staff with
    its photo and a witness; it takes the owner's one vote like any other."""
    from ..photos import encode_photo, save_photo

    permissions.require(permissions.can_enter_paper(actor, ballot))
    authorisation = _authorisation_for(ballot, owner_id, proxy_user)
    voter = _owner_voter(ballot, owner_id)
    witness = (witness or "").strip()
    if not witness or len(witness) > voting.WITNESS_MAX:
        raise InvalidInput(_l("Name the witness in at most %(n)d characters.", n=voting.WITNESS_MAX))
    if not photo:
        raise InvalidInput(_l("Add a photo of the signed paper ballot."))
    jpeg, _w, _h = encode_photo(photo, config=config)
    receipt = voting.cast_for(ballot, voter, actor=actor, choice=choice, channel=Channel.proxy,
                             evidence=save_photo(jpeg, config=config), witness=witness)
    db.session.add(ProxyVote(proxy_id=authorisation.id, ballot_id=ballot.id, voter_id=voter.id))
    return receipt


def proxy_of_vote(ballot: Ballot, voter_id: int) -> Optional[Proxy]:
    """The authorisation a vote was cast under, or None."""
    return db.session.scalar(select(Proxy).join(ProxyVote, ProxyVote.proxy_id == Proxy.id).where(
        ProxyVote.ballot_id == ballot.id, ProxyVote.voter_id == voter_id))


def proxies_of(owner: User) -> list[Proxy]:
    return list(db.session.scalars(select(Proxy).where(Proxy.owner_id == owner.id).order_by(Proxy.id.desc())))


def proxies_in(ballot: Ballot) -> list[Proxy]:
    """Every authorisation that covers the ballot (revoked ones too, for the record)."""
    rows = db.session.scalars(select(Proxy).where(or_(Proxy.ballot_id == ballot.id, Proxy.ballot_id.is_(None)))
                              .order_by(Proxy.id)).all()
    return [p for p in rows if p.ballot_id == ballot.id or ballot.place.is_within(p.place)]
