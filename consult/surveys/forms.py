from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .models import AnswerScope, QuestionKind


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)],
                        description=_l("For example: what services the community needs, 2025"))
    description = TextAreaField(_l("What the survey is for"), validators=[Length(max=2000)], render_kw={"rows": 3})
    scope = RadioField(_l("Who answers"), choices=[(s.value, s.label) for s in AnswerScope],
                       default=AnswerScope.household.value)


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"), choices=[(k.value, k.label) for k in QuestionKind])
    prompt = StringField(_l("Survey question"), validators=[DataRequired(), Length(max=200)])
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=1000)], render_kw={"rows": 4},
                            description=_l("Only for single and multiple choice."))
