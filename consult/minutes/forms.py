from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..fields import Form
from .models import RemarkKind, StatementDetail
from .service import BODY_MAX, REMARK_MAX, TITLE_MAX


class EditForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Minutes (Markdown)"), validators=[DataRequired(), Length(max=BODY_MAX)],
                         render_kw={"rows": 24})


class RedraftForm(Form):
    statements = RadioField(_l("Statements in the draft"), choices=[
        (StatementDetail.summary.value, StatementDetail.summary.label),
        (StatementDetail.full.value, StatementDetail.full.label)], default=StatementDetail.summary.value)


class ReasonForm(Form):
    body = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=REMARK_MAX)], render_kw={"rows": 3})


class RemarkForm(Form):
    kind = RadioField(_l("This is"), choices=[(RemarkKind.comment.value, RemarkKind.comment.label),
                                              (RemarkKind.objection.value, RemarkKind.objection.label)],
                      default=RemarkKind.comment.value)
    body = TextAreaField(_l("Your words"), validators=[DataRequired(), Length(max=REMARK_MAX)], render_kw={"rows": 3})
