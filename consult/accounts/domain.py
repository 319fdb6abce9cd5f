"""People, sign-in, roles and organisations."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("accounts", models=models, blueprint=bp)
