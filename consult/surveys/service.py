"""Surveys (问卷, 需求征集): the moderators of a place draft a questionnaire, open it and
close it; residents of the place answer it once (per household or per person, as the
survey says: the database holds the rule); the counts are published, free-text answers
are read by the staff only."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..accounts.models import MODERATORS, Role
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..places.models import Household, Place
from .models import (
    AnswerScope,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyState,
)

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
PROMPT_MAX = 200
OPTION_MAX = 60
OPTIONS_MAX = 12
QUESTIONS_MAX = 30
TEXT_MAX = 1000
RUNNERS = MODERATORS
STAFF = (Role.moderator, Role.administrator, Role.grid_worker, Role.building_leader)


# --- who may -------------------------------------------------------------------------------

def can_run_survey(user, place: Place) -> bool:
    return permissions.has_role(user, place, *RUNNERS)


def can_view_survey(user, survey: Survey) -> bool:
    """Drafts: those who run them. Then: whoever reads the place."""
    if can_run_survey(user, survey.place):
        return True
    return survey.state is not SurveyState.draft and permissions.can_view_place(user, survey.place)


def can_answer(user, survey: Survey) -> bool:
    return survey.state is SurveyState.open and permissions.belongs_to(user, survey.place)


def can_read_texts(user, survey: Survey) -> bool:
    """Free-text answers are the staff's to read, never the neighbours'."""
    return permissions.has_role(user, survey.place, *STAFF)


# --- drafting and running ---------------------------------------------------------------------

def _text(value, limit: int, missing, too_long) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(missing)
    if len(value) > limit:
        raise InvalidInput(too_long)
    return value


def create_survey(place: Place, *, actor, title: str, description: str, scope: AnswerScope) -> Survey:
    permissions.require(can_run_survey(actor, place), _l("Only the moderators of %(place)s can run a survey there.",
                                                         place=place.name))
    title = _text(title, TITLE_MAX, _l("A title is required."),
                  _l("The title is too long (at most %(n)d characters).", n=TITLE_MAX))
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=DESCRIPTION_MAX))
    survey = Survey(place=place, title=title, description=description, scope=scope, created_by_id=actor.id,
                    state=SurveyState.draft)
    db.session.add(survey)
    audit.record("survey.create", survey, actor=actor, place=place, scope=scope.value)
    return survey


def _draft(survey: Survey, actor) -> None:
    permissions.require(can_run_survey(actor, survey.place))
    if survey.state is not SurveyState.draft:
        raise InvalidTransition(_l("Questions can be changed only while the survey is a draft."))


def add_question(survey: Survey, *, actor, kind: QuestionKind, prompt: str, options: Iterable[str] = ()) -> SurveyQuestion:
    """A question; a choice question needs two to twelve options, one per line."""
    _draft(survey, actor)
    if len(survey.questions) >= QUESTIONS_MAX:
        raise InvalidInput(_l("At most %(n)d questions.", n=QUESTIONS_MAX))
    prompt = _text(prompt, PROMPT_MAX, _l("Write the question."),
                   _l("The question is too long (at most %(n)d characters).", n=PROMPT_MAX))
    options = [o.strip() for o in options if o and o.strip()]
    if kind in (QuestionKind.single, QuestionKind.multiple):
        if not 2 <= len(options) <= OPTIONS_MAX:
            raise InvalidInput(_l("A choice question needs between 2 and %(n)d options, one per line.", n=OPTIONS_MAX))
        if any(len(o) > OPTION_MAX for o in options):
            raise InvalidInput(_l("An option is too long (at most %(n)d characters).", n=OPTION_MAX))
        if len(set(options)) != len(options):
            raise InvalidInput(_l("Two options are the same."))
    else:
        options = []
    question = SurveyQuestion(kind=kind, prompt=prompt, options=options,
                              position=max((q.position for q in survey.questions), default=0) + 1)
    survey.questions.append(question)
    db.session.flush()
    audit.record("survey.add_question", survey, actor=actor, place=survey.place, kind=kind.value)
    return question


def remove_question(question: SurveyQuestion, *, actor) -> None:
    survey = question.survey
    _draft(survey, actor)
    survey.questions.remove(question)
    audit.record("survey.remove_question", survey, actor=actor, place=survey.place)


def open_survey(survey: Survey, *, actor) -> Survey:
    permissions.require(can_run_survey(actor, survey.place))
    if survey.state is not SurveyState.draft:
        raise InvalidTransition(_l("Only a draft can be opened."))
    if not survey.questions:
        raise InvalidInput(_l("Add at least one question first."))
    survey.state, survey.opened_at = SurveyState.open, utcnow()
    audit.record("survey.open", survey, actor=actor, place=survey.place)
    return survey


def close_survey(survey: Survey, *, actor) -> Survey:
    permissions.require(can_run_survey(actor, survey.place))
    if survey.state is not SurveyState.open:
        raise InvalidTransition(_l("Only an open survey can be closed."))
    survey.state, survey.closed_at = SurveyState.closed, utcnow()
    audit.record("survey.close", survey, actor=actor, place=survey.place)
    return survey


def surveys_in(place: Place, *, actor) -> list[Survey]:
    """The surveys of the place, of the places above it (which its residents answer) and of
    the places below it, that the person may see."""
    rows = db.session.scalars(select(Survey).join(Place, Survey.place_id == Place.id).where(or_(
        Survey.place_id.in_(place.ancestor_ids), Place.path.startswith(place.path, autoescape=True)))
        .order_by(Survey.id.desc()).limit(200))
    return [s for s in rows if can_view_survey(actor, s)]


# --- answering -------------------------------------------------------------------------------

def household_of(user, survey: Survey) -> Optional[Household]:
    """The household for which the person answers: their first in the survey's place."""
    found = sorted((m.household for m in user.memberships if m.household.place.is_within(survey.place)),
                   key=lambda h: h.id)
    return found[0] if found else None


def answerer_key(user, survey: Survey) -> str:
    if survey.scope is AnswerScope.household:
        return f"household:{household_of(user, survey).id}"
    return f"person:{user.id}"


def has_answered(user, survey: Survey) -> bool:
    if not permissions.belongs_to(user, survey.place):
        return False
    return db.session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.answerer_key == answerer_key(user, survey))) is not None


def _choice(question: SurveyQuestion, value) -> int:
    allowed = {n for n, _label in question.choices}
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number not in allowed:
        raise InvalidInput(_l("Answer “%(question)s”.", question=question.prompt))
    return number


def answer_survey(survey: Survey, *, actor, answers: dict[int, object]) -> SurveyResponse:
    """Answer every choice and scale question (free text may stay empty). ``answers``
    maps a question's id to a value, or to a list of values for a multiple choice."""
    permissions.require(can_answer(actor, survey),
                        _l("Only residents of %(place)s can answer while the survey is open.", place=survey.place.name))
    response = SurveyResponse(survey=survey, respondent_id=actor.id, answerer_key=answerer_key(actor, survey),
                              household=household_of(actor, survey) if survey.scope is AnswerScope.household else None)
    for question in survey.questions:
        value = answers.get(question.id)
        if question.kind is QuestionKind.text:
            text = (value or "").strip() if isinstance(value, str) else ""
            if len(text) > TEXT_MAX:
                raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=TEXT_MAX))
            if text:
                response.answers.append(SurveyAnswer(question=question, text=text))
        elif question.kind is QuestionKind.multiple:
            values = value if isinstance(value, (list, tuple)) else [value] if value not in (None, "") else []
            chosen = sorted({_choice(question, v) for v in values})
            if not chosen:
                raise InvalidInput(_l("Answer “%(question)s”.", question=question.prompt))
            response.answers.extend(SurveyAnswer(question=question, choice=c) for c in chosen)
        else:
            response.answers.append(SurveyAnswer(question=question, choice=_choice(question, value)))
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        if survey.scope is AnswerScope.household:
            raise Conflict(_l("Your household has already answered this survey."))
        raise Conflict(_l("You have already answered this survey."))
    audit.record("survey.answer", survey, actor=actor, place=survey.place)
    return response


# --- results ---------------------------------------------------------------------------------

def response_count(survey: Survey) -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse)
                             .where(SurveyResponse.survey_id == survey.id))


def results(survey: Survey, *, actor) -> dict:
    """Per question: the count of every choice and the share of the responses; for free
    text the answers themselves, to the staff only, each with its respondent."""
    if not can_view_survey(actor, survey):
        raise NotAllowed(_l("You are not allowed to do this."))
    total = response_count(survey)
    counts = dict(((q, c), n) for q, c, n in db.session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.choice, func.count())
        .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.choice.is_not(None))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.choice)))
    texts_visible = can_read_texts(actor, survey)
    rows = []
    for question in survey.questions:
        row = {"question": question, "choices": [], "texts": [], "text_count": 0}
        if question.kind is QuestionKind.text:
            found = list(db.session.execute(
                select(SurveyAnswer.text, SurveyResponse.respondent_id)
                .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
                .where(SurveyAnswer.question_id == question.id).order_by(SurveyAnswer.id)))
            row["text_count"] = len(found)
            if texts_visible:
                row["texts"] = found
        else:
            for value, label in question.choices:
                n = counts.get((question.id, value), 0)
                row["choices"].append({"value": value, "label": label, "count": n,
                                       "share": n / total if total else 0})
            if question.kind is QuestionKind.scale:
                answered = sum(c["count"] for c in row["choices"])
                row["mean"] = (sum(c["value"] * c["count"] for c in row["choices"]) / answered) if answered else None
        rows.append(row)
    return {"total": total, "questions": rows, "texts_visible": texts_visible}


def results_csv(survey: Survey, *, actor) -> bytes:
    """The counts as a spreadsheet opens them: UTF-8 with a byte-order mark, headers in the
    reader's language. Free-text answers are listed without names."""
    permissions.require(can_read_texts(actor, survey))
    found = results(survey, actor=actor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Question no."), _("Survey question"), _("Survey answer"), _("Count"), _("Share")])
    for number, row in enumerate(found["questions"], start=1):
        question = row["question"]
        for choice in row["choices"]:
            writer.writerow([number, _csv_safe(question.prompt), _csv_safe(choice["label"]), choice["count"], f"{choice['share']:.1%}"])
        for text, _respondent in row["texts"]:
            writer.writerow([number, _csv_safe(question.prompt), _csv_safe(text), "", ""])
    writer.writerow(["", _("Responses"), "", found["total"], ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
    """A cell that a spreadsheet would run as a formula starts with a quote instead."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
