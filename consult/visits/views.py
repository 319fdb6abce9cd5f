"""Visit pages: a household's visits with the form to log one, and a place's visits per
building and period for its staff."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..clock import local_today, utcnow
from ..extensions import db
from ..places.models import Grid, Household
from ..proposals import service as proposals
from ..proposals.models import Category
from ..web import load, perform, person_name, readable_place
from . import service as visits
from .forms import PeriodForm, VisitForm
from .models import VisitOutcome

bp = Blueprint("visits", __name__)


def load_household(household_id: int) -> Household:
    return load(Household, household_id, lambda user, household: visits.can_view_visits(user, household.place))


@bp.route("/households/<int:household_id>/visits", methods=["GET", "POST"])
@login_required
def household(household_id: int):
    household = load_household(household_id)
    form = VisitForm()
    locale = str(get_locale())
    form.category_id.choices = [(str(c.id), c.name(locale)) for c in proposals.active_categories()]
    form.resident_id.choices = [(str(m.user_id), person_name(m.user, household.place)) for m in household.members]
    status = 200
    if request.method == "GET":
        form.visited_at.data = utcnow().replace(second=0, microsecond=0)
    elif form.validate_on_submit():
        resident = next((m.user for m in household.members if str(m.user_id) == str(form.resident_id.data or "")), None)
        category = db.session.get(Category, int(form.category_id.data)) if str(form.category_id.data or "").isdigit() else None
        outcome = perform(visits.log_visit, household, actor=current_user, visited_at=form.visited_at.data,
                          heard=form.heard.data, outcome=VisitOutcome(form.outcome.data),
                          matter_title=form.matter_title.data, category=category, on_behalf_of=resident)
        if outcome.ok:
            flash(_("The visit has been logged."), "success")
            if outcome.value.proposal_id:
                flash(_("The matter has been raised for the resident."), "success")
            return redirect(url_for("visits.household", household_id=household.id))
        status = outcome.status
    else:
        status = 422
    return render_template("visits/household.html", household=household, form=form,
                           visits=visits.visits_of(household, actor=current_user),
                           can_log=visits.can_log_visit(current_user, household)), status


@bp.get("/places/<int:place_id>/visits")
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    if not visits.can_view_visits(current_user, place):
        abort(404)
    form = PeriodForm(request.args)
    community = permissions.community_of(place)
    grids = list(db.session.scalars(db.select(Grid).where(Grid.community_id == community.id)
                                    .order_by(Grid.name))) if community is not None else []
    form.grid.choices = [("", _("All"))] + [(str(g.id), g.name) for g in grids]
    if not form.validate():
        abort(400)
    end = form.end.data or local_today()
    start = form.start.data or end - timedelta(days=29)
    form.start.data, form.end.data = start, end
    grid = next((g for g in grids if str(g.id) == form.grid.data), None)
    outcome = perform(visits.place_report, place, actor=current_user, start=start, end=end, grid=grid)
    report = outcome.value if outcome.ok else {"rows": [], "households": 0, "visited": 0, "visits": 0}
    return render_template("visits/index.html", place=place, form=form, report=report), outcome.status
