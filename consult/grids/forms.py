from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ReportForm(FlaskForm):
    title = StringField(_l("What is the matter?"), validators=[DataRequired(), Length(max=100)],
                        description=_l("For example: 楼道灯不亮了"))
    body = TextAreaField(_l("Where and since when"), validators=[Length(max=3000)], render_kw={"rows": 4})


class SettleForm(FlaskForm):
    outcome = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=3000)],
                            render_kw={"rows": 3})


class DispatchForm(FlaskForm):
    organisations = SelectMultipleField(_l("Send to"), choices=[], validate_choice=False,
                                        validators=[DataRequired()])
    note = TextAreaField(_l("A note for them"), validators=[Length(max=3000)], render_kw={"rows": 3})
    complete_days = IntegerField(_l("Days to finish"), validators=[Optional(), NumberRange(1, 365)])
