from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.models import Role
from ..fields import Form
from .models import PLACE_KIND_LABELS, Relation


class PlaceForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in PLACE_KIND_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class RenamePlaceForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class MovePlaceForm(Form):
    parent_id = SelectField(_l("Move into"), choices=[], validate_choice=False)


class HouseholdForm(Form):
    room = StringField(_l("Room"), validators=[DataRequired(), Length(max=20)],
                       description=_l("For example 301 or 3-301."))
    area = StringField(_l("Exclusive floor area (m²)"), validators=[DataRequired(), Length(max=12)],
                       description=_l("For example 86.45"))


class MemberForm(Form):
    login = StringField(_l("Phone number or username"), validators=[DataRequired(), Length(max=100)])
    relation = SelectField(_l("Relation"), choices=[(r.value, r.label) for r in Relation])


class ImportForm(Form):
    file = FileField(_l("Household list (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "txt", "xlsx"], _l("Only CSV and XLSX files can be imported.")),
    ])


class GridForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    buildings = SelectMultipleField(_l("Buildings"), choices=[], validate_choice=False)
    parent_id = SelectField(_l("Within the large grid"), choices=[], validate_choice=False)


class RoleGrantForm(Form):
    login = StringField(_l("Phone number or username"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[(r.value, r.label) for r in Role])
    organisation_id = SelectField(_l("On behalf of"), choices=[], validate_choice=False,
                                  validators=[Optional()])
