"""Who may do what, where: ``can_<verb>(user, obj) -> bool`` for every domain, here and
nowhere else (places, accounts, proposals, ballots, meetings, minutes, motions).

A role is held in a place and covers the places below it (a moderator of a community
moderates its compounds and buildings), or in a grid, covering the grid's buildings.
Every transport asks these functions; services call ``require`` with them too.
"""
from __future__ import annotations

from typing import Optional

from flask import current_app

from .accounts.models import MODERATORS, PARTY_KINDS, Organisation, OrganisationKind, Role, User
from .errors import NotAllowed
from .places.models import Grid, Household, Place, PlaceKind

# The roles whose work needs residents' full names and phone numbers.
PERSONAL_DATA_ROLES = (Role.administrator, Role.moderator, Role.grid_leader, Role.grid_worker, Role.building_leader)


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def roles_in(user: Optional[User], place: Place) -> set[Role]:
    """The roles ``user`` holds that cover ``place``. Being a member of a household makes
    one a resident of the household's building or entrance."""
    if not _signed_in(user):
        return set()
    roles = {grant.role for grant in user.grants if grant.covers(place)}
    if any(place.is_within(m.household.place) for m in user.memberships):
        roles.add(Role.resident)
    return roles


def has_role(user, place: Place, *roles: Role) -> bool:
    """Like ``roles_in`` but looks at households only when residents are asked for: the
    live room asks at every event whether someone moderates."""
    if not _signed_in(user):
        return False
    if any(grant.role in roles and grant.covers(place) for grant in user.grants):
        return True
    return Role.resident in roles and any(place.is_within(m.household.place) for m in user.memberships)


def moderates(user, place: Place) -> bool:
    """The person runs things in ``place``: one of ``MODERATORS`` covers it."""
    return has_role(user, place, *MODERATORS)


def serves(user, place: Place) -> bool:
    """The person holds a role in ``place`` other than living there (staff, a
    representative, an expert)."""
    return has_role(user, place, *(r for r in Role if r is not Role.resident))


def is_administrator(user) -> bool:
    """An administrator somewhere: sees the administration menu."""
    return _signed_in(user) and any(g.role is Role.administrator for g in user.grants)


def is_global_administrator(user) -> bool:
    return _signed_in(user) and any(
        g.role is Role.administrator and g.place_id is None and g.grid_id is None
        for g in user.grants
    )


def belongs_to(user, place: Place) -> bool:
    """The person lives in ``place``: one of their households is in it or below it."""
    if not _signed_in(user):
        return False
    return any(m.household.place.is_within(place) for m in user.memberships)


# --- places -------------------------------------------------------------------------

def community_of(place: Place) -> Optional[Place]:
    """The community (社区) a place is in, or None for the subdistrict and above."""
    if place.kind is PlaceKind.community:
        return place
    return next((p for p in place.ancestors() if p.kind is PlaceKind.community), None)


def home_communities(user) -> list[Place]:
    """The communities a person belongs to: where their households are, and where the
    places and grids of their roles are."""
    places = [m.household.place for m in user.memberships]
    places += [g.place for g in user.grants if g.place is not None]
    places += [g.grid.community for g in user.grants if g.grid is not None]
    found = {c.id: c for c in (community_of(p) for p in places) if c is not None}
    return list(found.values())


def can_view_place(user, place: Place) -> bool:
    """Who reads what happens in a place (PIPL's minimum necessary). By default
    (``READ_SCOPE = "community"``) a person reads their own communities and every place in
    them, and what the subdistrict and the levels above publish; staff also read wherever
    their roles reach; installation-wide administrators read everything. ``"installation"``
    lets every signed-in person read every place."""
    if not _signed_in(user):
        return False
    if current_app.config.get("READ_SCOPE", "community") == "installation":
        return True
    if any(grant.covers(place) for grant in user.grants):
        return True
    community = community_of(place)
    return community is None or community.id in {c.id for c in home_communities(user)}


def can_manage_place(user, place: Place) -> bool:
    """Add, rename, move and delete places below, households, grids, organisations."""
    return has_role(user, place, Role.administrator)


def can_create_root_place(user) -> bool:
    return is_global_administrator(user)


def can_import_households(user, place: Place) -> bool:
    return has_role(user, place, Role.administrator)


def can_manage_grid(user, grid: Grid) -> bool:
    return has_role(user, grid.community, Role.administrator)


def can_see_personal_data(user, place: Place) -> bool:
    """Full names and phone numbers of the people in ``place``."""
    return has_role(user, place, *PERSONAL_DATA_ROLES)


def can_see_person(viewer, person: User, place: Optional[Place]) -> bool:
    """A person's full name and phone number, shown in ``place``: to themselves, to the
    roles that need them there, and to installation-wide administrators."""
    if not _signed_in(viewer):
        return False
    return (viewer.id == person.id
            or (place is not None and can_see_personal_data(viewer, place))
            or is_global_administrator(viewer))


def can_view_household(user, household: Household) -> bool:
    if not _signed_in(user):
        return False
    if any(m.user_id == user.id for m in household.members):
        return True
    return can_see_personal_data(user, household.place)


def can_manage_invites(user, place: Place) -> bool:
    return has_role(user, place, Role.administrator, Role.grid_worker)


# --- accounts and roles ----------------------------------------------------------------

def can_create_account(user, place: Place) -> bool:
    return has_role(user, place, Role.administrator)


def can_grant_role(user, role: Role, *, place: Optional[Place] = None,
                   grid: Optional[Grid] = None) -> bool:
    if place is not None:
        return has_role(user, place, Role.administrator)
    if grid is not None:
        return has_role(user, grid.community, Role.administrator)
    return is_global_administrator(user)


def can_manage_accounts(user) -> bool:
    return is_administrator(user)


def can_view_person(viewer, person: User) -> bool:
    """Full record of another person: themselves, or an administrator whose places hold
    one of the person's households or roles."""
    if not _signed_in(viewer):
        return False
    if viewer.id == person.id or is_global_administrator(viewer):
        return True
    places = [m.household.place for m in person.memberships]
    places += [g.place for g in person.grants if g.place is not None]
    places += [g.grid.community for g in person.grants if g.grid is not None]
    return any(has_role(viewer, p, Role.administrator) for p in places)


def can_set_elders_mode(user, person: User) -> bool:
    """长辈模式: the person themselves, or a grid worker (or an administrator) who serves
    one of their households, for a resident who cannot find the switch."""
    if not _signed_in(user):
        return False
    if user.id == person.id:
        return True
    return any(has_role(user, m.household.place, Role.grid_worker, Role.administrator) for m in person.memberships)


def can_manage_organisation(user, organisation: Organisation) -> bool:
    return has_role(user, organisation.place, Role.administrator)


def can_view_audit(user, place: Place) -> bool:
    return has_role(user, place, Role.administrator)


def require(allowed: bool, message=None) -> None:
    """Raise ``NotAllowed`` unless ``allowed``: services guard every operation with it."""
    if not allowed:
        from flask_babel import lazy_gettext as _l

        raise NotAllowed(message or _l("You are not allowed to do this."))


# --- proposals -------------------------------------------------------------------------------

def can_raise(user, place: Place) -> bool:
    """Residents raise matters in the places they live in; staff of the place too."""
    return belongs_to(user, place) or has_role(
        user, place, Role.building_leader, Role.grid_worker, *MODERATORS)


def can_raise_on_behalf(user, place: Place) -> bool:
    """代办: a building leader or grid worker enters a matter for a resident."""
    return has_role(user, place, Role.building_leader, Role.grid_worker, *MODERATORS)


def can_edit_categories(user) -> bool:
    """Categories are shared by the whole installation."""
    return is_global_administrator(user)


def can_view_proposal(user, proposal) -> bool:
    """The people who read its place, its author, and — as the subdistrict publishes the
    matters it takes up with other parties — everyone for a platform-tier matter."""
    from .proposals.models import Tier

    if not _signed_in(user):
        return False
    return (proposal.author_id == user.id or proposal.tier is Tier.platform
            or can_view_place(user, proposal.place))


def can_cosign(user, proposal) -> bool:
    from .proposals.lifecycle import OPEN_STATES

    return proposal.state in OPEN_STATES and belongs_to(user, proposal.place)


def can_comment(user, proposal) -> bool:
    from .proposals.lifecycle import OPEN_STATES

    return proposal.state in OPEN_STATES and (
        belongs_to(user, proposal.place) or bool(roles_in(user, proposal.place) - {Role.resident}))


def can_moderate(user, proposal) -> bool:
    return moderates(user, proposal.place)


def can_open_call(user, place: Place) -> bool:
    """提案征集 in a place."""
    return moderates(user, place)


def can_transition(user, proposal, action: str) -> bool:
    """The action exists, the proposal is in one of its starting states, and the user holds
    one of its roles in the proposal's place."""
    from .proposals.lifecycle import TRANSITIONS

    transition = TRANSITIONS.get(action)
    return (transition is not None and proposal.state in transition.sources
            and has_role(user, proposal.place, *transition.who))


def acts_officially(person: User, place: Place) -> bool:
    """A moderator, grid worker, property manager … acting in ``place``: their name on the
    public record is not masked, as it is their office that acts."""
    return bool(roles_in(person, place) - {Role.resident}) or party_committee_member(person, place)


# --- ballots ---------------------------------------------------------------------------------

def can_draft_ballot(user, place: Place) -> bool:
    return moderates(user, place)


def can_run_ballot(user, ballot) -> bool:
    """Draft, open and close: the moderators of the ballot's place."""
    return moderates(user, ballot.place)


def can_view_ballot(user, ballot, *, once_open: bool = False) -> bool:
    """Those who live in the ballot's place, serve it, or are in its electorate; a draft
    only those who run it. A resident of another building sees nothing of it.
    ``once_open``: would see the draft once it is open (a ballot whose opening time has
    come, before it opens on access)."""
    from .voting.models import BallotState, BallotVoter

    if not _signed_in(user):
        return False
    if can_run_ballot(user, ballot):
        return True
    if ballot.state is BallotState.draft and not once_open:
        return False
    if belongs_to(user, ballot.place) or roles_in(user, ballot.place) - {Role.resident}:
        return True
    if can_enter_paper(user, ballot):
        return True
    from .extensions import db

    if db.session.query(BallotVoter.id).filter_by(ballot_id=ballot.id, user_id=user.id).first() is not None:
        return True
    return holds_proxy_in(user, ballot)


def can_enter_paper(user, ballot, voter=None) -> bool:
    """代投: moderators of the ballot's place; grid workers and building leaders for the
    buildings they look after (for a community's ballot, the voters of their buildings)."""
    if not _signed_in(user):
        return False
    if moderates(user, ballot.place):
        return True
    helpers = (Role.grid_worker, Role.building_leader)
    if voter is not None:
        return voter.building is not None and has_role(user, voter.building, *helpers)
    for grant in user.grants:
        if grant.role not in helpers:
            continue
        served = [grant.place] if grant.place is not None else grant.grid.buildings if grant.grid else []
        if any(p.is_within(ballot.place) or ballot.place.is_within(p) for p in served):
            return True
    return False


# --- owners' decisions --------------------------------------------------------------------

def is_owner_in(user, place: Place) -> bool:
    """An owner (业主) of a unit in ``place`` or below it."""
    from .places.models import Relation

    return _signed_in(user) and any(m.relation is Relation.owner and m.household.place.is_within(place)
                                    for m in user.memberships)


def holds_proxy_in(user, ballot) -> bool:
    """A proxy (书面委托) who may cast an owner's vote in ``ballot``, wherever they live."""
    from sqlalchemy import or_, select

    from .clock import utcnow
    from .extensions import db
    from .owners.models import Proxy
    from .voting.models import Electorate

    if not _signed_in(user) or ballot.electorate is not Electorate.owners:
        return False
    mine = Proxy.proxy_id == user.id
    if user.phone:
        mine = or_(mine, Proxy.proxy_id.is_(None) & (Proxy.proxy_phone == user.phone))
    rows = db.session.scalars(select(Proxy).where(mine, Proxy.revoked_at.is_(None), or_(
        Proxy.ballot_id == ballot.id, Proxy.ballot_id.is_(None)))).all()
    now = utcnow()
    return any(p.ballot_id == ballot.id or (ballot.place.is_within(p.place)
                                            and (p.valid_until is None or now < p.valid_until)) for p in rows)


def can_view_register(user, ballot) -> bool:
    """The register an owners' ballot counts: its owners and those who serve the place."""
    return can_run_ballot(user, ballot) or is_owner_in(user, ballot.place) or can_enter_paper(user, ballot)


def can_settle_objections(user, ballot) -> bool:
    """An objection to the register is settled by an administrator of the ballot's place."""
    return has_role(user, ballot.place, Role.administrator)


def can_post_notice(user, ballot) -> bool:
    """Post the printed notice and record it: those who enter paper ballots there."""
    return can_enter_paper(user, ballot)


def can_record_proxy(user, place: Place) -> bool:
    """Record an owner's signed authorisation: moderators and grid workers of the place."""
    return has_role(user, place, *MODERATORS, Role.grid_worker)


def can_review_certificate(user, household: Household) -> bool:
    return moderates(user, household.place)


def can_watch_turnout(user, ballot) -> bool:
    """The turnout desk, which names who has not voted yet: those who enter paper ballots
    (moderators; grid workers and building leaders for their buildings). Never residents:
    they read the overall participation on the ballot's page."""
    return can_enter_paper(user, ballot)


def can_canvass(user, ballot, building: Optional[Place]) -> bool:
    """A building's door-knocking list, its visits, its reminders and assisted votes: the
    moderators of the ballot's place, and the grid workers and building leaders of the
    building."""
    if not _signed_in(user) or building is None:
        return False
    return moderates(user, ballot.place) or has_role(user, building, Role.grid_worker, Role.building_leader)


# --- meetings ------------------------------------------------------------------------------

def party_committee_member(user, place: Place) -> bool:
    """A member of the Party committee (社区党委 / 党总支) of the community ``place`` is in."""
    if not _signed_in(user):
        return False
    community = community_of(place)
    return community is not None and community.id in _party_committees_of(user)


def _party_committees_of(user) -> set[int]:
    """The communities whose Party committee ``user`` is a member of. Asked for every name
    on a page (``acts_officially``): in a request, the few members are read once."""
    from flask import g, has_request_context

    if not has_request_context():
        return {o.place_id for o in organisations_of(user) if o.kind is OrganisationKind.party_committee}
    if "party_committees" not in g:
        from .accounts.models import OrganisationMember
        from .extensions import db

        committees: dict[int, set[int]] = {}
        for user_id, place_id in db.session.execute(
                db.select(OrganisationMember.user_id, Organisation.place_id)
                .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
                .where(Organisation.kind == OrganisationKind.party_committee)):
            committees.setdefault(user_id, set()).add(place_id)
        g.party_committees = committees
    return g.party_committees.get(user.id, set())


def convenes(user, place: Place) -> bool:
    """Calls and runs meetings in ``place``: its moderators, and the community's Party
    committee, which convenes at any place of its community."""
    return moderates(user, place) or party_committee_member(user, place)


def can_schedule_meeting(user, place: Place) -> bool:
    return convenes(user, place)


def can_run_meeting(user, meeting) -> bool:
    """Those who convene in the meeting's place: asked at every action, so a revoked role
    stops a moderator at once, even the one who scheduled the meeting."""
    return convenes(user, meeting.place)


def is_invited(user, meeting) -> bool:
    from .extensions import db
    from .meetings.models import Invitee

    return _signed_in(user) and db.session.scalar(
        db.select(Invitee.id).where(Invitee.meeting_id == meeting.id, Invitee.user_id == user.id)) is not None


def invited_among(user_ids, meeting) -> set[int]:
    """``is_invited`` for many people at once (a burst of votes in the room), in one query."""
    from .extensions import db
    from .meetings.models import Invitee

    return set(db.session.scalars(db.select(Invitee.user_id).where(Invitee.meeting_id == meeting.id,
                                                                   Invitee.user_id.in_(set(user_ids)))))


def can_enter_meeting(user, meeting, *, invited: Optional[set[int]] = None) -> bool:
    """The room, and what was said in it: invitees, the recorder and those who run the
    meeting; nobody else. ``invited``: the invitees among a batch of people, read at once
    (``invited_among``)."""
    if not _signed_in(user):
        return False
    return user.id == meeting.recorder_id or (
        user.id in invited if invited is not None else is_invited(user, meeting)) or can_run_meeting(user, meeting)


def can_view_meeting(user, meeting) -> bool:
    """The meeting's page (its time, place, agenda): those who may enter, those who live
    in its place and those who serve there."""
    return can_enter_meeting(user, meeting) or belongs_to(user, meeting.place) or serves(user, meeting.place)


# --- minutes ------------------------------------------------------------------------------

def can_write_minutes(user, minutes) -> bool:
    """The meeting's recorder, or a moderator of its place."""
    return _signed_in(user) and (user.id == minutes.meeting.recorder_id or can_run_meeting(user, minutes.meeting))


def signs_minutes(user, minutes) -> bool:
    return _signed_in(user) and any(s.user_id == user.id for s in minutes.signers)


def can_view_minutes(user, minutes) -> bool:
    """Published minutes are for everyone who may see the place; a draft only for those
    who write or sign it."""
    if minutes.current is not None:
        return can_view_place(user, minutes.place)
    return can_write_minutes(user, minutes) or signs_minutes(user, minutes)


def can_view_minutes_version(user, version) -> bool:
    """A signed version, as the minutes; one being written, its writers and signers."""
    minutes = version.minutes
    if version.frozen:
        return can_view_minutes(user, minutes)
    return can_write_minutes(user, minutes) or signs_minutes(user, minutes)


def can_remark_minutes(user, minutes) -> bool:
    """Comments and objections in the publicity period: those who live in the place and
    those who could enter the meeting."""
    from .minutes.lifecycle import TRANSITIONS

    return (TRANSITIONS.allows(minutes.state, "remark") and _signed_in(user)
            and (belongs_to(user, minutes.place) or can_enter_meeting(user, minutes.meeting)))


def can_answer_remark(user, minutes) -> bool:
    return can_run_meeting(user, minutes.meeting)


# --- motions ------------------------------------------------------------------------------

def organisations_of(user) -> list[Organisation]:
    """The organisations a person is a member of (a property company's staff, a
    department's)."""
    from .accounts.models import OrganisationMember
    from .extensions import db

    if not _signed_in(user):
        return []
    return list(db.session.scalars(db.select(Organisation).join(OrganisationMember)
                                   .where(OrganisationMember.user_id == user.id).order_by(Organisation.id)))


def responders_for(user, motion) -> list:
    """The responders of ``motion`` ``user`` speaks for: the addressed organisations they
    are a member of, or the person named."""
    org_ids = {o.id for o in organisations_of(user)}
    return [r for r in motion.responders if r.organisation_id in org_ids or r.person_id == getattr(user, "id", None)]


def is_responder(user, motion) -> bool:
    return bool(responders_for(user, motion))


def is_lead_responder(user, motion) -> bool:
    return motion.lead in responders_for(user, motion)


def can_assign_motion(user, place: Place, report=None) -> bool:
    """The moderators of the place; for a report a grid worker has accepted (承单), those
    who handle it, who send it on to the organisation that must act (派单)."""
    if report is not None:
        from .grids.models import ReportState

        return report.place_id == place.id and report.state is ReportState.accepted and handles_report(user, report)
    return moderates(user, place)


def can_moderate_motion(user, motion) -> bool:
    """The moderators of the motion's place, and of the place it was escalated to."""
    return moderates(user, motion.escalated_to or motion.place) or moderates(user, motion.place)


def can_view_motion(user, motion) -> bool:
    """Public within the place: its residents and staff, and the responders."""
    return can_view_place(user, motion.place) or is_responder(user, motion)


def can_take_motion_action(user, motion, action: str) -> bool:
    """Would ``action`` of the motion lifecycle be allowed now? For showing the buttons;
    the services check again."""
    from .motions.lifecycle import ANY_RESPONDER, MODERATOR, RESIDENT, RESPONDER, TRANSITIONS
    from .motions.models import rating_household

    step = TRANSITIONS[action]
    if motion.state not in step.sources:
        return False
    if action == "acknowledge":
        return any(r.acknowledged_at is None for r in responders_for(user, motion))
    if RESPONDER in step.who and is_responder(user, motion):
        return action in ANY_RESPONDER or is_lead_responder(user, motion)
    if MODERATOR in step.who and can_moderate_motion(user, motion):
        return True
    if RESIDENT in step.who:
        return rating_household(user, motion) is not None
    return False


# --- the JSON API ----------------------------------------------------------------------

def can_register_api_client(user, place: Place) -> bool:
    """An application acting in ``place``: its administrators register it."""
    return has_role(user, place, Role.administrator)


def can_revoke_api_token(user, token) -> bool:
    """A personal token: its person. An app client's: the client's administrators."""
    if not _signed_in(user):
        return False
    if token.client is None:
        return token.user_id == user.id
    from .extensions import db

    places = [db.session.get(Place, i) for i in token.client.place_ids]
    return any(p is not None and can_register_api_client(user, p) for p in places)


# --- grid reports -----------------------------------------------------------------------------

GRID_STAFF = (Role.grid_worker, Role.grid_leader)


def can_raise_report(user, place: Place) -> bool:
    """群众报单: residents report from where they live; staff enter a report for them."""
    return belongs_to(user, place) or has_role(user, place, Role.building_leader, *GRID_STAFF, *MODERATORS)


def handles_report(user, report) -> bool:
    """The grid workers and grid leaders whose grids cover the report's place (a large
    grid's leader covers its micro grids), and the community's moderators."""
    return has_role(user, report.place, *GRID_STAFF, *MODERATORS)


def can_view_report(user, report) -> bool:
    return _signed_in(user) and (report.author_id == user.id or handles_report(user, report))


def can_view_grid_reports(user, grid: Grid) -> bool:
    """A grid's queue: its workers and leaders (a large grid's, its micro grids' too) and
    the community's moderators."""
    if not _signed_in(user):
        return False
    return moderates(user, grid.community) or any(
        g.role in GRID_STAFF and g.grid_id is not None and g.grid_id in {x.id for x in grid.lineage()}
        for g in user.grants) or any(has_role(user, b, *GRID_STAFF) for b in grid.all_buildings)


# --- organisations of the practice ---------------------------------------------------------

def can_manage_partners(user, place: Place) -> bool:
    """社区合伙人 are registered by the moderators and administrators of the place."""
    return moderates(user, place)


def can_manage_roster(user, place: Place) -> bool:
    """The standing 1+5+N roster of a place."""
    return moderates(user, place)


def public_identity(person: User, place: Optional[Place]):
    """党员亮身份: what ``person`` chose to show beside their name in ``place`` — their
    membership of a Party organisation whose place covers ``place`` — or None. Asked for
    every name on a page: the few who chose it are read once per request."""
    if place is None or person is None or getattr(person, "id", None) is None:
        return None
    from flask import g, has_request_context

    if has_request_context() and "public_identities" in g:
        shown = g.public_identities
    else:
        from .accounts.models import OrganisationMember
        from .extensions import db

        shown: dict[int, list[str]] = {}
        for user_id, path in db.session.execute(
                db.select(OrganisationMember.user_id, Place.path)
                .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
                .join(Place, Place.id == Organisation.place_id)
                .where(OrganisationMember.public_identity.is_(True), Organisation.kind.in_(PARTY_KINDS))):
            shown.setdefault(user_id, []).append(path)
        if has_request_context():
            g.public_identities = shown
    if any(place.path.startswith(path) for path in shown.get(person.id, ())):
        from flask_babel import gettext

        return gettext("Party member")
    return None
