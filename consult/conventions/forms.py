from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..fields import Form
from .models import ConventionKind


class ConventionForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k.value, k.label) for k in ConventionKind])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)],
                        description=_l("For example: 富成花园社区居民公约"))
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 12})


class DraftForm(Form):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 12})


class AmendForm(Form):
    body = TextAreaField(_l("The amended text"), validators=[DataRequired(), Length(max=20000)],
                         render_kw={"rows": 12})
    reason = TextAreaField(_l("Why it is amended"), validators=[DataRequired(), Length(max=2000)],
                           render_kw={"rows": 3})
