from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class WishForm(FlaskForm):
    title = StringField(_l("My small wish"), validators=[DataRequired(), Length(max=60)],
                        description=_l("For example: someone to help change a light bulb"))
    body = TextAreaField(_l("A few more words"), validators=[Length(max=1000)], render_kw={"rows": 4})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("How was it fulfilled?"), validators=[Length(max=1000)], render_kw={"rows": 3})
