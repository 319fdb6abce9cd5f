"""The ballot lifecycle: one table of transitions. A ballot over a period takes "open" and
"close" by itself when its times come (no person: ``advance``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import MODERATORS
from ..lifecycle import Lifecycle, Transition
from .models import BallotState as S

TRANSITIONS = Lifecycle([
    Transition("open", frozenset({S.draft}), S.open, MODERATORS, False, _l("Opened")),
    Transition("cast", frozenset({S.open}), None, (), False, _l("Cast")),
    # Before the announced closing time only with a reason (``closes_early``).
    Transition("close", frozenset({S.open}), S.closed, MODERATORS, False, _l("Closed")),
])
