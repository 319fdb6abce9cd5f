"""Visits (民情走访): grid workers and building leaders log what they hear at the door."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("visits", models=models, blueprint=bp)
