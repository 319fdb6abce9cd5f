"""Standing council pages: a place's series with their cadence kept or missed, the form
to set one up, and a series with its meetings."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import permissions
from ..accounts.models import Organisation
from ..extensions import db
from ..forms import ConfirmForm
from ..meetings.models import MeetingForm, MeetingKind
from ..motions import service as motions
from ..places.models import Grid
from ..web import load, perform, readable_place
from . import service as councils
from .forms import SeriesForm
from .models import CouncilSeries

bp = Blueprint("councils", __name__)


@bp.route("/places/<int:place_id>/councils", methods=["GET", "POST"])
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    can_create = permissions.can_schedule_meeting(current_user, place)
    form = SeriesForm()
    community = permissions.community_of(place)
    grids = list(db.session.scalars(select(Grid).where(Grid.community_id == community.id).order_by(Grid.name))) \
        if community is not None else []
    form.grid_id.choices = [("", _("None"))] + [(str(g.id), g.name) for g in grids]
    eligible = motions.eligible_organisations(place)
    form.organisations.choices = [(str(o.id), f"{o.name}（{o.kind.label}）") for o in eligible]
    status = 200
    if form.is_submitted():
        if not can_create:
            abort(403)
        if form.validate_on_submit():
            chosen = {str(o.id): o for o in eligible}
            outcome = perform(councils.create_series, place, actor=current_user, title=form.title.data,
                              kind=MeetingKind(form.kind.data), cadence_months=int(form.cadence_months.data),
                              day_of_month=form.day_of_month.data, local_time=form.local_time.data,
                              form=MeetingForm(form.form.data), location=form.location.data,
                              organisations=[chosen[i] for i in form.organisations.data if i in chosen],
                              invite_residents=form.invite_residents.data,
                              grid=next((g for g in grids if str(g.id) == form.grid_id.data), None))
            if outcome.ok:
                flash(_("The standing council is set up: each meeting is scheduled %(n)d days ahead.",
                        n=councils.days_ahead()), "success")
                return redirect(url_for("councils.detail", series_id=outcome.value.id))
            status = outcome.status
        else:
            status = 422
    cadences = [councils.cadence_of(s) for s in councils.series_in(place)]
    return render_template("councils/index.html", place=place, form=form, can_create=can_create,
                           cadences=cadences), status


@bp.get("/councils/<int:series_id>")
@login_required
def detail(series_id: int):
    series = load(CouncilSeries, series_id, lambda user, s: permissions.can_view_place(user, s.place))
    organisations = db.session.scalars(select(Organisation).where(
        Organisation.id.in_(series.organisation_ids or []))).all()
    return render_template("councils/detail.html", series=series, cadence=councils.cadence_of(series),
                           meetings=councils.meetings_of(series), organisations=organisations,
                           next_at=councils.next_occurrence(series, councils.now()) if series.ended_at is None else None,
                           can_end=permissions.can_schedule_meeting(current_user, series.place), confirm=ConfirmForm())


@bp.post("/councils/<int:series_id>/end")
@login_required
def end(series_id: int):
    series = load(CouncilSeries, series_id, lambda user, s: permissions.can_schedule_meeting(user, s.place),
                  refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(councils.end_series, series, actor=current_user).ok:
        flash(_("The standing council is ended; meetings already scheduled stay."), "success")
    return redirect(url_for("councils.detail", series_id=series.id))
