from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..fields import Form, LocalDateTimeField

PHOTO = {"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}


class ObjectionForm(Form):
    reason = TextAreaField(_l("What is wrong with this entry?"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 3},
                           description=_l("For example: the area of 302 is 86.20 m² on the certificate."))


class SettleForm(Form):
    decision = SelectField(_l("Decision"), choices=[("upheld", _l("Upheld: correct the entry")),
                                                    ("rejected", _l("Rejected"))])
    answer = TextAreaField(_l("Reason for the decision"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})
    area = StringField(_l("Correct area (m²)"), validators=[Optional(), Length(max=20)])
    owner = StringField(_l("Owner who votes the unit (mobile number or user name)"),
                        validators=[Optional(), Length(max=40)])


class NoticeForm(Form):
    matter = TextAreaField(_l("The matter, as the owners should read it"), validators=[DataRequired(),
                                                                                        Length(max=5000)],
                           render_kw={"rows": 6},
                           description=_l("What is decided, why, what it costs and who pays."))
    documents = MultipleFileField(_l("Documents (photos of plans, quotes, contracts)"), render_kw={
        "accept": "image/jpeg,image/png,image/webp"})


class PostingForm(Form):
    place = SelectField(_l("Building or entrance"), coerce=int)
    spot = StringField(_l("Where exactly"), validators=[DataRequired(), Length(max=120)],
                       description=_l("For example: notice board at the entrance, ground floor."))
    posted_at = LocalDateTimeField(_l("Posted at"), validators=[InputRequired()])
    photo = FileField(_l("Photo of the posted notice"), render_kw=PHOTO)


class ProxyForm(Form):
    proxy = StringField(_l("Proxy: mobile number or user name"), validators=[DataRequired(), Length(max=40)],
                        description=_l("A family member, another owner, anyone; with a mobile number they can "
                                       "register later."))
    scope = SelectField(_l("For"), choices=[("ballot", _l("This ballot only")),
                                            ("period", _l("All owners' ballots here until a day"))])
    valid_until = LocalDateTimeField(_l("Until"), validators=[Optional()])


class SignedProxyForm(ProxyForm):
    owner = StringField(_l("Owner: mobile number or user name"), validators=[DataRequired(), Length(max=40)])
    photo = FileField(_l("Photo of the signed authorisation"), render_kw=PHOTO)


class ProxyPaperForm(Form):
    witness = StringField(_l("Witness (name and role)"), validators=[DataRequired(), Length(max=60)])
    photo = FileField(_l("Photo of the paper ballot signed by the proxy"), render_kw=PHOTO)


class CertificateForm(Form):
    household = SelectField(_l("Unit"), coerce=int)
    number = StringField(_l("Property certificate number (不动产权证号)"), validators=[DataRequired(),
                                                                                    Length(max=40)])
