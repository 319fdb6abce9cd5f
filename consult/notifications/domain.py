"""The inbox and its e-mail copies. The messages are declared by the domains that send them."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("notifications", models=models, blueprint=bp)
