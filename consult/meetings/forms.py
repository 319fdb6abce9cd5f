from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..fields import Form, LocalDateTimeField
from .models import MeetingForm, MeetingKind, Quorum


class MeetingScheduleForm(Form):
    title = StringField(_l("Name of the meeting"), validators=[DataRequired(), Length(max=120)],
                        description=_l("For example: council on a lift for building 3"))
    kind = SelectField(_l("Kind of meeting"), choices=[(k.value, k.label) for k in MeetingKind])
    form = SelectField(_l("Held"), choices=[(f.value, f.label) for f in MeetingForm])
    starts_at = LocalDateTimeField(_l("Starts at"), validators=[InputRequired()])
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)],
                           description=_l("For example: the community hall. Not needed for a meeting held online only."))
    quorum = SelectField(_l("Quorum"), choices=[(q.value, q.label) for q in Quorum])
    recorder = StringField(_l("Recorder (mobile number or username)"), validators=[Optional(), Length(max=100)])
    invite_residents = BooleanField(_l("Invite every resident of the place"))
    invite_owners = BooleanField(_l("Invite the owners of the place"))
    people = TextAreaField(_l("Invite these people: one mobile number or username per line"),
                           validators=[Optional(), Length(max=20000)], render_kw={"rows": 3},
                           description=_l("Representatives, experts, department staff …"))
    organisations = SelectMultipleField(_l("Invite these organisations"), choices=[], validate_choice=False)
    proposals = SelectMultipleField(_l("Matters on the agenda"), choices=[], validate_choice=False)
    free_items = TextAreaField(_l("Other agenda items, one per line"), validators=[Optional(), Length(max=4000)],
                               render_kw={"rows": 3})


class RescheduleForm(Form):
    starts_at = LocalDateTimeField(_l("Starts at"), validators=[InputRequired()])
    location = StringField(_l("Where"), validators=[Optional(), Length(max=200)])


class CancelForm(Form):
    reason = TextAreaField(_l("Reason, shown to the invitees"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})
