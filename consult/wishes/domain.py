"""Wishes (微心愿): small wishes residents post and volunteers fulfil."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("wishes", models=models, blueprint=bp)
