"""Form fields shared by the domains, and the form every domain's forms build on."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField

from .clock import NonexistentTime, from_local, to_local


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the site's zone; ``data`` is naive UTC, both when read from
    the page and when the form is filled from a stored value. The one place where a typed
    time becomes a stored one, so that what is typed is what is stored and shown.

    Use ``InputRequired`` with it: ``DataRequired`` drops the reason a time was refused."""

    def __init__(self, label=None, validators=None, format="%Y-%m-%dT%H:%M", **kwargs):
        super().__init__(label, validators, format=format, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is None:
            return
        try:
            self.data = from_local(self.data)
        except NonexistentTime:
            self.data = None
            raise ValueError(_l("This time does not exist here: the clocks skip it. Choose another time.")) from None

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return to_local(self.data).strftime(self.format[0])


class Form(FlaskForm):
    """A form whose hidden fields (the CSRF token) carry no ``id``: a page holds many forms,
    and no two elements of a page may share an id. A form shown more than once on a page
    (one per comment, per action) gets a ``prefix`` for its visible fields."""

    class Meta(FlaskForm.Meta):
        def render_field(self, field, render_kw):
            if field.type in ("CSRFTokenField", "HiddenField") and "id" not in render_kw:
                render_kw = {**render_kw, "id": False}
            return super().render_field(field, render_kw)
