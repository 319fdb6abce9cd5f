"""Standing councils: series of meetings with a cadence, scheduled ahead."""
from ..domains import Domain, Due
from . import models, service
from .views import bp

DOMAIN = Domain("councils", models=models, blueprint=bp,
                due=(Due("councils", service.scheduling_is_due, service.schedule_due_occurrences),))
