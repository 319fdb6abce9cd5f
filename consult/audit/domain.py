"""The append-only audit log."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("audit", models=models, blueprint=bp)
