"""Accounts: registration with invite codes, sign-in with throttling, passwords, roles
held in places, organisations. The acting user is always an argument."""
from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import timedelta
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from .. import permissions
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, NotAllowed, NotFound, TooManyAttempts
from ..extensions import db
from ..places import service as places
from ..places.models import Grid, Household, HouseholdMember, Place, PlaceKind, Relation
from .models import (
    InviteCode,
    LoginFailure,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    PARTNER_KINDS,
    PARTY_KINDS,
    Partner,
    Role,
    RoleGrant,
    SignIn,
    User,
)
from .passwords import hash_password, needs_rehash, verify_password

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,39}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128
NAME_MAX = 50
# Invite codes avoid letters and digits that old eyes confuse (0/O, 1/I/L).
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8


# --- validation --------------------------------------------------------------------------

def clean_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise InvalidInput(_l("Enter an 11-digit mobile number, such as 13812345678."))
    return phone


def clean_person_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("A name is required."))
    if len(name) > NAME_MAX:
        raise InvalidInput(_l("The name is too long (at most %(n)d characters).", n=NAME_MAX))
    return name


def clean_username(username: Optional[str]) -> Optional[str]:
    username = (username or "").strip()
    if not username:
        return None
    if not USERNAME_RE.match(username):
        raise InvalidInput(_l("A username has 3 to 40 letters, digits, dots, dashes or underscores and starts with a letter."))
    return username.lower()


def check_password_strength(password: str) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise InvalidInput(_l("The password needs at least %(n)d characters.", n=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(_l("The password is too long (at most %(n)d characters).", n=PASSWORD_MAX))


def _check_unique(phone: Optional[str], username: Optional[str], *, exclude: Optional[User] = None) -> None:
    for column, value, message in (
        (User.phone, phone, _l("This phone number is already registered.")),
        (User.username, username, _l("This username is taken.")),
    ):
        if value is None:
            continue
        query = select(User.id).where(column == value)
        if exclude is not None:
            query = query.where(User.id != exclude.id)
        if db.session.scalar(query) is not None:
            raise Conflict(message)


def people_by_handle(handles) -> list[User]:
    """The people named on a list by phone number or username, one per line; any unknown
    name refuses the whole list."""
    found, unknown = [], []
    for handle in (h.strip() for h in handles):
        if not handle:
            continue
        person = find_by_login(handle)
        (found if person is not None else unknown).append(person or handle)
    if unknown:
        raise InvalidInput(_l("Nobody is registered as %(who)s.", who="、".join(unknown)))
    return found


def find_by_login(identifier: str) -> Optional[User]:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    phone = re.sub(r"[\s-]", "", identifier)
    return db.session.scalar(
        select(User).where(or_(User.phone == phone, User.username == identifier.lower()))
    )


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such person."))
    return user


# --- invite codes -------------------------------------------------------------------------

def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if db.session.scalar(select(InviteCode.id).where(InviteCode.code == code)) is None:
            return code


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def usable_invite(household: Household) -> Optional[InviteCode]:
    return db.session.scalar(
        select(InviteCode).where(
            InviteCode.household_id == household.id,
            InviteCode.used_at.is_(None),
            InviteCode.revoked_at.is_(None),
        )
    )


def issue_invite(household: Household, *, actor) -> InviteCode:
    """A fresh code for ``household``; an unused earlier code is revoked."""
    permissions.require(permissions.can_manage_invites(actor, household.place))
    old = usable_invite(household)
    if old is not None:
        old.revoked_at = utcnow()
    invite = InviteCode(household=household, code=_new_code(), created_by_id=actor.id)
    db.session.add(invite)
    audit.record("invite.issue", household, actor=actor, place=household.place)
    return invite


def issue_invites_for(place: Place, *, actor) -> list[InviteCode]:
    """Make sure every household in ``place`` has a usable code; returns one per household,
    in address order, for the printable sheet."""
    permissions.require(permissions.can_manage_invites(actor, place))
    invites = []
    created = 0
    for household in places.households_in(place):
        invite = usable_invite(household)
        if invite is None:
            invite = InviteCode(household=household, code=_new_code(), created_by_id=actor.id)
            db.session.add(invite)
            created += 1
        invites.append(invite)
    if created:
        audit.record("invite.issue_sheet", place, actor=actor, place=place, created=created)
    return invites


def revoke_invite(invite: InviteCode, *, actor) -> InviteCode:
    permissions.require(permissions.can_manage_invites(actor, invite.household.place))
    if invite.used_at is not None:
        raise Conflict(_l("This code has already been used."))
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        audit.record("invite.revoke", invite.household, actor=actor, place=invite.household.place)
    return invite


def register_with_invite(code: str, *, name: str, phone: str, password: str, address: str, config,
                         relation: Relation = Relation.owner, username: Optional[str] = None) -> User:
    """A resident registers with their household's code. An owner imported from the
    household list (same phone, no password yet) takes over that record. Wrong codes
    count as failed attempts of the address, so codes cannot be guessed."""
    address_key = f"address:{address}"
    _throttle([(address_key, config["LOGIN_FAILURES_PER_ADDRESS"])], config)
    invite = db.session.scalar(select(InviteCode).where(InviteCode.code == normalise_code(code)))
    if invite is None or invite.revoked_at is not None:
        window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
        _remember_failure(address_key, older_than=utcnow() - window)
        raise InvalidInput(_l("This invite code is not valid. Check it, or ask your grid worker for a new one."))
    if invite.used_at is not None:
        raise InvalidInput(_l("This invite code has already been used. Ask your grid worker for a new one."))
    name = clean_person_name(name)
    phone = clean_phone(phone)
    username = clean_username(username)
    check_password_strength(password)
    household = invite.household

    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is not None:
        in_household = any(m.household_id == household.id for m in user.memberships)
        if user.password_hash is not None or not in_household:
            raise Conflict(_l("This phone number is already registered."))
        _check_unique(None, username, exclude=user)
        user.name, user.username = name, username or user.username
    else:
        _check_unique(phone, username)
        user = User(name=name, phone=phone, username=username)
        db.session.add(user)
        db.session.flush()
        places.attach_member(household, user, relation, actor=user)
    user.password_hash = hash_password(password)
    invite.used_at = utcnow()
    invite.used_by = user
    audit.record("account.register", user, actor=user, place=household.place, household=household.id)
    return user


def register_and_sign_in(code: str, *, consent_version: int, user_agent: Optional[str], config,
                         **details) -> SignIn:
    """Registration with consent to the privacy notice the person was shown, and the new
    member signed in on the device they registered on."""
    from .consent import record_consent

    user = register_with_invite(code, config=config, **details)
    record_consent(user, consent_version)
    return open_sign_in(user, user_agent=user_agent, address=details.get("address"), config=config)


# --- signing in ---------------------------------------------------------------------------

def _failure_count(key: str, since) -> int:
    return db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at >= since)
    ) or 0


def _remember_failure(*keys: str, older_than) -> None:
    """Record failed attempts and commit them at once: the refusal that follows rolls the
    action back, but the failure must still count. Callers record a failure before they
    have written anything else."""
    now = utcnow()
    db.session.execute(LoginFailure.__table__.insert(), [{"key": key, "at": now} for key in keys])
    db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.at < older_than))
    db.session.commit()


def _throttle(keys_and_limits: list[tuple[str, int]], config) -> None:
    since = utcnow() - timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    if any(_failure_count(key, since) >= limit for key, limit in keys_and_limits):
        raise TooManyAttempts(_l("Too many failed attempts. Wait %(n)d minutes and try again.",
                                 n=config["LOGIN_FAILURE_WINDOW_MINUTES"]))


def authenticate(identifier: str, password: str, *, address: str, config) -> User:
    """Check a sign-in. Failures are counted per account and per address in the window;
    past the limit every try is refused until the window has moved on."""
    account_key = f"account:{(identifier or '').strip().lower()[:100]}"
    address_key = f"address:{address}"
    _throttle([(account_key, config["LOGIN_FAILURES_PER_ACCOUNT"]),
               (address_key, config["LOGIN_FAILURES_PER_ADDRESS"])], config)
    user = find_by_login(identifier)
    if user is None or not user.can_sign_in or not verify_password(user.password_hash, password):
        window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
        _remember_failure(account_key, address_key, older_than=utcnow() - window)
        raise InvalidInput(_l("The phone number, username or password is wrong."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str, *, keep: Optional[SignIn] = None) -> list[str]:
    """A new password; every sign-in of the account but ``keep`` (this device) ends.
    Returns the tokens of the sign-ins ended."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput(_l("The current password is wrong."))
    check_password_strength(new)
    user.password_hash = hash_password(new)
    ended = _end_sign_ins(user, keep=keep)
    audit.record("account.password_change", user, actor=user, ended=len(ended))
    return ended


# --- sign-ins: sessions that end on the server ------------------------------------------------

# last_seen_at is written at most this often, not at every request.
SEEN_EVERY = timedelta(minutes=1)


def describe_device(user_agent: Optional[str]) -> str:
    """A few words for a person to recognise a device by: "WeChat · iPhone",
    "Chrome · Windows". Guessed from the User-Agent; "" when nothing is recognised."""
    ua = user_agent or ""
    browsers = (("MicroMessenger", "WeChat"), ("DingTalk", "DingTalk"), ("QQBrowser", "QQ Browser"),
                ("UCBrowser", "UC Browser"), ("HuaweiBrowser", "Huawei Browser"), ("Edg", "Edge"),
                ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
                ("Chrome/", "Chrome"), ("Safari/", "Safari"))
    systems = (("HarmonyOS", "HarmonyOS"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
               ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
    browser = next((name for key, name in browsers if key in ua), "")
    system = next((name for key, name in systems if key in ua), "")
    return " · ".join(part for part in (browser, system) if part)[:60]


def network_of(address: Optional[str]) -> Optional[str]:
    """The network an address belongs to, not the address: a /24 for IPv4, a /48 for IPv6."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def _limits(config) -> dict:
    return {"idle": timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            "longest": timedelta(hours=config["SESSION_MAX_HOURS"])}


def open_sign_in(user: User, *, user_agent: Optional[str], address: Optional[str], config) -> SignIn:
    """A new sign-in of ``user`` on a device. Records of anyone's sign-ins begun more than
    90 days before the longest a sign-in lasts are deleted on the way."""
    ensure_may_sign_in(user)
    now = utcnow()
    forgotten = now - timedelta(hours=config["SESSION_MAX_HOURS"]) - timedelta(days=90)
    db.session.execute(delete(SignIn).where(SignIn.created_at < forgotten))
    sign_in = SignIn(token=secrets.token_hex(16), user=user, created_at=now, last_seen_at=now,
                     device=describe_device(user_agent), network=network_of(address))
    db.session.add(sign_in)
    return sign_in


def sign_in(identifier: str, password: str, *, address: str, user_agent: Optional[str], config) -> SignIn:
    """Check a sign-in and open it on this device."""
    user = authenticate(identifier, password, address=address, config=config)
    return open_sign_in(user, user_agent=user_agent, address=address, config=config)


def live_sign_in(user_id: str, token: Optional[str], *, config) -> Optional[SignIn]:
    """The sign-in a session names, if it still opens the account: not ended, not idle
    too long, not too old, of the user the session names, whose account is usable."""
    return live_sign_ins_of([(user_id, token)], config=config, with_person=True).get(token or "")


def live_sign_ins_of(sessions: Iterable[tuple[Optional[str], Optional[str]]], *, config,
                     with_person: bool = False) -> dict[str, SignIn]:
    """``live_sign_in`` for many sessions at once (user id, token), read in one query: the
    live sign-ins by token. ``with_person``: with the person come their roles and
    households, which every page asks about (one query instead of one for each)."""
    wanted = {token: int(user_id) for user_id, token in sessions if token and (user_id or "").isdigit()}
    if not wanted:
        return {}
    person = joinedload(SignIn.user)
    options = [person.joinedload(User.grants).joinedload(RoleGrant.place),
               person.joinedload(User.memberships).joinedload(HouseholdMember.household)
               .joinedload(Household.place)] if with_person else [person]
    now, limits = utcnow(), _limits(config)
    rows = db.session.scalars(select(SignIn).options(*options).where(SignIn.token.in_(wanted))).unique()
    return {sign_in.token: sign_in for sign_in in rows
            if sign_in.user_id == wanted[sign_in.token] and sign_in.is_live(now, **limits)
            and sign_in.user.can_sign_in}


def seen(sign_in: SignIn) -> bool:
    """Note that the device was seen now, at most once a minute; True when written."""
    return seen_all([sign_in]) == 1


def seen_all(sign_ins: Iterable[SignIn]) -> int:
    """``seen`` for many devices (a burst of votes), with one statement: how many were noted."""
    now = utcnow()
    due = [sign_in for sign_in in sign_ins if now - sign_in.last_seen_at >= SEEN_EVERY]
    if not due:
        return 0
    db.session.execute(update(SignIn).where(SignIn.id.in_([s.id for s in due]), SignIn.last_seen_at < now - SEEN_EVERY)
                       .values(last_seen_at=now).execution_options(synchronize_session=False))
    for sign_in in due:
        sign_in.last_seen_at = now
    return len(due)


def live_sign_ins(user: User, *, config) -> list[SignIn]:
    """The devices on which ``user`` is signed in, the most recently seen first."""
    limits, now = _limits(config), utcnow()
    rows = db.session.scalars(select(SignIn).where(
        SignIn.user_id == user.id, SignIn.ended_at.is_(None),
        SignIn.last_seen_at > now - limits["idle"], SignIn.created_at > now - limits["longest"],
    ).order_by(SignIn.last_seen_at.desc(), SignIn.id.desc())).all()
    return rows


def _end_sign_ins(user: User, *, keep: Optional[SignIn] = None) -> list[str]:
    now = utcnow()
    ended = []
    for sign_in in db.session.scalars(select(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))):
        if keep is not None and sign_in.id == keep.id:
            continue
        sign_in.ended_at = now
        ended.append(sign_in.token)
    return ended


def end_sign_in(sign_in: SignIn, *, actor) -> list[str]:
    """End one sign-in of one's own (signing out, or a device on the account page)."""
    if sign_in.user_id != getattr(actor, "id", None):
        raise NotFound(_l("This device is not signed in to your account."))
    if sign_in.ended_at is not None:
        return []
    sign_in.ended_at = utcnow()
    return [sign_in.token]


def end_all_sign_ins(user: User, *, actor) -> list[str]:
    """Sign out everywhere, this device included."""
    if user.id != getattr(actor, "id", None):
        raise NotAllowed(_l("You may only sign yourself out."))
    ended = _end_sign_ins(user)
    audit.record("account.sign_out_everywhere", user, actor=actor, ended=len(ended))
    return ended


def set_email(user: User, email: Optional[str]) -> User:
    """A person's own e-mail address for copies of their messages; empty removes it."""
    from email_validator import EmailNotValidError, validate_email

    email = (email or "").strip()
    if not email:
        user.email = None
        return user
    try:
        user.email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(_l("This is not an e-mail address."))
    audit.record("account.email", user, actor=user)
    return user


def set_locale(user: User, locale: str, languages) -> None:
    if locale not in languages:
        raise InvalidInput(_l("Unknown language."))
    user.locale = locale


def set_elders_mode(person: User, on: bool, *, actor) -> None:
    """长辈模式 on or off for ``person``: by themselves, or by a grid worker who serves their
    household (recorded in the audit log, since it changes another person's pages)."""
    permissions.require(permissions.can_set_elders_mode(actor, person))
    person.elders_mode = bool(on)
    if actor.id != person.id:
        place = next((m.household.place for m in person.memberships
                      if permissions.has_role(actor, m.household.place, Role.grid_worker, Role.administrator)), None)
        audit.record("account.elders_mode", person, actor=actor, place=place, on=bool(on))


def create_account(*, actor, name: str, phone: Optional[str], username: Optional[str],
                   password: Optional[str], household: Optional[Household] = None,
                   relation: Relation = Relation.owner, place: Optional[Place] = None) -> tuple[User, Optional[str]]:
    """An administrator creates an account, optionally as a member of a household. With no
    password given one is generated and returned, to be handed over once."""
    scope = household.place if household is not None else place
    if scope is None:
        permissions.require(permissions.is_global_administrator(actor))
    else:
        permissions.require(permissions.can_create_account(actor, scope))
    name = clean_person_name(name)
    phone = clean_phone(phone) if phone else None
    username = clean_username(username)
    if phone is None and username is None:
        raise InvalidInput(_l("Give a phone number or a username to sign in with."))
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(9)
    check_password_strength(password)
    _check_unique(phone, username)
    user = User(name=name, phone=phone, username=username, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    if household is not None:
        places.attach_member(household, user, relation, actor=actor)
    audit.record("account.create", user, actor=actor, place=scope)
    return user, generated


def update_person(person: User, *, actor, name: str, phone: Optional[str], username: Optional[str]) -> User:
    """An administrator corrects a person's name, mobile number or username."""
    permissions.require(permissions.can_view_person(actor, person) and permissions.is_administrator(actor))
    name = clean_person_name(name)
    phone = clean_phone(phone) if phone else None
    username = clean_username(username)
    if phone is None and username is None and person.password_hash is not None:
        raise InvalidInput(_l("Give a phone number or a username to sign in with."))
    _check_unique(phone, username, exclude=person)
    changed = [field for field, value in (("name", name), ("phone", phone), ("username", username))
               if getattr(person, field) != value]
    person.name, person.phone, person.username = name, phone, username
    if changed:
        audit.record("account.update", person, actor=actor, fields=changed)
    return person


def set_active(user: User, active: bool, *, actor) -> User:
    permissions.require(permissions.can_view_person(actor, user) and permissions.is_administrator(actor))
    if user.id == actor.id and not active:
        raise InvalidInput(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        _end_sign_ins(user)
    audit.record("account.activate" if active else "account.deactivate", user, actor=actor)
    return user


# --- roles -------------------------------------------------------------------------------

def grant_role(user: User, role: Role, *, actor, place: Optional[Place] = None,
               grid: Optional[Grid] = None, organisation: Optional[Organisation] = None) -> RoleGrant:
    permissions.require(permissions.can_grant_role(actor, role, place=place, grid=grid))
    if place is not None and grid is not None:
        raise InvalidInput(_l("A role is held either in a place or in a grid."))
    if place is None and grid is None and role is not Role.administrator:
        raise InvalidInput(_l("Choose the place where the role is held."))
    if grid is not None and role not in (Role.grid_worker, Role.grid_leader):
        raise InvalidInput(_l("Only grid workers and grid leaders are assigned to grids."))
    if role is Role.grid_leader and grid is None:
        raise InvalidInput(_l("A grid leader leads a grid; choose it."))
    if role is Role.building_leader and place is not None and place.kind not in (
            PlaceKind.building, PlaceKind.entrance):
        raise InvalidInput(_l("A building leader leads a building or an entrance."))
    if role in (Role.property_manager, Role.committee_member, Role.department_rep) and organisation is None:
        raise InvalidInput(_l("This role is held on behalf of an organisation; choose it."))
    for existing in user.grants:
        if existing.role is role and existing.place_id == (place.id if place else None) \
                and existing.grid_id == (grid.id if grid else None):
            raise Conflict(_l("%(name)s already holds this role here.", name=user.name))
    grant = RoleGrant(user=user, role=role, place=place, grid=grid, organisation=organisation,
                      granted_by_id=actor.id)
    db.session.add(grant)
    audit.record("role.grant", grant, actor=actor, place=place or (grid.community if grid else None),
                 user=user.id, role=role.value)
    return grant


def revoke_grant(grant: RoleGrant, *, actor) -> None:
    permissions.require(permissions.can_grant_role(actor, grant.role, place=grant.place, grid=grant.grid))
    if grant.user_id == actor.id and grant.role is Role.administrator:
        raise InvalidInput(_l("You cannot revoke your own administrator role."))
    audit.record("role.revoke", grant, actor=actor,
                 place=grant.place or (grant.grid.community if grant.grid else None),
                 user=grant.user_id, role=grant.role.value)
    grant.user.grants.remove(grant)
    db.session.flush()


# --- organisations ---------------------------------------------------------------------------

def create_organisation(place: Place, kind: OrganisationKind, name: str, *, actor) -> Organisation:
    permissions.require(permissions.can_manage_place(actor, place))
    name = places.clean_name(name, limit=100)
    if db.session.scalar(select(Organisation.id).where(Organisation.place_id == place.id,
                                                       Organisation.name == name)):
        raise Conflict(_l("There is already an organisation named “%(name)s” here.", name=name))
    organisation = Organisation(place=place, kind=kind, name=name)
    db.session.add(organisation)
    audit.record("organisation.create", organisation, actor=actor, place=place, name=name, kind=kind.value)
    return organisation


def add_organisation_member(organisation: Organisation, user: User, *, actor,
                            title: Optional[str] = None) -> OrganisationMember:
    permissions.require(permissions.can_manage_organisation(actor, organisation))
    if any(m.user_id == user.id for m in organisation.members):
        raise Conflict(_l("%(name)s is already a member.", name=user.name))
    title = (title or "").strip() or None
    if title and len(title) > 50:
        raise InvalidInput(_l("The title is too long (at most %(n)d characters).", n=50))
    member = OrganisationMember(organisation=organisation, user=user, title=title)
    db.session.add(member)
    audit.record("organisation.member_add", organisation, actor=actor, place=organisation.place, user=user.id)
    return member


def remove_organisation_member(member: OrganisationMember, *, actor) -> None:
    organisation = member.organisation
    permissions.require(permissions.can_manage_organisation(actor, organisation))
    audit.record("organisation.member_remove", organisation, actor=actor, place=organisation.place,
                 user=member.user_id)
    organisation.members.remove(member)
    db.session.flush()


def set_public_identity(member: OrganisationMember, shown: bool, *, actor) -> OrganisationMember:
    """党员亮身份: a member of a Party organisation shows (or stops showing) their membership
    beside their name where they act. Their own choice, nobody else's."""
    permissions.require(member.user_id == getattr(actor, "id", None),
                        _l("Only the member can choose to show their identity."))
    if member.organisation.kind not in PARTY_KINDS:
        raise InvalidInput(_l("Only members of a Party organisation show this identity."))
    member.public_identity = bool(shown)
    audit.record("organisation.identity", member.organisation, actor=actor, place=member.organisation.place,
                 shown=member.public_identity)
    return member


# --- partners (社区合伙人) ----------------------------------------------------------------------

def register_partner(place: Place, organisation: Organisation, *, actor, offer: str = "") -> Partner:
    """A business or social organisation becomes a partner of ``place``, saying what it
    offers the residents (义诊, 上门维修, 助餐 …)."""
    permissions.require(permissions.can_manage_partners(actor, place))
    if organisation.kind not in PARTNER_KINDS:
        raise InvalidInput(_l("Partners are businesses and social organisations."))
    if not (place.is_within(organisation.place) or organisation.place.is_within(place)):
        raise InvalidInput(_l("This organisation does not serve this place."))
    offer = (offer or "").strip()
    if len(offer) > 500:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=500))
    if db.session.scalar(select(Partner.id).where(Partner.place_id == place.id,
                                                  Partner.organisation_id == organisation.id)):
        raise Conflict(_l("%(name)s is already a partner here.", name=organisation.name))
    partner = Partner(place=place, organisation=organisation, offer=offer, registered_by_id=actor.id)
    db.session.add(partner)
    audit.record("partner.register", partner, actor=actor, place=place, organisation=organisation.id)
    return partner


def remove_partner(partner: Partner, *, actor) -> None:
    permissions.require(permissions.can_manage_partners(actor, partner.place))
    audit.record("partner.remove", partner, actor=actor, place=partner.place, organisation=partner.organisation_id)
    db.session.delete(partner)
    db.session.flush()


def partners_of(place: Place) -> list[Partner]:
    """The partners of ``place`` and of the places above it (a community's partners serve
    its buildings too), nearest first."""
    found = list(db.session.scalars(select(Partner).where(Partner.place_id.in_(place.ancestor_ids))))
    depth = {pid: n for n, pid in enumerate(place.ancestor_ids)}
    return sorted(found, key=lambda p: (-depth[p.place_id], p.organisation.name))


def ensure_may_sign_in(user: User) -> None:
    if not user.active:
        raise NotAllowed(_l("This account is deactivated."))
