"""Minutes: drafted when a meeting ends, signed, published, archived when the publicity
period is over."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from ..meetings import signals as meetings
from . import models, searching, service
from .views import bp

DOMAIN = Domain(
    "minutes", models=models, blueprint=bp,
    subscriptions=((meetings.meeting_ended, service.draft_when_a_meeting_ends),),
    search=searching.register_kinds,
    messages={
        "minutes.draft": _l("The minutes of “%(title)s” are drafted: check and edit them"),
        "minutes.sign": _l("The minutes of “%(title)s” wait for your signature"),
        "minutes.returned": _l("The minutes of “%(title)s” were sent back to the draft"),
        "minutes.published": _l("The minutes of “%(title)s” are published: comment or object within the period"),
        "minutes.corrected": _l("The minutes of “%(title)s” were corrected"),
        "minutes.objection": _l("An objection was raised to the minutes of “%(title)s”"),
        "minutes.answered": _l("Your remark on the minutes of “%(title)s” was answered"),
    },
    due=(Due("minutes", service.archive_is_due, service.archive_due),),
)
