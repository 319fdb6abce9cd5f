from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..fields import Form, LocalDateTimeField
from .models import BallotKind, Electorate, Secrecy
from .rules import RULES


class BallotForm(Form):
    question = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)],
                           description=_l("For example: Use the maintenance fund to replace the lift of building 3?"))
    rule = SelectField(_l("What kind of decision (how it is counted)"),
                       choices=[(r.key, r.label) for r in RULES.values()],
                       description=_l("Special matters of art. 278: raising the maintenance fund; rebuilding or "
                                      "altering the building; changing the use of common parts or running a "
                                      "business on them."))
    kind = SelectField(_l("How voters answer"), choices=[(k.value, k.label) for k in BallotKind])
    options = TextAreaField(_l("Options, one per line"), validators=[Optional(), Length(max=2500)],
                            render_kw={"rows": 4}, description=_l("Only for a choice among options."))
    max_choices = IntegerField(_l("Each voter may mark up to"), default=1,
                               validators=[Optional(), NumberRange(min=1, max=20)],
                               description=_l("Only for several choices."))
    electorate = SelectField(_l("Who votes"), choices=[(e.value, e.label) for e in Electorate])
    secrecy = SelectField(_l("Named or secret"), choices=[(s.value, s.label) for s in Secrecy],
                          description=_l("Owners' decisions are named, so that they can be checked. Secret "
                                         "ballots are for electing persons."))
    opens_at = LocalDateTimeField(_l("Opens by itself at (optional)"), validators=[Optional()])
    closes_at = LocalDateTimeField(_l("Closes by itself at (optional)"), validators=[Optional()],
                                   description=_l("For a ballot over a period, e.g. seven days, without a meeting."))


class OpenForm(Form):
    attendees = TextAreaField(_l("Sign-in list: one mobile number or username per line"),
                              validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})


class PaperForm(Form):
    witness = StringField(_l("Witness (name and role)"), validators=[DataRequired(), Length(max=60)],
                          description=_l("Who saw the voter sign, for example the building leader."))
    photo = FileField(_l("Photo of the signed paper ballot"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})
    client_key = HiddenField()
