"""Proposal operations: raise (also on behalf of a resident), co-sign, comment, triage,
the lifecycle transitions and escalation. Every change writes the timeline and the audit
log; the caller commits."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.util import identity_key

from .. import permissions
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, NotAllowed, NotFound
from ..extensions import db
from ..notifications import service as notifications
from ..photos import encode_photo, save_photo
from ..places.models import Place, PlaceKind
from .lifecycle import SETTLED, TRANSITIONS
from .models import (
    TIER_ORDER,
    Category,
    Comment,
    CoSignature,
    Proposal,
    ProposalCall,
    ProposalEvent,
    ProposalPhoto,
    ProposalState,
    Tier,
)
from .signals import proposal_raised

TITLE_MAX = 100
BODY_MAX = 5000
COMMENT_MAX = 2000
REASON_MAX = 1000
# Residents raise matters in these places, not in a whole subdistrict.
RAISE_KINDS = (PlaceKind.community, PlaceKind.compound, PlaceKind.building, PlaceKind.entrance)


def get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_l("No such proposal."))
    return proposal


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active).order_by(Category.position)))


def save_category(category: Optional[Category], *, actor, name_zh: str, name_en: str, position: int,
                  active: bool) -> Category:
    """Administrators keep the list of categories. A category in use is retired (inactive),
    never deleted, so that old matters keep theirs."""
    permissions.require(permissions.can_edit_categories(actor))
    name_zh = _text(name_zh, 40, _l("A name is required."), _l("The name is too long (at most %(n)d characters).", n=40))
    name_en = _text(name_en, 60, _l("A name is required."), _l("The name is too long (at most %(n)d characters).", n=60))
    clash = db.session.scalar(select(Category.id).where(Category.name_zh == name_zh))
    if clash is not None and (category is None or clash != category.id):
        raise Conflict(_l("There is already a category named “%(name)s”.", name=name_zh))
    if category is None:
        category = Category()
        db.session.add(category)
    category.name_zh, category.name_en, category.position, category.active = name_zh, name_en, position, active
    audit.record("proposal.category_save", category, actor=actor, name=name_zh, active=active)
    return category


def _text(value: str, limit: int, missing, too_long) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(missing)
    if len(value) > limit:
        raise InvalidInput(too_long)
    return value


def _reason(reason: Optional[str], required: bool) -> Optional[str]:
    reason = (reason or "").strip() or None
    if required and reason is None:
        raise InvalidInput(_l("Write the reason: the author will read it."))
    if reason and len(reason) > REASON_MAX:
        raise InvalidInput(_l("The reason is too long (at most %(n)d characters).", n=REASON_MAX))
    return reason


def _event(proposal: Proposal, action: str, *, actor, from_state=None, to_state=None, reason=None,
           **detail) -> ProposalEvent:
    event = ProposalEvent(proposal=proposal, action=action, actor_id=getattr(actor, "id", None),
                          from_state=from_state.value if from_state else None,
                          to_state=to_state.value if to_state else None, reason=reason, detail=detail)
    db.session.add(event)
    proposal.updated_at = utcnow()
    return event


def raise_proposal(place: Place, *, actor, title: str, body: str, category: Category,
                   on_behalf_of=None, call: Optional[ProposalCall] = None, photos: list[bytes] = (),
                   config=None) -> Proposal:
    """说事: a resident raises a matter in a place they belong to, or a building leader or
    grid worker enters it for a resident of the place (代办)."""
    if place.kind not in RAISE_KINDS:
        raise InvalidInput(_l("Raise a matter in a community, compound, building or entrance."))
    if on_behalf_of is not None and on_behalf_of.id != actor.id:
        permissions.require(permissions.can_raise_on_behalf(actor, place))
        if not permissions.belongs_to(on_behalf_of, place):
            raise InvalidInput(_l("%(name)s does not live in %(place)s.", name=on_behalf_of.name,
                                  place=place.name))
        author = on_behalf_of
    else:
        permissions.require(permissions.can_raise(actor, place),
                            _l("You can raise matters only in the places where you live or work."))
        author = actor
    if category is None or not category.active:
        raise InvalidInput(_l("Choose a category."))
    if call is not None:
        if not call.is_open:
            raise InvalidInput(_l("The call “%(title)s” has closed.", title=call.title))
        if not place.is_within(call.place):
            raise InvalidInput(_l("The call “%(title)s” is for %(place)s.", title=call.title, place=call.place.name))
    title = _text(title, TITLE_MAX, _l("A title is required."),
                  _l("The title is too long (at most %(n)d characters).", n=TITLE_MAX))
    body = _text(body, BODY_MAX, _l("Describe the matter."),
                 _l("The text is too long (at most %(n)d characters).", n=BODY_MAX))
    proposal = Proposal(place=place, title=title, body=body, category=category, author=author,
                        entered_by_id=actor.id if author is not actor else None,
                        tier=Tier.home, state=ProposalState.submitted, call=call)
    db.session.add(proposal)
    if photos:
        if len(photos) > config["PHOTOS_PER_PROPOSAL"]:
            raise InvalidInput(_l("At most %(n)d photos.", n=config["PHOTOS_PER_PROPOSAL"]))
        encoded = [encode_photo(data, config=config) for data in photos]
        for jpeg, width, height in encoded:
            proposal.photos.append(ProposalPhoto(token=save_photo(jpeg, config=config), width=width,
                                                 height=height, uploaded_by_id=actor.id))
    _event(proposal, "raise", actor=actor, to_state=ProposalState.submitted,
           on_behalf_of=author.id if author is not actor else None)
    notifications.notify(notifications.moderators_of(place), "proposal.raised", skip=actor,
                         proposal=proposal.id, title=title, place=place.name)
    audit.record("proposal.raise", proposal, actor=actor, place=place)
    proposal_raised.send(proposal, actor=actor)
    return proposal


def cosign(proposal: Proposal, *, actor, household=None) -> CoSignature:
    """联名: once per household. The database refuses a second signature of the same
    household even when two members press the button at the same moment."""
    permissions.require(permissions.can_cosign(actor, proposal),
                        _l("Only residents of %(place)s can co-sign while the matter is open.",
                           place=proposal.place.name))
    mine = [m.household for m in actor.memberships if m.household.place.is_within(proposal.place)]
    if household is None:
        household = mine[0]
    elif household not in mine:
        raise NotAllowed(_l("You can co-sign only for your own household."))
    if proposal.author_id == actor.id:
        raise Conflict(_l("You raised this matter yourself."))
    signature = CoSignature(proposal=proposal, household=household, user_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(signature)
    except IntegrityError:
        raise Conflict(_l("Your household has already co-signed this matter."))
    proposal.cosign_count = db.session.scalar(
        select(func.count()).select_from(CoSignature).where(CoSignature.proposal_id == proposal.id))
    audit.record("proposal.cosign", proposal, actor=actor, place=proposal.place, household=household.id)
    return signature


def household_cosigned(user, proposal: Proposal) -> bool:
    """Whether one of ``user``'s households has co-signed ``proposal`` (by any member)."""
    mine = [m.household_id for m in getattr(user, "memberships", [])]
    if not mine:
        return False
    return db.session.scalar(select(CoSignature.id).where(CoSignature.proposal_id == proposal.id,
                                                          CoSignature.household_id.in_(mine)).limit(1)) is not None


def comment(proposal: Proposal, *, actor, body: str, parent: Optional[Comment] = None) -> Comment:
    permissions.require(permissions.can_comment(actor, proposal),
                        _l("Only people of %(place)s can comment while the matter is open.",
                           place=proposal.place.name))
    body = _text(body, COMMENT_MAX, _l("The comment is empty."),
                 _l("The comment is too long (at most %(n)d characters).", n=COMMENT_MAX))
    if parent is not None and parent.proposal_id != proposal.id:
        raise InvalidInput(_l("That comment belongs to another matter."))
    if parent is not None and parent.parent_id is not None:
        parent = db.session.get(Comment, parent.parent_id)  # threads are one level deep, as on a phone
    item = Comment(proposal=proposal, author_id=actor.id, body=body, parent_id=parent.id if parent else None)
    db.session.add(item)
    audit.record("proposal.comment", proposal, actor=actor, place=proposal.place)
    return item


def hide_comment(item: Comment, *, actor, reason: str) -> Comment:
    permissions.require(permissions.can_moderate(actor, item.proposal))
    item.hidden_reason = _reason(reason, required=True)
    item.hidden_by_id = actor.id
    audit.record("proposal.comment_hide", item.proposal, actor=actor, place=item.proposal.place, comment=item.id)
    return item


def _check(proposal: Proposal, action: str, actor):
    step = TRANSITIONS.require(proposal.state, action, _l("This cannot be done while the matter is “%(state)s”.",
                                                          state=proposal.state.label))
    permissions.require(permissions.can_transition(actor, proposal, action))
    return step


def _apply(proposal: Proposal, step, *, actor, reason: Optional[str], **detail) -> Proposal:
    reason = _reason(reason, step.needs_reason)
    before = proposal.state
    if step.target is not None:
        proposal.state = step.target
    _event(proposal, step.action, actor=actor, from_state=before, to_state=proposal.state, reason=reason,
           **detail)
    audit.record(f"proposal.{step.action}", proposal, actor=actor, place=proposal.place,
                 from_state=before.value, to_state=proposal.state.value)
    _tell_followers(proposal, step.action, actor=actor)
    return proposal


def _tell_followers(proposal: Proposal, action: str, *, actor) -> None:
    """The author and the co-signers hear of every step."""
    from ..accounts.models import User

    cosigners = db.session.scalars(select(User).join(CoSignature, CoSignature.user_id == User.id)
                                   .where(CoSignature.proposal_id == proposal.id))
    notifications.notify([proposal.author, *cosigners], "proposal.state", skip=actor,
                         proposal=proposal.id, title=proposal.title, event=action)


def transition(proposal: Proposal, action: str, *, actor, reason: Optional[str] = None, **detail) -> Proposal:
    """Take one action of the lifecycle table."""
    step = _check(proposal, action, actor)
    return _apply(proposal, step, actor=actor, reason=reason, **detail)


# --- the matter follows its meetings, ballots and motions -------------------------------------
# The other domains say what happened (their ``signals``; the subscriptions are declared in
# ``domain``); the matter takes the step of the table that follows from it, here. A step taken for a person (a moderator drafting a
# ballot) asks their role; one taken on a decision's authority (a count, the motions) does
# not, and a matter not in a state the step starts from stays where it is.

def _follow(proposal: Optional[Proposal], action: str, reason: Optional[str] = None, **detail) -> None:
    if proposal is None:
        return
    if TRANSITIONS.allows(proposal.state, action):
        _apply(proposal, TRANSITIONS[action], actor=None, reason=reason[:500] if reason else reason, **detail)


def put_to_the_vote(ballot, *, actor) -> None:
    proposal = ballot.proposal
    if proposal is not None and TRANSITIONS.allows(proposal.state, "deliberate"):
        transition(proposal, "deliberate", actor=actor)


def put_on_the_agenda(meeting, *, actor) -> None:
    for item in meeting.agenda:
        if item.proposal is not None and TRANSITIONS.allows(item.proposal.state, "deliberate"):
            transition(item.proposal, "deliberate", actor=actor)


def ballot_closed(ballot, *, passed: bool, summary: str) -> None:
    """A ballot on the matter closed. Adopted: the matter is decided, the count as its
    reason. Not adopted: the timeline says so and deliberation goes on. The ballot's
    result is the authority here, so no one's role is asked (a ballot over a period closes
    by itself)."""
    proposal = ballot.proposal
    if proposal is None:
        return
    if passed and TRANSITIONS.allows(proposal.state, "decide"):
        _apply(proposal, TRANSITIONS["decide"], actor=None, reason=summary[:REASON_MAX], ballot=ballot.id)
        return
    _event(proposal, "ballot_failed" if not passed else "decide", actor=None, reason=summary[:REASON_MAX],
           ballot=ballot.id)


def motion_in_action(motion, *, reason: Optional[str]) -> None:
    _follow(motion.proposal, "act", reason)


def motion_reopened(motion, *, reason: Optional[str], said: Optional[dict] = None) -> None:
    _follow(motion.proposal, "reopen", reason, **({"said": said} if said else {}))


def motions_settled(motion, *, outcome: Optional[str]) -> None:
    if outcome == "completed":
        _follow(motion.proposal, "complete")
    elif outcome == "closed":
        _follow(motion.proposal, "complete")
        _follow(motion.proposal, "close")


def triage(proposal: Proposal, *, actor, category: Category, tier: Tier, reason: Optional[str] = None,
           place: Optional[Place] = None) -> Proposal:
    """理事: the moderator sets category and tier, moves the matter to the place it belongs
    to if it was raised in the wrong one, and opens it for discussion."""
    step = _check(proposal, "triage", actor)
    if category is None or not category.active:
        raise InvalidInput(_l("Choose a category."))
    detail = {"tier": tier.value, "category": category.id}
    if place is not None and place.id != proposal.place_id:
        if place.kind not in RAISE_KINDS:
            raise InvalidInput(_l("Raise a matter in a community, compound, building or entrance."))
        permissions.require(permissions.moderates(actor, place))
        detail.update(from_place_name=proposal.place.name, to_place_name=place.name)
        proposal.place = place
    proposal.category, proposal.tier = category, tier
    return _apply(proposal, step, actor=actor, reason=reason, **detail)


def triage_places(proposal: Proposal, actor) -> list[Place]:
    """Where a moderator may move a matter at triage: the places above and below it that
    they moderate."""
    below = db.session.scalars(proposal.place.descendants_query().where(Place.kind.in_(RAISE_KINDS))
                               .order_by(Place.path)).all()
    candidates = [p for p in proposal.place.ancestors() if p.kind in RAISE_KINDS] + list(below)
    return [p for p in candidates if permissions.moderates(actor, p)]


def escalate(proposal: Proposal, *, actor, reason: str, tier: Optional[Tier] = None,
             place: Optional[Place] = None) -> Proposal:
    """When a tier cannot settle a matter: a higher tier (home → circle → platform) and/or
    a place higher up the tree. "小事不出社区，大事不出街道". The moderators of the new place
    take it from there."""
    step = _check(proposal, "escalate", actor)
    if tier is None and place is None:
        raise InvalidInput(_l("Choose a higher tier or a higher place."))
    if tier is not None and TIER_ORDER.index(tier) <= TIER_ORDER.index(proposal.tier):
        raise InvalidInput(_l("Escalation goes to a higher tier."))
    if place is not None and (place.id == proposal.place_id or not proposal.place.is_within(place)):
        raise InvalidInput(_l("Escalation goes to a place above this one."))
    detail = {"from_tier": proposal.tier.value, "from_place": proposal.place_id,
              "from_place_name": proposal.place.name}
    if tier is not None:
        proposal.tier = tier
    if place is not None:
        proposal.place = place
    detail.update(to_tier=proposal.tier.value, to_place=proposal.place.id, to_place_name=proposal.place.name)
    if place is not None:
        notifications.notify(notifications.moderators_of(place), "proposal.escalated_here", skip=actor,
                             proposal=proposal.id, title=proposal.title, place=place.name)
    return _apply(proposal, step, actor=actor, reason=reason, **detail)


def merge(proposal: Proposal, into: Proposal, *, actor, reason: str) -> Proposal:
    """A duplicate joins the matter it repeats: its co-signatures (and its author's
    household) and comments move over, both timelines record it, and the duplicate points
    to the survivor."""
    step = _check(proposal, "merge", actor)
    if into.id == proposal.id:
        raise InvalidInput(_l("A matter cannot be merged into itself."))
    if into.state in SETTLED:
        raise InvalidInput(_l("Merge into a matter that is still open."))
    permissions.require(permissions.can_moderate(actor, into))
    signed = {s.household_id for s in db.session.scalars(select(CoSignature).where(CoSignature.proposal_id == into.id))}
    author_households = {m.household_id for m in into.author.memberships}
    for signature in db.session.scalars(select(CoSignature).where(CoSignature.proposal_id == proposal.id)):
        if signature.household_id in signed or signature.household_id in author_households:
            db.session.delete(signature)
        else:
            signature.proposal_id = into.id
            signed.add(signature.household_id)
    for membership in proposal.author.memberships:
        household = membership.household
        if household.id not in signed and household.id not in author_households \
                and household.place.is_within(into.place):
            db.session.add(CoSignature(proposal_id=into.id, household_id=household.id, user_id=proposal.author_id))
            signed.add(household.id)
            break
    for item in list(proposal.comments):
        item.proposal = into
    db.session.flush()
    for p in (proposal, into):
        p.cosign_count = db.session.scalar(
            select(func.count()).select_from(CoSignature).where(CoSignature.proposal_id == p.id))
    proposal.merged_into = into
    _event(into, "merged_in", actor=actor, reason=reason, merged=proposal.id, merged_title=proposal.title)
    return _apply(proposal, step, actor=actor, reason=reason, into=into.id, into_title=into.title)


def open_call(place: Place, *, actor, title: str, description: str, closes_at) -> ProposalCall:
    """提案征集: a moderator invites proposals on a theme until a deadline."""
    permissions.require(permissions.moderates(actor, place))
    title = _text(title, TITLE_MAX, _l("A title is required."),
                  _l("The title is too long (at most %(n)d characters).", n=TITLE_MAX))
    description = (description or "").strip()
    if len(description) > BODY_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=BODY_MAX))
    if closes_at is None or closes_at <= utcnow():
        raise InvalidInput(_l("The deadline must lie in the future."))
    call = ProposalCall(place=place, title=title, description=description, closes_at=closes_at,
                        created_by_id=actor.id)
    db.session.add(call)
    audit.record("proposal.call_open", call, actor=actor, place=place, title=title)
    return call


def calls_for(place: Place, *, open_only: bool = False) -> list[ProposalCall]:
    """Calls of ``place`` and of the places above it: a call of the community also
    gathers proposals from its buildings."""
    query = select(ProposalCall).where(ProposalCall.place_id.in_(place.ancestor_ids))
    if open_only:
        query = query.where(ProposalCall.closes_at > utcnow())
    return list(db.session.scalars(query.order_by(ProposalCall.closes_at.desc())))


def report_comment(item: Comment, *, actor, reason: Optional[str] = None) -> Comment:
    """A resident flags a comment for the moderators."""
    permissions.require(permissions.can_comment(actor, item.proposal) or permissions.can_moderate(actor, item.proposal))
    if item.author_id == actor.id:
        raise InvalidInput(_l("You cannot report your own comment."))
    item.reported_count += 1
    audit.record("proposal.comment_report", item.proposal, actor=actor, place=item.proposal.place,
                 comment=item.id)
    return item


def proposals_in(place: Place, *, state: Optional[ProposalState] = None, tier: Optional[Tier] = None,
                 category_id: Optional[int] = None, call_id: Optional[int] = None, author=None,
                 sort: str = "newest",
                 page: int = 1, per_page: int = 20, count_at_most: Optional[int] = None):
    """The proposals of ``place`` and the places below it, one page of them, and how many
    there are. With ``count_at_most``, they are counted no further than one past it (a
    total above it means "more than"): a count of every matter of a subdistrict reads them
    all at each page."""
    query = select(Proposal).join(Proposal.place).where(Place.path.startswith(place.path, autoescape=True))
    if state is not None:
        query = query.where(Proposal.state == state)
    if tier is not None:
        query = query.where(Proposal.tier == tier)
    if category_id is not None:
        query = query.where(Proposal.category_id == category_id)
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    if author is not None:
        query = query.where(Proposal.author_id == author.id)
    order = {
        "newest": (Proposal.created_at.desc(), Proposal.id.desc()),
        "cosigned": (Proposal.cosign_count.desc(), Proposal.id.desc()),
        "oldest_open": (Proposal.updated_at.asc(), Proposal.id.asc()),
    }.get(sort)
    if order is None:
        raise InvalidInput(_l("Unknown sort order."))
    if sort == "oldest_open":
        query = query.where(Proposal.state.in_([ProposalState.submitted, ProposalState.reopened]))
    counted = query.with_only_columns(Proposal.id)
    if count_at_most is not None:
        counted = counted.limit(count_at_most + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    # Each card names its place: read with the proposal, from the join already there.
    rows = db.session.scalars(query.options(contains_eager(Proposal.place)).order_by(*order)
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def read_for_page(proposal: Proposal) -> Proposal:
    """Read what the proposal's page shows — its steps and comments, and the people named in
    them with their roles and households, which decide how each name is shown — in a fixed
    number of queries, however many steps, comments and people there are."""
    from ..accounts.models import HouseholdMember, RoleGrant, User
    from ..places.models import Household

    people = {proposal.author_id, proposal.entered_by_id}
    people.update(e.actor_id for e in proposal.events)
    people.update(c.author_id for c in proposal.comments)
    people.discard(None)
    # Those read already with what is needed (the reader, with their sign-in) are not read again.
    for user_id in list(people):
        held = db.session.identity_map.get(identity_key(User, user_id))
        if held is not None and not {"grants", "memberships"} & inspect(held).unloaded:
            people.discard(user_id)
    if people:
        # Kept with the proposal: the session holds what it read only while something refers
        # to it, and the page finds each person there by their id.
        proposal._people_named = db.session.scalars(select(User).where(User.id.in_(people)).options(
            selectinload(User.grants).joinedload(RoleGrant.place),
            selectinload(User.memberships).joinedload(HouseholdMember.household).joinedload(Household.place))).all()
    return proposal


def waiting_for(user, *, limit: int = 50) -> list[Proposal]:
    """What a moderator has to triage: raised or reopened matters in the places they
    moderate, oldest first."""
    from ..accounts.models import MODERATORS

    grants = [g for g in user.grants if g.role in MODERATORS]
    if not grants:
        return []
    query = select(Proposal).join(Proposal.place).where(
        Proposal.state.in_([ProposalState.submitted, ProposalState.reopened]))
    if not any(g.place is None and g.grid is None for g in grants):
        paths = [g.place.path for g in grants if g.place is not None]
        if not paths:
            return []
        query = query.where(or_(*[Place.path.startswith(path, autoescape=True) for path in paths]))
    return list(db.session.scalars(query.options(contains_eager(Proposal.place))
                                   .order_by(Proposal.updated_at.asc()).limit(limit)))


def news_for(user, *, days: int = 30, limit: int = 20) -> list[ProposalEvent]:
    """What happened lately to the matters ``user`` raised or their household co-signed:
    the steps others took on them, newest first."""
    mine = select(Proposal.id).where(Proposal.author_id == user.id)
    signed = select(CoSignature.proposal_id).where(CoSignature.user_id == user.id)
    query = (select(ProposalEvent).where(or_(ProposalEvent.proposal_id.in_(mine),
                                             ProposalEvent.proposal_id.in_(signed)),
                                         ProposalEvent.at >= utcnow() - timedelta(days=days),
                                         ProposalEvent.action != "raise",
                                         or_(ProposalEvent.actor_id.is_(None), ProposalEvent.actor_id != user.id))
             .order_by(ProposalEvent.at.desc(), ProposalEvent.id.desc()).limit(limit)
             .options(selectinload(ProposalEvent.proposal)))
    return list(db.session.scalars(query))


def raised_where_served(user, *, limit: int = 20) -> list[Proposal]:
    """For a grid worker or building leader: matters raised (or reopened) in the buildings
    they look after that nobody has taken up yet, newest first."""
    from ..accounts.models import Role

    served = []
    for grant in user.grants:
        if grant.role in (Role.grid_worker, Role.building_leader):
            served += [grant.place] if grant.place is not None else grant.grid.buildings if grant.grid else []
    if not served:
        return []
    query = select(Proposal).join(Proposal.place).where(
        Proposal.state.in_([ProposalState.submitted, ProposalState.reopened]),
        or_(*[Place.path.startswith(p.path, autoescape=True) for p in served]))
    return list(db.session.scalars(query.options(contains_eager(Proposal.place))
                                   .order_by(Proposal.updated_at.desc()).limit(limit)))


def is_overdue(proposal: Proposal, triage_days: int) -> bool:
    return (proposal.state in (ProposalState.submitted, ProposalState.reopened)
            and utcnow() - proposal.updated_at > timedelta(days=triage_days))
