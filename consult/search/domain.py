"""Full-text search: the domains register their kinds (``Domain.search``)."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("search", models=models, blueprint=bp)
