"""Motions: assigning, responding, rating and the follow-up of their deadlines."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from . import models, searching, service
from .views import bp

DOMAIN = Domain(
    "motions", models=models, blueprint=bp,
    search=searching.register_kinds,
    messages={
        "motion.assigned": _l("A motion was assigned to your organisation: “%(title)s”"),
        "motion.reported": _l("%(organisation)s reported for the motion “%(title)s”"),
        "motion.declined": _l("The responder declined the motion “%(title)s”"),
        "motion.time_asked": _l("More time is asked for the motion “%(title)s”"),
        "motion.time_decided": _l("The moderator decided on more time for “%(title)s”"),
        "motion.completed": _l("The motion “%(title)s” was completed"),
        "motion.rate": _l("“%(title)s” is done: tell us whether you are satisfied"),
        "motion.reopened": _l("The motion “%(title)s” was reopened"),
        "motion.sent_back": _l("The motion “%(title)s” was sent back to you"),
        "motion.withdrawn": _l("The motion “%(title)s” was withdrawn"),
        "motion.escalated": _l("A motion was escalated to %(place)s: “%(title)s”"),
        "motion.reminder": _l("A deadline of the motion “%(title)s” is near"),
        "motion.overdue": _l("A deadline of the motion “%(title)s” has passed"),
    },
    due=(Due("motions", service.follow_up_due, service.follow_up),),
)
