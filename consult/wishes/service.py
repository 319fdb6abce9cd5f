"""Small wishes (微心愿): post, claim, give back, fulfil, confirm or send back, withdraw.
Every step goes through the transition table in ``lifecycle``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..accounts.models import MODERATORS
from ..audit import service as audit
from ..clock import utcnow
from ..errors import InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..places.models import Place, PlaceKind
from .lifecycle import AUTHOR, CLAIMANT, HELPER, MODERATOR, TRANSITIONS
from .models import Wish, WishState

TITLE_MAX = 60
BODY_MAX = 1000
NOTE_MAX = 1000
POST_KINDS = (PlaceKind.community, PlaceKind.compound, PlaceKind.building, PlaceKind.entrance)


def can_post_wish(user, place: Place) -> bool:
    """Residents post wishes in the places where they live."""
    return place.kind in POST_KINDS and permissions.belongs_to(user, place)


def can_view_wish(user, wish: Wish) -> bool:
    return getattr(user, "id", None) == wish.author_id or permissions.can_view_place(user, wish.place)


def _of_the_community(user, place: Place) -> bool:
    """A person of the wish's community: living there, or holding a role there (a
    partner's staff, a volunteer registered by the community)."""
    community = permissions.community_of(place)
    if community is None:
        return False
    return community.id in {c.id for c in permissions.home_communities(user)}


def actors_for(user, wish: Wish) -> set[str]:
    """In which capacities ``user`` may act on ``wish``."""
    if not getattr(user, "is_authenticated", False):
        return set()
    found = set()
    if user.id == wish.author_id:
        found.add(AUTHOR)
    elif _of_the_community(user, wish.place):
        found.add(HELPER)
    if wish.claimed_by_id is not None and user.id == wish.claimed_by_id:
        found.add(CLAIMANT)
    if permissions.has_role(user, wish.place, *MODERATORS):
        found.add(MODERATOR)
    return found


def can_take(user, wish: Wish, action: str) -> bool:
    step = TRANSITIONS.get(action)
    return step is not None and wish.state in step.sources and bool(actors_for(user, wish) & set(step.actors))


def available_actions(user, wish: Wish) -> list:
    return [step for step in TRANSITIONS.values() if can_take(user, wish, step.action)]


def post_wish(place: Place, *, actor, title: str, body: str) -> Wish:
    permissions.require(can_post_wish(actor, place), _l("You can post a wish only where you live."))
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        raise InvalidInput(_l("A title is required."))
    if len(title) > TITLE_MAX:
        raise InvalidInput(_l("The title is too long (at most %(n)d characters).", n=TITLE_MAX))
    if len(body) > BODY_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=BODY_MAX))
    wish = Wish(place=place, author_id=actor.id, title=title, body=body, state=WishState.posted)
    db.session.add(wish)
    audit.record("wish.post", wish, actor=actor, place=place)
    return wish


def change_wish(wish: Wish, action: str, *, actor, note: str = "") -> Wish:
    """One step of the lifecycle. A helper claims; the claimant gives it back or marks it
    fulfilled with a note; the author confirms, or sends it back to the claimant."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise InvalidTransition(_l("This action is not available."))
    if wish.state not in step.sources:
        raise InvalidTransition(_l("This wish is “%(state)s”: this cannot be done now.", state=wish.state.label))
    if not actors_for(actor, wish) & set(step.actors):
        if action == "claim" and actor.id == wish.author_id:
            raise NotAllowed(_l("You cannot claim your own wish."))
        raise NotAllowed(_l("You are not allowed to do this."))
    note = (note or "").strip()
    if step.needs_note and not note:
        raise InvalidInput(_l("Write a few words on how the wish was fulfilled."))
    if len(note) > NOTE_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=NOTE_MAX))
    now = utcnow()
    if action == "claim":
        wish.claimed_by_id, wish.claimed_at = actor.id, now
    elif action == "release":
        wish.claimed_by_id, wish.claimed_at = None, None
    elif action == "fulfil":
        wish.fulfilled_at, wish.fulfil_note = now, note
    elif action == "confirm":
        wish.confirmed_at = now
    elif action == "reject":
        wish.fulfilled_at = None
    from_state = wish.state
    wish.state, wish.updated_at = step.target, now
    audit.record(f"wish.{action}", wish, actor=actor, place=wish.place, from_state=from_state.value,
                 to_state=step.target.value)
    return wish


def wishes_in(place: Place, *, actor) -> list[Wish]:
    """The wishes of the place and the places below it, open ones first; withdrawn ones
    only to their authors."""
    rows = db.session.scalars(select(Wish).join(Place, Wish.place_id == Place.id)
                              .where(Place.path.startswith(place.path, autoescape=True))
                              .order_by(Wish.id.desc()).limit(200))
    order = {WishState.posted: 0, WishState.claimed: 1, WishState.fulfilled: 2, WishState.confirmed: 3,
             WishState.withdrawn: 4}
    visible = [w for w in rows if w.state is not WishState.withdrawn or w.author_id == actor.id]
    return sorted(visible, key=lambda w: order[w.state])
