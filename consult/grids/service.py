"""Reports in a grid: 群众报单—网格员承单—部门接单—限时办结反馈. A resident reports; the grid
worker accepts within ``REPORT_ACCEPT_HOURS``, then settles it on the spot or dispatches
it as a motion (the motion's deadlines and follow-up take over); a report still waiting
after its deadline goes to the grid leader (网格长). Every step is audited and told to
the people concerned, in the caller's transaction."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from .. import permissions
from ..accounts.models import Organisation, Role, RoleGrant, User
from ..audit import service as audit
from ..clock import utcnow
from ..errors import InvalidInput
from ..extensions import db
from ..motions import service as motions
from ..motions.models import MotionState
from ..notifications import service as notifications
from ..places.models import Grid, Household, Place, PlaceKind
from .lifecycle import TRANSITIONS
from .models import OPEN_STATES, Report, ReportState

TITLE_MAX, TEXT_MAX = 100, 3000


def _text(value: Optional[str], limit: int, missing=None) -> str:
    value = (value or "").strip()
    if missing is not None and not value:
        raise InvalidInput(missing)
    if len(value) > limit:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=limit))
    return value


# --- who is told ----------------------------------------------------------------------------------

def grid_for(place: Place) -> Optional[Grid]:
    """The grid that looks after ``place``: the micro grid whose buildings hold it, else the
    large grid that covers it."""
    community = permissions.community_of(place)
    if community is None:
        return None
    grids = [g for g in db.session.scalars(select(Grid).where(Grid.community_id == community.id).order_by(Grid.id))
             if g.covers(place)]
    grids.sort(key=lambda g: len(g.lineage()), reverse=True)
    return grids[0] if grids else None


def _holders(report: Report, role: Role) -> set[int]:
    """Who holds ``role`` in the report's grid, in the large grid it lies in, or in a place
    covering the report's place."""
    grid_ids = [g.id for g in report.grid.lineage()]
    return set(db.session.scalars(
        select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == role, User.active,
               or_(RoleGrant.grid_id.in_(grid_ids), RoleGrant.place_id.in_(report.place.ancestor_ids)))))


def grid_workers_of(report: Report) -> set[int]:
    return _holders(report, Role.grid_worker)


def grid_leaders_of(report: Report) -> set[int]:
    """The grid leaders; where the grid has none, the community's moderators."""
    return _holders(report, Role.grid_leader) or {u.id for u in notifications.moderators_of(report.place)}


def _tell(user_ids: Iterable[int], kind: str, report: Report, *, skip=None) -> None:
    notifications.notify_ids(user_ids, kind, skip=skip, report=report.id, title=report.title)


# --- the chain ---------------------------------------------------------------------------------

def raise_report(place: Place, *, actor, title: str, body: str = "", household: Optional[Household] = None,
                 on_behalf_of: Optional[User] = None, config=None) -> Report:
    """群众报单: a resident reports a matter where they live; it goes to the grid worker."""
    permissions.require(permissions.can_raise_report(actor, place),
                        _l("You can report only where you live or serve."))
    title = _text(title, TITLE_MAX, _l("Say in a few words what the matter is."))
    body = _text(body, TEXT_MAX)
    author = actor
    if on_behalf_of is not None and on_behalf_of.id != actor.id:
        permissions.require(permissions.can_raise_on_behalf(actor, place))
        if not permissions.belongs_to(on_behalf_of, place):
            raise InvalidInput(_l("The resident must live in this place."))
        author = on_behalf_of
    if household is not None and not household.place.is_within(place):
        raise InvalidInput(_l("The household is not in this place."))
    if place.kind not in (PlaceKind.building, PlaceKind.entrance):
        raise InvalidInput(_l("Report from a building or an entrance."))
    grid = grid_for(place)
    if grid is None:
        raise InvalidInput(_l("No grid looks after this place yet; tell the community."))
    hours = (config or current_app.config)["REPORT_ACCEPT_HOURS"]
    now = utcnow()
    report = Report(grid=grid, place=place, household=household, author_id=author.id, title=title, body=body,
                    created_at=now, accept_by=now + timedelta(hours=hours))
    db.session.add(report)
    db.session.flush()
    audit.record("report.raise", report, actor=actor, place=place, grid=grid.id, author=author.id)
    _tell(grid_workers_of(report) or grid_leaders_of(report), "report.raised", report, skip=actor)
    return report


def _step(report: Report, action: str, actor):
    step = TRANSITIONS.require(report.state, action,
                               _l("This cannot be done while the report is “%(state)s”.", state=report.state.label))
    permissions.require(permissions.handles_report(actor, report),
                        _l("Only the grid workers of this grid can do this."))
    return step


def _accept(report: Report, actor, now: datetime) -> None:
    report.state = ReportState.accepted
    report.accepted_at, report.accepted_by_id = now, actor.id
    report.accept_seconds = int((now - report.created_at).total_seconds())


def accept_report(report: Report, *, actor) -> Report:
    """网格员承单: the grid worker (or, once it was escalated, the grid leader) takes it."""
    _step(report, "accept", actor)
    _accept(report, actor, utcnow())
    audit.record("report.accept", report, actor=actor, place=report.place, in_time=report.accepted_in_time)
    _tell([report.author_id], "report.accepted", report, skip=actor)
    return report


def settle_report(report: Report, *, actor, outcome: str) -> Report:
    """就地解决: settled on the spot, saying what was done (the resident reads it)."""
    step = _step(report, "settle", actor)
    outcome = _text(outcome, TEXT_MAX, _l("Write what was done: the resident will read it."))
    now = utcnow()
    if report.state is ReportState.raised:
        _accept(report, actor, now)
    report.state, report.settled_at, report.outcome = step.target, now, outcome
    report.settle_seconds = int((now - report.created_at).total_seconds())
    audit.record("report.settle", report, actor=actor, place=report.place)
    _tell([report.author_id], "report.settled", report, skip=actor)
    return report


def dispatch_report(report: Report, *, actor, organisations: list[Organisation], note: str = "",
                    complete_days: Optional[int] = None, config=None) -> Report:
    """派单: sent on as a motion to the organisation that must act (部门接单); the motion's
    deadlines, follow-up and rating take over (限时办结反馈)."""
    step = _step(report, "dispatch", actor)
    note = _text(note, TEXT_MAX)
    if report.state is ReportState.raised:
        _accept(report, actor, utcnow())
    body = "\n\n".join(part for part in (report.body, note) if part)
    motion = motions.assign(report.place, actor=actor, title=report.title, body=body, organisations=organisations,
                            complete_days=complete_days, config=config, report=report)
    report.state, report.motion, report.outcome = step.target, motion, note or None
    audit.record("report.dispatch", report, actor=actor, place=report.place, motion=motion.id)
    _tell([report.author_id], "report.dispatched", report, skip=actor)
    return report


# --- the deadline to accept ------------------------------------------------------------------------

def _late(now: datetime):
    return (Report.state == ReportState.raised, Report.escalated_at.is_(None), Report.accept_by < now)


def escalation_is_due() -> bool:
    return bool(db.session.scalar(select(exists().where(*_late(utcnow())))))


def escalate_late_reports() -> int:
    """A report nobody accepted by its deadline goes to the grid leader, once."""
    now = utcnow()
    late = list(db.session.scalars(select(Report).where(*_late(now)).order_by(Report.id)))
    for report in late:
        TRANSITIONS.require(report.state, "escalate")
        report.escalated_at = now
        audit.record("report.escalate", report, actor=None, place=report.place)
        _tell(grid_leaders_of(report), "report.escalated", report)
    return len(late)


# --- reading ----------------------------------------------------------------------------------

def reports_of_grid(grid: Grid, *, actor, open_only: bool = False) -> list[Report]:
    """The reports of the grid and of its micro grids, those waiting longest first."""
    permissions.require(permissions.can_view_grid_reports(actor, grid))
    ids = [grid.id] + [c.id for c in grid.children]
    query = select(Report).where(Report.grid_id.in_(ids))
    if open_only:
        query = query.where(Report.state.in_(OPEN_STATES))
    return list(db.session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc())))


def reports_by(user) -> list[Report]:
    return list(db.session.scalars(select(Report).where(Report.author_id == user.id)
                                   .order_by(Report.created_at.desc(), Report.id.desc())))


def _hours(seconds: list[int]) -> Optional[float]:
    return statistics.median(seconds) / 3600 if seconds else None


def chain_figures(place: Place, start: datetime, end: datetime) -> dict:
    """The chain's figures over the reports raised in ``place`` (and below) in the period:
    how many were accepted, in time, settled on the spot, dispatched and escalated, the
    median hours to accept and to settle (on the spot, or the dispatched motion completed)."""
    reports = list(db.session.scalars(
        select(Report).join(Place, Place.id == Report.place_id)
        .where(Place.path.startswith(place.path, autoescape=True), Report.created_at >= start,
               Report.created_at < end)))
    settle = [r.settle_seconds for r in reports if r.settle_seconds is not None]
    settle += [int((r.motion.completed_at - r.created_at).total_seconds()) for r in reports
               if r.motion is not None and r.motion.completed_at is not None
               and r.motion.state in (MotionState.completed, MotionState.closed)]
    return {
        "raised": len(reports),
        "accepted": sum(1 for r in reports if r.accepted_at is not None),
        "in_time": sum(1 for r in reports if r.accepted_in_time),
        "settled": sum(1 for r in reports if r.state is ReportState.settled),
        "dispatched": sum(1 for r in reports if r.state is ReportState.dispatched),
        "escalated": sum(1 for r in reports if r.escalated_at is not None),
        "done": len(settle),
        "median_accept_hours": _hours([r.accept_seconds for r in reports if r.accept_seconds is not None]),
        "median_settle_hours": _hours(settle),
    }
