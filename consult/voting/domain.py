"""Ballots: drafting, opening, casting, counting; ballots over a period open and close in
the server's loop."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from . import evidence, models, results, searching, service
from .result_views import bp

DOMAIN = Domain(
    "voting", models=models, blueprint=bp,
    search=searching.register_kinds,
    messages={
        "ballot.opened": _l("Voting has opened: “%(question)s”"),
        "ballot.paper_entered": _l("A paper ballot was entered for you: “%(question)s”"),
        "ballot.closed": _l("Voting has closed, see the result: “%(question)s”"),
        "ballot.open_failed": _l("The ballot “%(question)s” could not open by itself: %(reason)s"),
        "ballot.extended": _l("Voting on “%(question)s” has been extended: see the new closing time"),
        "ballot.preliminary": _l("Preliminary result of “%(question)s”: check the record and object within the "
                                 "period"),
        "ballot.objection": _l("An owner objected to the result of “%(question)s”: answer it"),
        "ballot.objection_answered": _l("Your objection to the result of “%(question)s” has been answered"),
        "ballot.final": _l("The final result of “%(question)s” is announced"),
    },
    due=(Due("ballots", service.advance_is_due, service.advance_due),
         Due("ballot_results", results.finalize_is_due, results.finalize_due)),
    evidence=evidence.contribute,
)
