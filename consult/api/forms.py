from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, NumberRange

from ..fields import Form
from .service import MAX_DAYS


class TokenForm(Form):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)],
                       description=_l("For example: the building's notice board app."))
    days = IntegerField(_l("Valid for (days)"), default=90, validators=[NumberRange(1, MAX_DAYS)])


class ChecksField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ClientForm(Form):
    name = StringField(_l("Application"), validators=[DataRequired(), Length(max=80)])
    account = StringField(_l("Acts as the account (phone number or username)"),
                          validators=[DataRequired(), Length(max=100)],
                          description=_l("The application may do what this account may do, and no more."))
    places = ChecksField(_l("In the places"), coerce=int, validators=[DataRequired()])
    scopes = ChecksField(_l("May"), validators=[DataRequired()])
