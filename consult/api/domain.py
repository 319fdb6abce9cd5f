"""The JSON API, its tokens and app clients."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("api", models=models, blueprint=bp)
