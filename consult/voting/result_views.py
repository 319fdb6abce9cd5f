"""Pages of the staged result of an owners' ballot: the extension, the per-unit record
with the owners' objections and the staff's answers, the notice of the final result, the
compliance check and the evidence pack."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..clock import utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..pdf import render_pdf
from ..web import perform
from . import evidence, results
from . import service as voting
from .forms import AnswerForm, ExtendForm, ObjectionForm
from .models import BallotObjection, BallotState, BallotVoter, ObjectionState, ResultStage, Secrecy
from .rules import RULES
from .views import bp, load_ballot

__all__ = ["bp"]


def _back(ballot):
    return redirect(url_for("voting.detail", ballot_id=ballot.id))


def _require_run(ballot):
    if not permissions.can_run_ballot(current_user, ballot):
        abort(403)


@bp.post("/ballots/<int:ballot_id>/extend")
@login_required
def extend(ballot_id: int):
    ballot = load_ballot(ballot_id)
    _require_run(ballot)
    form = ExtendForm()
    if not form.validate_on_submit():
        flash(_("Give the number of days and the reason."), "error")
        return _back(ballot)
    if perform(results.extend_ballot, ballot, actor=current_user, days=form.days.data, reason=form.reason.data,
               config=current_app.config).ok:
        flash(_("The ballot is extended. The owners have been told."), "success")
    return _back(ballot)


def may_read_record(ballot) -> bool:
    """The per-unit record is published to the owners of the ballot and those who run it."""
    return permissions.can_run_ballot(current_user, ballot) or voting.voter_of(ballot, current_user) is not None


def _record_page(ballot, objection_form=None, status=200):
    if ballot.stage is None:
        abort(404)
    if not may_read_record(ballot):
        abort(403)
    run = permissions.can_run_ballot(current_user, ballot)
    answer_forms = {}
    if run and ballot.stage is ResultStage.preliminary:
        for objection in results.objections_of(ballot):
            if objection.state is ObjectionState.open:
                form = AnswerForm(prefix=f"o{objection.id}")
                form.choice.choices = [("", "")] + list(ballot.choices().items()) + [("abstain", _("Blank"))]
                answer_forms[objection.id] = form
    entries = results.entries(ballot)
    mine = voting.voter_of(ballot, current_user)
    unlisted = mine if mine is not None and all(e.voter.id != mine.id for e in entries) else None
    return render_template(
        "voting/record.html", ballot=ballot, entries=entries, run=run, unlisted=unlisted,
        objections=results.objections_of(ballot), rooms=results.rooms_of(ballot),
        may_object=results.objections_open(ballot) and voting.voter_of(ballot, current_user) is not None,
        objection_form=objection_form or ObjectionForm(), answer_forms=answer_forms, describe=results.describe,
        ObjectionState=ObjectionState, ResultStage=ResultStage, Secrecy=Secrecy), status


@bp.get("/ballots/<int:ballot_id>/record")
@login_required
def record(ballot_id: int):
    """The per-unit record of the result, published to the owners: room and area, and the
    vote on a named ballot."""
    return _record_page(load_ballot(ballot_id))


@bp.post("/ballots/<int:ballot_id>/objections")
@login_required
def object_to(ballot_id: int):
    ballot = load_ballot(ballot_id)
    form = ObjectionForm()
    voter = db.session.get(BallotVoter, int(form.voter.data)) if (form.voter.data or "").isdigit() else None
    if voter is None or voter.ballot_id != ballot.id:
        abort(404)
    if not form.validate_on_submit():
        return _record_page(ballot, form, 422)
    if perform(results.object_to, ballot, voter, actor=current_user, reason=form.reason.data).ok:
        flash(_("Your objection is on the record. You will be told the answer."), "success")
    return redirect(url_for("voting.record", ballot_id=ballot.id))


@bp.post("/ballots/<int:ballot_id>/objections/<int:objection_id>/answer")
@login_required
def answer(ballot_id: int, objection_id: int):
    ballot = load_ballot(ballot_id)
    _require_run(ballot)
    objection = db.session.get(BallotObjection, objection_id)
    if objection is None or objection.ballot_id != ballot.id:
        abort(404)
    form = AnswerForm(prefix=f"o{objection.id}")
    form.choice.choices = [("", "")] + list(ballot.choices().items()) + [("abstain", _("Blank"))]
    if not form.validate_on_submit():
        flash(_("Give the reason for the answer."), "error")
        return redirect(url_for("voting.record", ballot_id=ballot.id))
    upheld = form.decision.data == "upheld"
    correction = None
    if upheld and form.correction.data:
        correction = {"void": True} if form.correction.data == "void" else \
            {"choice": form.choice.data} if form.correction.data == "choice" else {"area": form.area.data}
    if perform(results.answer_objection, objection, actor=current_user, upheld=upheld, answer=form.answer.data,
               correction=correction).ok:
        flash(_("The answer is on the record."), "success")
    return redirect(url_for("voting.record", ballot_id=ballot.id))


@bp.get("/ballots/<int:ballot_id>/final-notice.pdf")
@login_required
def notice_pdf(ballot_id: int):
    """The notice (公告) of the final result, A4, to post in the compound."""
    ballot = load_ballot(ballot_id)
    if ballot.stage is not ResultStage.final:
        abort(404)
    pdf = render_pdf("voting/notice_pdf.html", ballot=ballot, rule=RULES[ballot.rule],
                     objections=results.objections_of(ballot), locale=str(get_locale()), now=utcnow())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=ballot-{ballot.id}-notice.pdf"})


def _require_evidence(ballot):
    _require_run(ballot)
    if ballot.state is not BallotState.closed or not results.staged(ballot):
        abort(404)


@bp.get("/ballots/<int:ballot_id>/compliance")
@login_required
def compliance(ballot_id: int):
    ballot = load_ballot(ballot_id)
    _require_evidence(ballot)
    return render_template("voting/compliance.html", ballot=ballot, requirements=evidence.compliance(ballot),
                           confirm=ConfirmForm())


@bp.get("/ballots/<int:ballot_id>/evidence.zip")
@login_required
def evidence_pack(ballot_id: int):
    """The evidence pack of an owners' decision, for staff."""
    ballot = load_ballot(ballot_id)
    _require_evidence(ballot)
    response = Response(evidence.build_pack(ballot), mimetype="application/zip",
                        headers={"Content-Disposition": f"attachment; filename=ballot-{ballot.id}-evidence.zip"})
    response.headers["Cache-Control"] = "no-store"
    return response
