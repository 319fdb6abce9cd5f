"""Conventions: drafted, adopted by a ballot, published with version and hash, amended."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain
from ..voting.signals import ballot_closed
from . import models, service
from .views import bp

DOMAIN = Domain("conventions", models=models, blueprint=bp,
                subscriptions=((ballot_closed, service.ballot_closed),),
                messages={"convention.adopted": _l("“%(title)s” was adopted and is in force")})
