from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ..fields import Form
from ..meetings.models import MeetingForm, MeetingKind
from .models import CADENCE_LABELS


class SeriesForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)],
                        description=_l("For example: 富成花园月度议事会"))
    kind = SelectField(_l("Kind of meeting"), choices=[(k.value, k.label) for k in MeetingKind],
                       default=MeetingKind.circle.value)
    cadence_months = SelectField(_l("How often, at least"), choices=[(str(n), label) for n, label in CADENCE_LABELS.items()],
                                 default="1")
    day_of_month = IntegerField(_l("Day of the month"), validators=[DataRequired(), NumberRange(1, 28)], default=15)
    local_time = StringField(_l("Time"), validators=[DataRequired(), Length(max=5)], default="19:30")
    form = SelectField(_l("Form"), choices=[(f.value, f.label) for f in MeetingForm], default=MeetingForm.in_person.value)
    location = StringField(_l("Where"), validators=[Length(max=200)])
    grid_id = SelectField(_l("Council of a grid (网格议事会)"), choices=[], validate_choice=False)
    organisations = SelectMultipleField(_l("Organisations invited every time"), choices=[], validate_choice=False)
    invite_residents = BooleanField(_l("Invite the residents"), default=True)
