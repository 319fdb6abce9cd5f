"""The report lifecycle (群众报单—网格员承单—就地解决 / 派单): one table of transitions. Those
who handle a report are its grid's workers and leaders and the community's moderators;
the follow-up (no person) marks a report escalated without changing its state."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..lifecycle import Lifecycle, Transition
from .models import ReportState as S

HANDLER, SYSTEM = "handler", "system"
OPEN = frozenset({S.raised, S.accepted})

TRANSITIONS = Lifecycle([
    Transition("accept", frozenset({S.raised}), S.accepted, (HANDLER,), False, _l("Accepted")),
    Transition("settle", OPEN, S.settled, (HANDLER,), True, _l("Settled on the spot")),
    Transition("dispatch", OPEN, S.dispatched, (HANDLER,), False, _l("Dispatched")),
    Transition("escalate", frozenset({S.raised}), None, (SYSTEM,), False, _l("Escalated to the grid leader")),
])
