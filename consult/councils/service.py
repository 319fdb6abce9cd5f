"""Standing councils: a series holds a meeting at least once per period of its cadence
(a month for 月月有协商, a calendar quarter for 三方联席会). Each occurrence is scheduled
ahead by the due work, on the series' day and local time, with the place's accepted
matters on its agenda; a period that ended without a held meeting of the series is missed,
and the place page says so. Periods count in the site's zone."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..accounts.models import Organisation
from ..audit import service as audit
from ..clock import from_local, to_local, utcnow
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..meetings import service as meetings
from ..meetings.models import Meeting, MeetingForm, MeetingKind, MeetingState
from ..places import service as places
from ..places.models import Grid, Place
from ..proposals.models import Proposal, ProposalState
from .models import CouncilSeries

log = logging.getLogger(__name__)
TITLE_MAX = 80
AGENDA_MAX = 5
# 三方联席会: the kind of meeting whose cadence the practice requires at least quarterly.
THREE_PARTY_LONGEST_CADENCE = 3


# --- periods ------------------------------------------------------------------------------------

def period_of(moment: datetime, cadence: int) -> int:
    """The index of the period (months since year 0, divided by the cadence) of a naive
    UTC time, read in the site's zone: calendar months, quarters, half years."""
    local = to_local(moment)
    return (local.year * 12 + local.month - 1) // cadence


def period_start(index: int, cadence: int) -> datetime:
    """The first moment of a period, as naive UTC."""
    months = index * cadence
    return from_local(datetime(months // 12, months % 12 + 1, 1))


def period_label(index: int, cadence: int) -> str:
    months = index * cadence
    year, month = months // 12, months % 12 + 1
    if cadence == 1:
        return str(_l("%(year)d-%(month)02d", year=year, month=month))
    if cadence == 3:
        return str(_l("Q%(q)d %(year)d", q=(month - 1) // 3 + 1, year=year))
    return str(_l("%(year)d-%(month)02d and the %(n)d months after", year=year, month=month, n=cadence - 1))


def occurrence_at(series: CouncilSeries, index: int) -> Optional[datetime]:
    """When the series meets in period ``index``: its day and local time in the period's
    first month — or, in the period the series was set up in, in its first month still to
    come (None when none is left), as naive UTC."""
    hour, minute = (int(part) for part in series.local_time.split(":"))
    for months in range(index * series.cadence_months, (index + 1) * series.cadence_months):
        moment = from_local(datetime(months // 12, months % 12 + 1, series.day_of_month, hour, minute))
        if moment > series.created_at:
            return moment
    return None


# --- making a series ------------------------------------------------------------------------------

def _clean_time(value: str) -> str:
    try:
        hour, minute = (int(part) for part in (value or "").strip().split(":"))
    except ValueError:
        raise InvalidInput(_l("Give the time as hours and minutes, for example 19:30.")) from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise InvalidInput(_l("Give the time as hours and minutes, for example 19:30."))
    return f"{hour:02d}:{minute:02d}"


def create_series(place: Place, *, actor, title: str, kind: MeetingKind, cadence_months: int, day_of_month: int,
                  local_time: str, form: MeetingForm, location: str = "", organisations: Iterable[Organisation] = (),
                  invite_residents: bool = True, grid: Optional[Grid] = None) -> CouncilSeries:
    """A standing council of ``place`` (of ``grid`` in it: 网格议事会), convened by ``actor``."""
    permissions.require(permissions.can_schedule_meeting(actor, place),
                        _l("Only those who convene meetings in this place can set up a standing council."))
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(_l("Give the council a title of at most %(n)d characters.", n=TITLE_MAX))
    if cadence_months not in (1, 2, 3, 6, 12):
        raise InvalidInput(_l("Choose how often the council meets."))
    if kind is MeetingKind.three_party and cadence_months > THREE_PARTY_LONGEST_CADENCE:
        raise InvalidInput(_l("A three-party meeting is held at least every quarter."))
    if not 1 <= (day_of_month or 0) <= 28:
        raise InvalidInput(_l("Choose a day from 1 to 28."))
    if form is not MeetingForm.online and not (location or "").strip():
        raise InvalidInput(_l("Say where the meeting takes place."))
    if grid is not None and grid.community_id != getattr(permissions.community_of(place), "id", None):
        raise InvalidInput(_l("This grid is not in %(place)s.", place=place.name))
    organisations = list(organisations)
    if not organisations and not invite_residents:
        raise InvalidInput(_l("Invite at least one person."))
    series = CouncilSeries(place=place, grid=grid, title=title, kind=kind, cadence_months=cadence_months,
                           day_of_month=day_of_month, local_time=_clean_time(local_time), form=form,
                           location=(location or "").strip()[:200], organisation_ids=[o.id for o in organisations],
                           invite_residents=invite_residents, convener_id=actor.id, created_at=utcnow())
    db.session.add(series)
    db.session.flush()
    audit.record("council.create", series, actor=actor, place=place, cadence=cadence_months, kind=kind.value)
    _schedule_ahead(series, utcnow())      # a first meeting already within reach is scheduled at once
    return series


def end_series(series: CouncilSeries, *, actor) -> CouncilSeries:
    permissions.require(permissions.can_schedule_meeting(actor, series.place))
    if series.ended_at is None:
        series.ended_at = utcnow()
        audit.record("council.end", series, actor=actor, place=series.place)
    return series


# --- scheduling ahead (due work) -------------------------------------------------------------------

def days_ahead() -> int:
    return current_app.config["COUNCIL_SCHEDULE_DAYS_AHEAD"]


def now() -> datetime:
    return utcnow()


def next_occurrence(series: CouncilSeries, now: datetime) -> datetime:
    """The first occurrence after the last one scheduled and after now."""
    index = period_of(max(now, series.scheduled_through or now), series.cadence_months)
    while True:
        moment = occurrence_at(series, index)
        if moment is not None and moment > now and (series.scheduled_through is None
                                                     or moment > series.scheduled_through):
            return moment
        index += 1


def _active():
    return select(CouncilSeries).where(CouncilSeries.ended_at.is_(None)).order_by(CouncilSeries.id)


def scheduling_is_due() -> bool:
    now = utcnow()
    horizon = now + timedelta(days=days_ahead())
    return any(next_occurrence(s, now) <= horizon for s in db.session.scalars(_active()))


def agenda_of(series: CouncilSeries) -> list[Proposal]:
    """The matters the council takes up: those accepted for discussion in its place (in its
    grid's buildings for a grid council), oldest first."""
    query = select(Proposal).join(Place, Place.id == Proposal.place_id).where(
        Proposal.state == ProposalState.accepted, Place.path.startswith(series.place.path, autoescape=True))
    found = list(db.session.scalars(query.order_by(Proposal.created_at, Proposal.id)))
    if series.grid is not None:
        found = [p for p in found if series.grid.covers(p.place)]
    return found[:AGENDA_MAX]


def schedule_occurrence(series: CouncilSeries, starts_at: datetime) -> Meeting:
    """One occurrence, scheduled in the name of the series' convener."""
    convener = series.convener
    organisations = list(db.session.scalars(select(Organisation).where(
        Organisation.id.in_(series.organisation_ids or []))))
    local = to_local(starts_at)
    title = f"{series.title} {local.year}-{local.month:02d}-{local.day:02d}"
    people = []
    if series.invite_residents and series.grid is not None:
        people = [u for b in series.grid.all_buildings for u in places.residents_of(b)]
    matters = agenda_of(series)
    meeting = meetings.schedule(
        series.place, actor=convener, title=title[:120], kind=series.kind, form=series.form, starts_at=starts_at,
        location=series.location, invite_residents=series.invite_residents and series.grid is None,
        people=people, organisations=organisations, proposals=matters,
        free_items=[] if matters else [str(_l("Open floor: residents raise matters (开放说事)"))])
    meeting.series_id, meeting.grid_id = series.id, series.grid_id
    series.scheduled_through = starts_at
    audit.record("council.schedule", series, actor=None, place=series.place, meeting=meeting.id)
    return meeting


def schedule_due_occurrences() -> int:
    """Schedule every occurrence that falls within ``COUNCIL_SCHEDULE_DAYS_AHEAD``. A series
    whose convener may no longer convene there is left for a moderator to take over."""
    now = utcnow()
    return sum(_schedule_ahead(series, now) for series in list(db.session.scalars(_active())))


def _schedule_ahead(series: CouncilSeries, now: datetime) -> int:
    horizon = now + timedelta(days=days_ahead())
    done = 0
    starts_at = next_occurrence(series, now)
    while starts_at <= horizon:
        try:
            with db.session.begin_nested():
                schedule_occurrence(series, starts_at)
        except DomainError as error:
            log.warning("council series %s not scheduled: %s", series.id, error.message)
            break
        done += 1
        starts_at = next_occurrence(series, now)
    return done


# --- cadence kept or missed ----------------------------------------------------------------------------

@dataclass
class Cadence:
    series: CouncilSeries
    expected: int       # periods ended (or under way and held) since the series began
    held: int           # of those, periods with a meeting of the series held
    missed: list[str]   # labels of the ended periods without one, newest first


def _held_periods(series: CouncilSeries) -> set[int]:
    starts = db.session.scalars(select(Meeting.starts_at).where(
        Meeting.series_id == series.id, Meeting.state == MeetingState.ended))
    return {period_of(s, series.cadence_months) for s in starts}


def cadence_of(series: CouncilSeries, *, start: Optional[datetime] = None, end: Optional[datetime] = None) -> Cadence:
    """Held against the cadence over ``start``–``end`` (by default since the series began):
    a period that has ended counts as expected; the current one only once it has been held."""
    now = utcnow()
    cadence = series.cadence_months
    begun = period_of(series.created_at, cadence)
    if occurrence_at(series, begun) is None:
        begun += 1          # set up too late in its first period to meet in it
    first = max(begun, period_of(start, cadence) if start else begun)
    current = period_of(min(now, end or now), cadence)
    held = _held_periods(series)
    last = series.ended_at and period_of(series.ended_at, cadence)
    expected, count, missed = 0, 0, []
    for index in range(first, current + 1):
        if last is not None and index > last:
            break
        ended = index < period_of(now, cadence)
        if index in held:
            expected, count = expected + 1, count + 1
        elif ended:
            expected += 1
            missed.append(period_label(index, cadence))
    return Cadence(series, expected, count, list(reversed(missed)))


def series_in(place: Place, *, below: bool = False) -> list[CouncilSeries]:
    query = select(CouncilSeries).join(Place, Place.id == CouncilSeries.place_id)
    query = query.where(Place.path.startswith(place.path, autoescape=True)) if below else \
        query.where(CouncilSeries.place_id == place.id)
    return list(db.session.scalars(query.order_by(CouncilSeries.id)))


def missed_cadences(place: Place) -> list[Cadence]:
    """For the place page: its running series that missed their last ended period."""
    now = utcnow()
    out = []
    for series in series_in(place):
        if series.ended_at is not None:
            continue
        cadence = cadence_of(series)
        last_ended = period_label(period_of(now, series.cadence_months) - 1, series.cadence_months)
        if cadence.missed and cadence.missed[0] == last_ended:
            out.append(cadence)
    return out


def cadence_figures(place: Place, start: datetime, end: datetime) -> list[Cadence]:
    """For the figures: every series of the place and below, held against its cadence in
    the period."""
    return [cadence_of(s, start=start, end=end) for s in series_in(place, below=True)
            if s.created_at < end]


def grid_meetings(grid: Grid, limit: int = 12) -> list[Meeting]:
    """网格议事会: the meetings that belong to the grid, the latest first."""
    return list(db.session.scalars(select(Meeting).where(Meeting.grid_id == grid.id)
                                   .order_by(Meeting.starts_at.desc()).limit(limit)))


def meetings_of(series: CouncilSeries) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)
                                   .order_by(Meeting.starts_at.desc())))


def local_date(moment: datetime) -> date:
    return to_local(moment).date()
