"""Ballots: drafting, opening, casting, counting; ballots over a period open and close in
the server's loop."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from . import models, searching, service
from .views import bp

DOMAIN = Domain(
    "voting", models=models, blueprint=bp,
    search=searching.register_kinds,
    messages={
        "ballot.opened": _l("Voting has opened: “%(question)s”"),
        "ballot.paper_entered": _l("A paper ballot was entered for you: “%(question)s”"),
        "ballot.closed": _l("Voting has closed, see the result: “%(question)s”"),
        "ballot.open_failed": _l("The ballot “%(question)s” could not open by itself: %(reason)s"),
    },
    due=(Due("ballots", service.advance_is_due, service.advance_due),),
)
