"""Report pages: a resident's form and their own reports, a report with its chain, and a
grid's queue for its workers and leader."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..accounts.models import Organisation
from ..clock import utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..motions import service as motions
from ..places.models import Grid
from ..web import form_action, load, perform, readable_place
from . import service as reports
from .forms import DispatchForm, ReportForm, SettleForm
from .lifecycle import TRANSITIONS
from .models import Report

bp = Blueprint("grids", __name__)


def _load(report_id: int) -> Report:
    return load(Report, report_id, permissions.can_view_report)


@bp.route("/places/<int:place_id>/reports/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    place = readable_place(place_id)
    if not permissions.can_raise_report(current_user, place):
        abort(403)
    grid = reports.grid_for(place)
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        household = next((m.household for m in current_user.memberships if m.household.place.is_within(place)), None)
        outcome = perform(reports.raise_report, place, actor=current_user, title=form.title.data,
                          body=form.body.data, household=household)
        if outcome.ok:
            flash(_("Your report has gone to the grid worker, who takes it up within %(hours)d hours.",
                    hours=current_app.config["REPORT_ACCEPT_HOURS"]), "success")
            return redirect(url_for("grids.detail", report_id=outcome.value.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("grids/new.html", place=place, grid=grid, form=form), status


@bp.get("/reports/mine")
@login_required
def mine():
    return render_template("grids/mine.html", reports=reports.reports_by(current_user))


@bp.get("/reports/<int:report_id>")
@login_required
def detail(report_id: int):
    report = _load(report_id)
    handles = permissions.handles_report(current_user, report)
    dispatch = DispatchForm()
    dispatch.organisations.choices = [(str(o.id), f"{o.name} · {o.kind.label}")
                                      for o in motions.eligible_organisations(report.place)]
    return render_template("grids/detail.html", report=report, handles=handles, transitions=TRANSITIONS,
                           settle=SettleForm(), dispatch=dispatch, confirm=ConfirmForm())


@bp.post("/reports/<int:report_id>/accept")
@login_required
def accept(report_id: int):
    report = _load(report_id)
    return form_action(report, ConfirmForm(), lambda r, _f: reports.accept_report(r, actor=current_user),
                       url_for("grids.detail", report_id=report.id),
                       done=lambda _r: _("You have taken up the report. Settle it or send it on."))


@bp.post("/reports/<int:report_id>/settle")
@login_required
def settle(report_id: int):
    report = _load(report_id)
    return form_action(report, SettleForm(),
                       lambda r, f: reports.settle_report(r, actor=current_user, outcome=f.outcome.data),
                       url_for("grids.detail", report_id=report.id),
                       done=lambda _r: _("Settled: the resident has been told what was done."))


@bp.post("/reports/<int:report_id>/dispatch")
@login_required
def dispatch(report_id: int):
    report = _load(report_id)
    form = DispatchForm()

    def send(r: Report, f: DispatchForm):
        ids = {int(i) for i in f.organisations.data if str(i).isdigit()}
        chosen = list(db.session.scalars(db.select(Organisation).where(Organisation.id.in_(ids))))
        return reports.dispatch_report(r, actor=current_user, organisations=chosen, note=f.note.data,
                                       complete_days=f.complete_days.data)

    return form_action(report, form, send, url_for("grids.detail", report_id=report.id),
                       done=lambda _r: _("Sent on as a motion: the organisation must acknowledge it in time."))


@bp.get("/grids/<int:grid_id>/reports", endpoint="reports")
@login_required
def grid_reports(grid_id: int):
    grid = load(Grid, grid_id, permissions.can_view_grid_reports)
    everything = request.args.get("all") == "1"
    return render_template("grids/reports.html", grid=grid, everything=everything, now=utcnow(),
                           reports=reports.reports_of_grid(grid, actor=current_user, open_only=not everything))
