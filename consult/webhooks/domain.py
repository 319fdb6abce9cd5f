"""Webhooks: the events of the other domains, sent to the endpoints administrators register."""
from ..domains import Domain, Due
from ..minutes.signals import minutes_published
from ..motions.signals import motion_recorded
from ..proposals.signals import proposal_raised
from ..voting.signals import ballot_closed
from . import models, service
from .views import bp

DOMAIN = Domain(
    "webhooks", models=models, blueprint=bp,
    subscriptions=(
        (proposal_raised, service.on_proposal_raised),
        (motion_recorded, service.on_motion_recorded),
        (ballot_closed, service.on_ballot_closed),
        (minutes_published, service.on_minutes_published),
    ),
    due=(Due("webhooks", service.deliveries_due, service.deliver_due),),
)
