"""Surveys (问卷, 需求征集): a questionnaire that the moderators of a place put to its
residents, answered once per household or once per person."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household, Place

if TYPE_CHECKING:
    from ..accounts.models import User


class SurveyState(enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    SurveyState.draft: _l("Draft"),
    SurveyState.open: _l("Open for answers"),
    SurveyState.closed: _l("Closed for answers"),
}


class AnswerScope(enum.Enum):
    household = "household"
    person = "person"

    @property
    def label(self):
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    AnswerScope.household: _l("One answer per household"),
    AnswerScope.person: _l("One answer per person"),
}


class QuestionKind(enum.Enum):
    single = "single"
    multiple = "multiple"
    scale = "scale"
    text = "text"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    QuestionKind.single: _l("Single choice"),
    QuestionKind.multiple: _l("Multiple choice"),
    QuestionKind.scale: _l("Scale from 1 to 5"),
    QuestionKind.text: _l("Free text"),
}
SCALE = (1, 2, 3, 4, 5)


class Survey(db.Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[AnswerScope] = mapped_column(Enum(AnswerScope, native_enum=False, length=20))
    state: Mapped[SurveyState] = mapped_column(Enum(SurveyState, native_enum=False, length=20),
                                               default=SurveyState.draft)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]

    place: Mapped[Place] = relationship()
    created_by: Mapped["User"] = relationship()
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.state.value} {self.title!r}>"


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position", name="uq_survey_questions_survey_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=20))
    prompt: Mapped[str] = mapped_column(String(200))
    # The choices of a single or multiple choice question, in order; empty otherwise.
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def __repr__(self) -> str:
        return f"<SurveyQuestion {self.id} {self.kind.value}>"

    @property
    def choices(self) -> list[tuple[int, str]]:
        """(value, label) of every answer that can be counted: the options, or 1–5."""
        if self.kind is QuestionKind.scale:
            return [(n, str(n)) for n in SCALE]
        return list(enumerate(self.options))


class SurveyResponse(db.Model):
    """One filled questionnaire. ``answerer_key`` is the household ("household:12") or the
    person ("person:7") that may answer only once: the unique constraint is the rule."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "answerer_key", name="uq_survey_responses_survey_answerer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    answerer_key: Mapped[str] = mapped_column(String(40))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship()
    respondent: Mapped["User"] = relationship()
    household: Mapped[Optional[Household]] = relationship()
    answers: Mapped[list["SurveyAnswer"]] = relationship(back_populates="response", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<SurveyResponse {self.id} {self.answerer_key}>"


class SurveyAnswer(db.Model):
    """One answer to one question: a choice (an option's index, or 1–5), or a text. A
    multiple choice question has one row per ticked option."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), index=True)
    choice: Mapped[Optional[int]]
    text: Mapped[Optional[str]] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
    question: Mapped[SurveyQuestion] = relationship()
