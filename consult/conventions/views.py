"""Convention pages: a place's conventions with the form to draft one; a convention with
the version in force (its number and hash), the draft or vote under way, and its history."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ConfirmForm
from ..web import form_action, load, perform, readable_place
from . import service as conventions
from .forms import AmendForm, ConventionForm, DraftForm
from .models import Convention, ConventionKind

bp = Blueprint("conventions", __name__)


@bp.route("/places/<int:place_id>/conventions", methods=["GET", "POST"])
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    can_draft = conventions.can_draft(current_user, place)
    form = ConventionForm()
    status = 200
    if request.method == "POST":
        if not can_draft:
            abort(403)
        if form.validate_on_submit():
            outcome = perform(conventions.draft_convention, place, actor=current_user,
                              kind=ConventionKind(form.kind.data), title=form.title.data, body=form.body.data)
            if outcome.ok:
                flash(_("The draft is published for the residents to read. Put it to the vote when it is ready."),
                      "success")
                return redirect(url_for("conventions.detail", convention_id=outcome.value.id))
            status = outcome.status
        else:
            status = 422
    return render_template("conventions/index.html", place=place, form=form, can_draft=can_draft,
                           conventions=conventions.conventions_in(place)), status


@bp.get("/conventions/<int:convention_id>")
@login_required
def detail(convention_id: int):
    convention = load(Convention, convention_id, conventions.can_view_convention)
    in_force = convention.in_force
    return render_template("conventions/detail.html", convention=convention, in_force=in_force,
                           pending=convention.pending, can_draft=conventions.can_draft(current_user, convention.place),
                           draft_form=DraftForm(body=convention.pending.body if convention.pending else None),
                           amend_form=AmendForm(body=in_force.body if in_force else None), confirm=ConfirmForm())


def _back(convention: Convention) -> str:
    return url_for("conventions.detail", convention_id=convention.id)


@bp.post("/conventions/<int:convention_id>/draft")
@login_required
def edit(convention_id: int):
    convention = load(Convention, convention_id, conventions.can_view_convention)
    if convention.pending is None:
        abort(404)
    return form_action(convention.pending, DraftForm(),
                       lambda v, f: conventions.edit_draft(v, actor=current_user, body=f.body.data),
                       _back(convention), done=lambda _v: _("The draft is saved."))


@bp.post("/conventions/<int:convention_id>/amend")
@login_required
def amend(convention_id: int):
    convention = load(Convention, convention_id, conventions.can_view_convention)
    return form_action(convention, AmendForm(),
                       lambda c, f: conventions.amend(c, actor=current_user, body=f.body.data, reason=f.reason.data),
                       _back(convention), done=lambda v: _("Version %(n)d is drafted.", n=v.number))


@bp.post("/conventions/<int:convention_id>/vote")
@login_required
def vote(convention_id: int):
    convention = load(Convention, convention_id, conventions.can_view_convention)
    if convention.pending is None:
        abort(404)
    return form_action(convention.pending, ConfirmForm(),
                       lambda v, _f: conventions.put_to_vote(v, actor=current_user), _back(convention),
                       done=lambda _v: _("The ballot is open: the result decides whether it is adopted."))
