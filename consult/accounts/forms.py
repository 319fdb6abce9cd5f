from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..fields import Form
from ..places.models import Relation
from .models import OrganisationKind, Role


class LoginForm(Form):
    identifier = StringField(_l("Phone number or username"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class RegisterForm(Form):
    code = StringField(_l("Invite code"), validators=[DataRequired(), Length(max=20)],
                       description=_l("The code on the sheet from your grid worker or building leader."))
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20)])
    relation = SelectField(_l("You are the household's"), choices=[
        (Relation.owner.value, _l("Owner")),
        (Relation.family.value, _l("Family member")),
        (Relation.tenant.value, _l("Tenant")),
    ], default=Relation.owner.value)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128)],
                             description=_l("At least 8 characters."))
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    notice_version = HiddenField()
    consent = BooleanField(_l("I have read the notice above and agree"), validators=[
        DataRequired(message=_l("Registering needs your agreement to the notice."))])


class ConsentForm(Form):
    notice_version = HiddenField()


class PrivacyNoticeForm(Form):
    body = TextAreaField(_l("Text of the notice (Markdown)"), validators=[DataRequired(), Length(max=20000)],
                         description=_l("Publishing makes a new version: every signed-in person is asked to agree again."))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class CreateAccountForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    username = StringField(_l("Username"), validators=[Optional(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=128)],
                             description=_l("Leave empty to generate one, shown once."))
    household_id = StringField(_l("Household number"), validators=[Optional(), Length(max=12)],
                               description=_l("Optional: the number shown on the household's page."))
    relation = SelectField(_l("Relation to the household"), choices=[
        (r.value, r.label) for r in Relation], default=Relation.owner.value)


class PersonForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    username = StringField(_l("Username"), validators=[Optional(), Length(max=40)])


class GrantRoleForm(Form):
    role = SelectField(_l("Role"), choices=[(r.value, r.label) for r in Role])
    scope = SelectField(_l("Where"), choices=[], validate_choice=False)
    organisation_id = SelectField(_l("On behalf of"), choices=[], validate_choice=False)


class OrganisationForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k.value, k.label) for k in OrganisationKind])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


class OrganisationMemberForm(Form):
    login = StringField(_l("Phone number or username"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=50)])


class ActiveForm(Form):
    active = BooleanField()


class EmailForm(Form):
    email = StringField(_l("E-mail address (optional)"), validators=[Optional(), Length(max=120)],
                        description=_l("Copies of your messages are sent here when the site can send mail."))


class DeleteAccountForm(Form):
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired(), Length(max=128)])


class PartnerForm(Form):
    organisation_id = SelectField(_l("Business or social organisation"), choices=[], validate_choice=False)
    offer = StringField(_l("What it offers the residents"), validators=[Length(max=500)],
                        description=_l("For example: 每月一次义诊、老人理发半价"))


class IdentityForm(Form):
    shown = HiddenField()
