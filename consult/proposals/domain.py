"""Proposals: raising, co-signing, triage, and the matter following its meetings, ballots
and motions through their signals."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain
from ..meetings import signals as meetings
from ..motions import signals as motions
from ..voting import signals as voting
from . import models, rollups, searching, service  # noqa: F401 (rollups: follows every flush)
from .views import bp

DOMAIN = Domain(
    "proposals", models=models, blueprint=bp,
    subscriptions=(
        (voting.ballot_drafted, service.put_to_the_vote),
        (voting.ballot_closed, service.ballot_closed),
        (meetings.meeting_scheduled, service.put_on_the_agenda),
        (motions.motion_assigned, service.motion_in_action),
        (motions.motion_sent_back, service.motion_in_action),
        (motions.motion_reopened, service.motion_reopened),
        (motions.motion_settled, service.motions_settled),
    ),
    search=searching.register_kinds,
    messages={
        "proposal.raised": _l("New matter in %(place)s: “%(title)s”"),
        "proposal.state": _l("“%(title)s”: %(event)s"),
        "proposal.escalated_here": _l("A matter was escalated to %(place)s: “%(title)s”"),
    },
)
