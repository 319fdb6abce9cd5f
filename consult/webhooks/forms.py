from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..api.forms import ChecksField
from ..fields import Form


class EndpointForm(Form):
    url = StringField(_l("Endpoint address"), validators=[DataRequired(), Length(max=500)],
                      description=_l("Events are posted here as JSON, signed with the endpoint's secret."))
    place = SelectField(_l("For the place (and the places below it)"), coerce=int)
    kinds = ChecksField(_l("Events"), validators=[DataRequired()])
