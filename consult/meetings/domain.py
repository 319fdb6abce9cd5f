"""Meetings: scheduling, invitations and the live room (its Socket.IO handlers)."""
from importlib import import_module

from flask_babel import lazy_gettext as _l

from ..domains import Domain
from . import models, searching
from .views import bp


def room_handlers():
    """The room's Socket.IO handlers, registered with the server when loaded."""
    return import_module(".live", __package__)


DOMAIN = Domain(
    "meetings", models=models, blueprint=bp,
    socket=room_handlers,
    search=searching.register_kinds,
    messages={
        "meeting.invited": _l("You are invited to a meeting: “%(title)s”"),
        "meeting.changed": _l("A meeting you are invited to has changed: “%(title)s”"),
        "meeting.cancelled": _l("A meeting was cancelled: “%(title)s”"),
    },
)
