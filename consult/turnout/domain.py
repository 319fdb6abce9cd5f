"""Turnout: QR codes and notices, the turnout desk with its door-knocking lists, reminders,
assisted votes, and signing in at a meeting in a hall."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain(
    "turnout", models=models, blueprint=bp,
    messages={"ballot.nudge": _l("Your vote is still missing: “%(question)s”")},
)
