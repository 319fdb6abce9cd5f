from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..fields import Form
from .models import DoorOutcome


class VisitForm(Form):
    outcome = RadioField(_l("What came of the visit"), choices=[(o.value, o.label) for o in DoorOutcome],
                         validators=[DataRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class AssistForm(Form):
    code = StringField(_l("Code the owner received by SMS"), validators=[Optional(), Regexp(r"^\s*\d{6}\s*$",
                       message=_l("The code has six digits."))],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
    signature = FileField(_l("Or: photo of the owner's signature"),
                          render_kw={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})
