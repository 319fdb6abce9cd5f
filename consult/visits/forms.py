from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..fields import LocalDateTimeField
from .models import VisitOutcome


class VisitForm(FlaskForm):
    visited_at = LocalDateTimeField(_l("When"), validators=[InputRequired()])
    outcome = SelectField(_l("Outcome"), choices=[(o.value, o.label) for o in VisitOutcome
                                                  if o is not VisitOutcome.raised])
    heard = TextAreaField(_l("What was heard"), validators=[Length(max=3000)], render_kw={"rows": 5},
                          description=_l("The resident's words, as plainly as they were said."))
    matter_title = StringField(_l("Raise it as a matter: title"), validators=[Optional(), Length(max=100)],
                               description=_l("Leave empty unless the resident wants the matter raised."))
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    resident_id = SelectField(_l("Raised for"), choices=[], validate_choice=False)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    grid = SelectField(_l("Grid"), choices=[], validate_choice=False)
