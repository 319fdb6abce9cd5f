"""The place tree, grids and households."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("places", models=models, blueprint=bp)
