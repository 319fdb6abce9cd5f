"""12345 work orders: received through the API, followed through their motions."""
from ..domains import Domain
from ..motions.signals import motion_recorded
from . import models, service

DOMAIN = Domain("hotline", models=models, subscriptions=((motion_recorded, service.on_motion_recorded),))
