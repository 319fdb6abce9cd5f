"""Owners' decisions: the register checked in public, the notice, certificates and proxies
around an owners' ballot."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from ..voting.signals import ballot_drafted, ballot_opening
from . import evidence, models, service
from .views import bp

DOMAIN = Domain(
    "owners", models=models, blueprint=bp,
    subscriptions=((ballot_opening, service.on_ballot_opening), (ballot_drafted, service.add_none_of_these)),
    messages={
        "ballot.register": _l("The owner register for “%(question)s” is published: check your entries"),
        "ballot.notice": _l("Notice to the owners: “%(question)s”, see the matter, the period and how to vote"),
        "ballot.objection_settled": _l("Your objection to the owner register of “%(question)s” was answered"),
        "ballot.proxy": _l("Owner %(owner)s authorised you as their proxy"),
        "ballot.proxy_voted": _l("Your proxy voted for you: “%(question)s”"),
    },
    evidence=evidence.contribution,
    due=(Due("owner registers", service.freeze_is_due, service.freeze_due),),
)
