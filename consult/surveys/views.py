"""Survey pages: a place's surveys, drafting and running one, answering it on a phone,
its results and their CSV."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ConfirmForm
from ..extensions import db
from ..web import confirm_first, load, perform, readable_place
from . import service as surveys
from .forms import QuestionForm, SurveyForm
from .models import AnswerScope, QuestionKind, Survey, SurveyQuestion, SurveyState

bp = Blueprint("surveys", __name__)


def load_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or not surveys.can_view_survey(current_user, survey):
        abort(404)
    return survey


def _back(survey: Survey):
    return redirect(url_for("surveys.detail", survey_id=survey.id))


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


@bp.route("/places/<int:place_id>/surveys", methods=["GET", "POST"])
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    form = SurveyForm()
    can_run = surveys.can_run_survey(current_user, place)
    status = 200
    if request.method == "POST":
        if not can_run:
            abort(403)
        if form.validate_on_submit():
            outcome = perform(surveys.create_survey, place, actor=current_user, title=form.title.data,
                              description=form.description.data, scope=AnswerScope(form.scope.data))
            if outcome.ok:
                return redirect(url_for("surveys.detail", survey_id=outcome.value.id))
            status = outcome.status
        else:
            status = 422
    return render_template("surveys/index.html", place=place, form=form, can_run=can_run,
                           surveys=surveys.surveys_in(place, actor=current_user)), status


@bp.get("/surveys/<int:survey_id>")
@login_required
def detail(survey_id: int):
    survey = load_survey(survey_id)
    can_run = surveys.can_run_survey(current_user, survey.place)
    answered = surveys.has_answered(current_user, survey)
    can_answer = surveys.can_answer(current_user, survey) and not answered
    show_results = survey.state is not SurveyState.draft and (
        can_run or surveys.can_read_texts(current_user, survey) or answered or survey.state is SurveyState.closed)
    return render_template(
        "surveys/detail.html", survey=survey, can_run=can_run, can_answer=can_answer, answered=answered,
        question_form=QuestionForm(), confirm=ConfirmForm(), kinds=QuestionKind, states=SurveyState,
        results=surveys.results(survey, actor=current_user) if show_results else None,
        household=surveys.household_of(current_user, survey))


@bp.post("/surveys/<int:survey_id>/questions")
@login_required
def add_question(survey_id: int):
    survey = load_survey(survey_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(survey), 303
    if perform(surveys.add_question, survey, actor=current_user, kind=QuestionKind(form.kind.data),
               prompt=form.prompt.data, options=(form.options.data or "").splitlines()).ok:
        flash(_("Saved."), "success")
    return _back(survey)


@bp.post("/surveys/questions/<int:question_id>/delete")
@login_required
def remove_question(question_id: int):
    question = load(SurveyQuestion, question_id)
    survey = load_survey(question.survey_id)
    if ConfirmForm().validate_on_submit():
        perform(surveys.remove_question, question, actor=current_user)
    return _back(survey)


@bp.post("/surveys/<int:survey_id>/open")
@login_required
def open_survey(survey_id: int):
    survey = load_survey(survey_id)
    if ConfirmForm().validate_on_submit() and perform(surveys.open_survey, survey, actor=current_user).ok:
        flash(_("The survey is open: the residents can answer it now."), "success")
    return _back(survey)


@bp.post("/surveys/<int:survey_id>/close")
@login_required
def close_survey(survey_id: int):
    survey = load_survey(survey_id)
    if not surveys.can_run_survey(current_user, survey.place):
        abort(403)
    asking = confirm_first(question=_("Close this survey?"),
                           consequence=_("Nobody can answer it after this, and it cannot be opened again."),
                           back=url_for("surveys.detail", survey_id=survey.id))
    if asking is not None:
        return asking
    if ConfirmForm().validate_on_submit() and perform(surveys.close_survey, survey, actor=current_user).ok:
        flash(_("The survey is closed."), "success")
    return _back(survey)


@bp.post("/surveys/<int:survey_id>/answer")
@login_required
def answer(survey_id: int):
    survey = load_survey(survey_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    answers = {}
    for question in survey.questions:
        name = f"q{question.id}"
        answers[question.id] = request.form.getlist(name) if question.kind is QuestionKind.multiple \
            else request.form.get(name)
    if perform(surveys.answer_survey, survey, actor=current_user, answers=answers).ok:
        flash(_("Thank you: your answer has been counted."), "success")
        return _back(survey)
    return detail(survey_id), 422


@bp.get("/surveys/<int:survey_id>/results.csv")
@login_required
def results_csv(survey_id: int):
    survey = load_survey(survey_id)
    if not surveys.can_read_texts(current_user, survey):
        abort(404)
    body = surveys.results_csv(survey, actor=current_user)
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=survey-{survey.id}.csv"})
