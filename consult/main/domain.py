"""The home page, the language switch and the health checks."""
from ..domains import Domain
from .views import bp

DOMAIN = Domain("main", blueprint=bp)
