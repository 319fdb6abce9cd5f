"""One way to guard a state: a table of transitions per lifecycle (proposals, ballots,
meetings, minutes, motions).

Each ``Transition`` names the states an action may start from, the state it leads to (None:
the state stays, as for an escalation or a statement in a live meeting), who may take it
(roles, or the kinds of actor a domain tells apart) and whether words are required. A
service asks its table with ``require`` before it changes anything; pages ask ``allows``
to show a button; both read the same table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l

from .errors import InvalidTransition


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: Optional[object]
    who: tuple = ()
    needs_reason: bool = False
    label: object = None


class Lifecycle(dict):
    """The transitions of one lifecycle by action (a dict, so that ``TRANSITIONS["close"]``
    and, in templates, ``transitions.close`` read one)."""

    def __init__(self, transitions: Iterable[Transition]):
        super().__init__((t.action, t) for t in transitions)

    def allows(self, state, action: str) -> bool:
        step = self.get(action)
        return step is not None and state in step.sources

    def require(self, state, action: str, refusal=None) -> Transition:
        """The transition, or ``InvalidTransition`` (with ``refusal``, or a message naming the
        state) when it does not start from ``state``."""
        step = self.get(action)
        if step is None:
            raise InvalidTransition(_l("Unknown action."))
        if state not in step.sources:
            label = getattr(state, "label", state)
            raise InvalidTransition(refusal or _l("This cannot be done while it is “%(state)s”.", state=label))
        return step

    def into(self, action: str) -> frozenset:
        """The states from which ``action`` leads, with the state it leads to: where a
        record stands when the action has been or could be taken."""
        step = self[action]
        return step.sources | ({step.target} if step.target is not None else set())
