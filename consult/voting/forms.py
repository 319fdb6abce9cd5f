from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..fields import Form, LocalDateTimeField
from .models import BallotKind, Electorate, NonVoters, Secrecy, VoteChanges
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
    changes = SelectField(_l("Changing a vote"), choices=[(c.value, c.label) for c in VoteChanges],
                          default=VoteChanges.never.value)
    non_voters = SelectField(_l("Owners who do not vote"), choices=[(n.value, n.label) for n in NonVoters],
                             default=NonVoters.not_counted.value,
                             description=_l("Owners' decisions only. The default is the law's; the other only where "
                                            "the owners' rules of procedure say so."))
    non_voters_reference = StringField(_l("Article of the owners' rules of procedure"),
                                       validators=[Optional(), Length(max=200)],
                                       description=_l("Required when owners who do not vote are counted with the "
                                                      "majority, e.g. Rules of procedure of the owners' assembly, art. 12."))


class ExtendForm(Form):
    days = IntegerField(_l("Extend by (days)"), validators=[DataRequired(), NumberRange(min=1, max=365)])
    reason = TextAreaField(_l("Why (told to the owners)"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})


class ObjectionForm(Form):
    voter = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("What is wrong with this entry"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})


class AnswerForm(Form):
    decision = SelectField(_l("Answer"), choices=[("rejected", _l("Reject")), ("upheld", _l("Uphold"))],
                           default="rejected")
    answer = TextAreaField(_l("Reason (on the record)"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})
    correction = SelectField(_l("Correction of the entry (upheld, named ballots)"),
                             choices=[("", _l("None")), ("choice", _l("Count it as the vote below")),
                                      ("void", _l("Do not count its vote")), ("area", _l("Correct its area"))],
                             default="")
    choice = SelectField(_l("Vote"), choices=[], validate_choice=False)
    area = StringField(_l("Corrected area (m²)"), validators=[Optional(), Length(max=12)])


class OpenForm(Form):
    attendees = TextAreaField(_l("Sign-in list: one mobile number or username per line"),
                              validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})


class PaperForm(Form):
    witness = StringField(_l("Witness (name and role)"), validators=[DataRequired(), Length(max=60)],
                          description=_l("Who saw the voter sign, for example the building leader."))
    photo = FileField(_l("Photo of the signed paper ballot"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})
    client_key = HiddenField()
