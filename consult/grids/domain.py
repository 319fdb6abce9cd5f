"""Grids that take reports (群众报单—网格员承单—部门接单—限时办结反馈)."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from . import models, service
from .views import bp

DOMAIN = Domain(
    "grids", models=models, blueprint=bp,
    messages={
        "report.raised": _l("A resident reported in your grid: “%(title)s”"),
        "report.accepted": _l("The grid worker has taken up your report “%(title)s”"),
        "report.settled": _l("Your report “%(title)s” was settled"),
        "report.dispatched": _l("Your report “%(title)s” was sent on to the organisation that must act"),
        "report.escalated": _l("Nobody took up the report “%(title)s” in time"),
    },
    due=(Due("reports", service.escalation_is_due, service.escalate_late_reports),),
)
