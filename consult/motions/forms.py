from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..fields import Form
from .models import Raters, Score


class AssignForm(Form):
    title = StringField(_l("What must be done"), validators=[DataRequired(), Length(max=100)],
                        description=_l("For example: repair the lift of building 3 and say why it stopped"))
    body = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 4})
    lead = SelectField(_l("Responsible organisation"), choices=[], validate_choice=False)
    also = SelectMultipleField(_l("Blow the whistle: summon these too (吹哨报到)"), choices=[], validate_choice=False,
                               description=_l("Each organisation summoned must report by its deadline."))
    roster = BooleanField(_l("Blow the whistle to the standing roster (1+5+N)"))
    person = StringField(_l("Person in charge (mobile number or username, optional)"),
                         validators=[Optional(), Length(max=100)])
    acknowledge_hours = IntegerField(_l("Acknowledge within (hours)"), validators=[Optional(), NumberRange(1, 720)],
                                     description=_l("Empty: the default for the kind of organisation."))
    complete_days = IntegerField(_l("Complete within (days)"), validators=[Optional(), NumberRange(1, 365)],
                                 description=_l("Empty: the default for the kind of organisation."))
    raters = SelectField(_l("Who rates the result"), choices=[
        (Raters.place.value, _l("Every household of the place")),
        (Raters.proposal.value, _l("The resident who raised the matter and the co-signers"))])


class TextForm(Form):
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})


class AnswerForm(Form):
    answer = RadioField(_l("Your answer"), choices=[("accept", _l("Accept")), ("partial", _l("Accept in part")),
                                                    ("decline", _l("Decline"))], default="accept")
    body = TextAreaField(_l("Reason (required to accept in part or decline)"), validators=[Optional(), Length(max=4000)],
                         render_kw={"rows": 3})


class ProgressForm(Form):
    body = TextAreaField(_l("What has been done"), validators=[DataRequired(), Length(max=4000)],
                         render_kw={"rows": 3})
    photos = MultipleFileField(_l("Photos (up to 4)"), render_kw={"accept": "image/*"})


class CompleteForm(Form):
    body = TextAreaField(_l("What was done (the residents will read it)"), validators=[DataRequired(),
                                                                                     Length(max=4000)],
                         render_kw={"rows": 3})
    photos = MultipleFileField(_l("Photos of the result (up to 4)"), render_kw={"accept": "image/*"})


class TimeForm(Form):
    until = DateField(_l("New deadline"), validators=[DataRequired()])
    body = TextAreaField(_l("Why more time is needed"), validators=[DataRequired(), Length(max=4000)],
                         render_kw={"rows": 2})


class SendBackForm(Form):
    body = TextAreaField(_l("Reason, shown to the responder and the residents"),
                         validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 2})
    days = IntegerField(_l("Complete within (days)"), validators=[Optional(), NumberRange(1, 365)])


class RateForm(Form):
    score = RadioField(_l("Are you satisfied with the result?"), choices=[(s.value, s.label) for s in Score],
                       validators=[DataRequired()])
    body = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class PeriodForm(Form):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class RosterForm(Form):
    organisations = SelectMultipleField(_l("Fixed members, whistled by default"), choices=[], validate_choice=False)
