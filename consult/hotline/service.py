"""12345 work orders (接诉即办): the hotline's system sends an order; its address is matched
to a household or place of the application's places, and the order becomes a motion on
the desk of the organisation that usually answers for that place and kind of matter —
through the same ``motions.assign`` the moderators' pages use. An order number is taken
once: sent again, the order as it stands is answered. Each step of the motion moves the
order (accepted → answered → completed, with the answer's text) and is reported by the
webhook event ``work_order.updated``."""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..api import schemas
from ..clock import from_local, utcnow
from ..errors import InvalidInput
from ..extensions import db
from ..motions import service as motions
from ..places.models import Household, Place
from ..proposals.models import Category
from ..voting.service import address_pattern
from ..webhooks import service as webhooks
from .models import WorkOrder, WorkOrderState

NUMBER_MAX, ADDRESS_MAX, MATTER_MAX = 40, 300, 4000
TITLE_MAX = 100
_DIGIT = re.compile(r"\d")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def _chain(place: Place, roots: list[Place]) -> list[Place]:
    """The place and those above it, from below the application's place down."""
    return [p for p in [*place.ancestors(), place] if any(p.is_within(r) for r in roots)]


def _score(chain: list[Place], room: str, address: str) -> Optional[int]:
    """None when the numbered parts (1号楼 1单元 302) are not all in the address, in
    order and as whole numbers; else how many of the named parts (富成花园北区) are."""
    numbered = "".join(p.name for p in chain if _DIGIT.search(p.name)) + room
    pattern = address_pattern(numbered)
    if pattern is None or not pattern.search(address):
        return None
    return sum(1 for p in chain if not _DIGIT.search(p.name) and _compact(p.name) in address)


def _best(scored: list[tuple[int, int, object]]):
    """The one candidate with the best score (then the deepest), or None when two tie."""
    if not scored:
        return None
    scored.sort(key=lambda c: (c[0], c[1]), reverse=True)
    if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
        return None
    return scored[0][2]


def match_address(text: str, roots: list[Place]) -> tuple[Optional[Place], Optional[Household]]:
    """The household the caller's address names (with the desk's matching of numbers:
    ``voting.service.address_pattern``), else the deepest place it names, within ``roots``.
    (None, None) when nothing, or more than one, fits."""
    address = _compact(text)
    if not address or not roots:
        return None, None
    within = or_(*[Place.path.startswith(r.path, autoescape=True) for r in roots])
    homes = db.session.scalars(select(Household).join(Place, Place.id == Household.place_id).where(within))
    scored = []
    for home in homes:
        chain = _chain(home.place, roots)
        score = _score(chain, home.room, address)
        if score is not None:
            scored.append((score, len(chain) + 1, home))
    home = _best(scored)
    if home is not None:
        return home.place, home
    scored = []
    for place in db.session.scalars(select(Place).where(within)):
        chain = _chain(place, roots)
        if _DIGIT.search(place.name):
            score = _score(chain, "", address)
        else:
            score = 0 if _compact(place.name) in address else None
        if score is not None:
            scored.append((score, len(chain), place))
    return _best(scored), None


def find(number: str) -> Optional[WorkOrder]:
    return db.session.scalar(select(WorkOrder).where(WorkOrder.number == (number or "").strip()))


def _category(name: Optional[str]) -> Optional[Category]:
    name = (name or "").strip()
    if not name:
        return None
    return db.session.scalar(select(Category).where(or_(Category.name_zh == name, Category.name_en == name)))


def _text(value: Optional[str], limit: int, field: str, missing) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(missing, field=field)
    if len(value) > limit:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=limit), field=field)
    return value


def receive(*, actor, places: list[Place], number: str, address: str, matter: str, category: Optional[str] = None,
            deadline: Optional[datetime] = None, api_client_id: Optional[int] = None) -> WorkOrder:
    """The order as a motion on the responsible organisation's desk, in the caller's
    transaction. ``actor`` is the account the hotline's application acts as (a moderator
    of its places: ``motions.assign`` checks it)."""
    number = _text(number, NUMBER_MAX, "number", _l("The order number is missing."))
    address = _text(address, ADDRESS_MAX, "address", _l("The caller's address is missing."))
    matter = _text(matter, MATTER_MAX, "matter", _l("Describe the matter."))
    place, household = match_address(address, places)
    matched = place is not None
    if place is None:
        if len(places) != 1:
            raise InvalidInput(_l("The address names none of the application's places."), field="address")
        place = places[0]
    kind = _category(category)
    organisation = motions.default_organisation(place, kind)
    if organisation is None:
        raise InvalidInput(_l("No organisation serves %(place)s.", place=place.name), field="address")
    days = None
    if deadline is not None:
        # With an offset: that moment; without: the site's local time, as the hotline writes it.
        deadline = deadline.astimezone(timezone.utc).replace(tzinfo=None) if deadline.tzinfo else from_local(deadline)
        days = min(365, max(1, math.ceil((deadline - utcnow()).total_seconds() / 86400)))
    title = f"12345 {number}: {matter}"
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX - 1] + "…"
    body = "\n\n".join([matter, _("Caller's address: %(address)s", address=address),
                        *([_("Category: %(category)s", category=category)] if category else [])])
    motion = motions.assign(place, actor=actor, title=title, body=body[:motions.TEXT_MAX],
                            organisations=[organisation], complete_days=days)
    order = WorkOrder(number=number, api_client_id=api_client_id, address=address, matter=matter,
                      category=(category or "").strip() or None, deadline=deadline, place=place,
                      household_id=household.id if household else None, matched=matched, motion=motion,
                      state=WorkOrderState.accepted, created_at=utcnow(), updated_at=utcnow())
    db.session.add(order)
    db.session.flush()
    _report(order)
    return order


def order_fields(order: WorkOrder) -> dict:
    """The order as the API gives it (``schemas.WorkOrderOut``) and the webhook sends it:
    public fields only, the answer masked."""
    return {
        "number": order.number, "state": order.state.value,
        "answer": schemas.shown_text(order.answer, None, None, None) if order.answer else None,
        "place": {"id": order.place.id, "name": order.place.name, "kind": order.place.kind.value},
        "household_id": order.household_id, "matched": order.matched, "motion_id": order.motion_id,
        "deadline": order.deadline, "created_at": order.created_at, "updated_at": order.updated_at}


def order_data(order: WorkOrder) -> dict:
    return schemas.WorkOrderOut().dump(order_fields(order))


def _report(order: WorkOrder) -> None:
    webhooks.enqueue("work_order.updated", order.place, order_data(order))


# What a step of the motion makes of the order.
ANSWERED = {"accept", "accept_part", "decline", "progress"}
BACK = {"reopen", "send_back"}
ENDED = {"close", "withdraw"}


def on_motion_recorded(motion, *, action: str, body: Optional[str] = None) -> None:
    """``motions.signals.motion_recorded``: the order of the motion follows it."""
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.motion_id == motion.id))
    if order is None:
        return
    if action in ANSWERED:
        order.state = WorkOrderState.answered
        order.answer = body or order.answer or (str(motion.answer.label) if motion.answer else None)
    elif action == "complete":
        order.state, order.answer = WorkOrderState.completed, body or order.answer
    elif action in BACK:
        order.state = WorkOrderState.answered if motion.answer else WorkOrderState.accepted
    elif action in ENDED:
        order.state, order.answer = WorkOrderState.closed, body or order.answer
    else:
        return
    order.updated_at = utcnow()
    db.session.flush()
    _report(order)
