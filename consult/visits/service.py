"""Visits: log one, turning what was heard into a matter raised for the resident in the
same step (代办), and read them per household and per place and period (五访五清).
Visits hold what residents said at home: only the staff of the place read them."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import permissions
from ..accounts.models import Role
from ..audit import service as audit
from ..clock import end_of_local_day, start_of_local_day, utcnow
from ..errors import InvalidInput
from ..extensions import db
from ..places.models import Grid, Household, Place, PlaceKind
from ..proposals import service as proposals
from .models import Visit, VisitOutcome

HEARD_MAX = 3000
VISITORS = (Role.grid_worker, Role.building_leader, Role.moderator, Role.administrator)


def can_log_visit(user, household: Household) -> bool:
    """Grid workers and building leaders visit the households of the places they serve;
    the community's moderators may log a visit too."""
    return permissions.has_role(user, household.place, *VISITORS)


def can_view_visits(user, place: Place) -> bool:
    """Staff of the place only: never the residents, not even neighbours."""
    return permissions.has_role(user, place, *VISITORS)


def log_visit(household: Household, *, actor, visited_at: datetime, heard: str, outcome: VisitOutcome,
              matter_title: str = "", category=None, on_behalf_of=None) -> Visit:
    """走访: record a visit. With ``matter_title``, what was heard is raised at once as a
    matter for ``on_behalf_of`` (a member of the household), and the visit links to it."""
    permissions.require(can_log_visit(actor, household),
                        _l("Only the staff who serve this household can log a visit."))
    if visited_at is None:
        raise InvalidInput(_l("Give the time of the visit."))
    if visited_at > utcnow() + timedelta(minutes=5):
        raise InvalidInput(_l("A visit cannot be logged ahead of time."))
    heard = (heard or "").strip()
    if len(heard) > HEARD_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=HEARD_MAX))
    if outcome is not VisitOutcome.nobody_home and not heard:
        raise InvalidInput(_l("Write down what was heard."))
    visit = Visit(household=household, visitor_id=actor.id, visited_at=visited_at, heard=heard, outcome=outcome)
    db.session.add(visit)
    if (matter_title or "").strip():
        if on_behalf_of is None or not any(m.user_id == on_behalf_of.id for m in household.members):
            raise InvalidInput(_l("Choose the member of the household for whom the matter is raised."))
        visit.proposal = proposals.raise_proposal(household.place, actor=actor, title=matter_title, body=heard,
                                                  category=category, on_behalf_of=on_behalf_of)
        visit.outcome = VisitOutcome.raised
    elif outcome is VisitOutcome.raised:
        raise InvalidInput(_l("Give the matter a title to raise it."))
    db.session.flush()
    audit.record("visit.log", visit, actor=actor, place=household.place, outcome=visit.outcome.value,
                 proposal=visit.proposal_id)
    return visit


def visits_of(household: Household, *, actor) -> list[Visit]:
    permissions.require(can_view_visits(actor, household.place))
    return list(db.session.scalars(select(Visit).where(Visit.household_id == household.id)
                                   .order_by(Visit.visited_at.desc(), Visit.id.desc())))


def period(start: Optional[date], end: Optional[date]) -> tuple[datetime, datetime]:
    """From the start of the first local day to the end of the last, as naive UTC."""
    if start and end and end < start:
        raise InvalidInput(_l("The period ends before it starts."))
    return start_of_local_day(start), end_of_local_day(end)


def _buildings(place: Place, grid: Optional[Grid]) -> list[Place]:
    """The buildings of ``place`` (of ``grid`` within it when given), in name order."""
    if place.kind in (PlaceKind.building, PlaceKind.entrance):
        buildings = [place]
    else:
        buildings = list(db.session.scalars(place.descendants_query().where(Place.kind == PlaceKind.building)
                                            .order_by(Place.path)))
    if grid is not None:
        ids = {b.id for b in grid.buildings}
        buildings = [b for b in buildings if b.id in ids]
    return buildings


def _households_under(place: Place):
    return select(Household.id).join(Place, Household.place_id == Place.id).where(
        Place.path.startswith(place.path, autoescape=True))


def place_report(place: Place, *, actor, start: date, end: date, grid: Optional[Grid] = None) -> dict:
    """For each building of the place (or of the grid): its visits in the period, the
    number of its households and how many of them were visited (五访五清)."""
    permissions.require(can_view_visits(actor, place))
    if grid is not None and grid.community_id != getattr(permissions.community_of(place), "id", None):
        raise InvalidInput(_l("This grid is not in %(place)s.", place=place.name))
    since, until = period(start, end)
    rows = []
    for building in _buildings(place, grid):
        scope = place if place.kind is PlaceKind.entrance else building
        ids = _households_under(scope)
        in_period = (Visit.household_id.in_(ids), Visit.visited_at >= since, Visit.visited_at < until)
        visits = list(db.session.scalars(select(Visit).where(*in_period)
                                         .order_by(Visit.visited_at.desc(), Visit.id.desc())))
        households = db.session.scalar(select(func.count()).select_from(ids.subquery()))
        rows.append({"building": scope, "visits": visits, "households": households,
                     "visited": len({v.household_id for v in visits if v.outcome is not VisitOutcome.nobody_home})})
    return {"rows": rows, "households": sum(r["households"] for r in rows),
            "visited": sum(r["visited"] for r in rows), "visits": sum(len(r["visits"]) for r in rows)}
