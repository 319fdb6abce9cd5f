from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..fields import Form
from .models import Tier


class ProposalForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)],
                        description=_l("In one line: what is the matter? For example: the lift of building 1 often stops"))
    body = TextAreaField(_l("What happened, where, since when"), validators=[DataRequired(), Length(max=5000)],
                         render_kw={"rows": 6})
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    call_id = SelectField(_l("Under the call"), choices=[], validate_choice=False)
    photos = MultipleFileField(_l("Photos (up to 4)"), render_kw={"accept": "image/jpeg,image/png,image/webp"},
                               description=_l("A photo often says more than words. Faces and house numbers of others are best left out."))
    on_behalf_of = StringField(_l("Raised for (mobile number or username)"),
                               validators=[Optional(), Length(max=100)],
                               description=_l("Only when you enter the matter for a resident who cannot use the app."))


class CommentForm(Form):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3})
    parent_id = IntegerField(validators=[Optional()])


class TriageForm(Form):
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    tier = SelectField(_l("Tier"), choices=[(t.value, t.label) for t in Tier])
    place_id = SelectField(_l("Belongs to"), choices=[], validate_choice=False)


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason, shown to the author"), validators=[DataRequired(), Length(max=1000)],
                           render_kw={"rows": 3})


class EscalateForm(Form):
    tier = SelectField(_l("To the tier"), choices=[], validate_choice=False)
    place_id = SelectField(_l("To the place"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Why this tier or place cannot settle it"),
                           validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 3})


class MergeForm(Form):
    into = IntegerField(_l("Number of the matter it repeats"), validators=[DataRequired(), NumberRange(min=1)])
    reason = TextAreaField(_l("Reason, shown to the author"), validators=[DataRequired(), Length(max=1000)],
                           render_kw={"rows": 2})


class CallForm(Form):
    title = StringField(_l("Theme"), validators=[DataRequired(), Length(max=100)],
                        description=_l("For example: Our home, built by us"))
    description = TextAreaField(_l("What kind of proposals are wanted"), validators=[Optional(), Length(max=5000)],
                                render_kw={"rows": 3})
    closes_on = DateField(_l("Last day"), validators=[DataRequired()])


class CategoryForm(Form):
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=40)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=60)])
    position = IntegerField(_l("Position in the list"), default=0, validators=[NumberRange(min=0, max=999)])
    active = BooleanField(_l("In use"), default=True)
