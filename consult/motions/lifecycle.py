"""The motion lifecycle: one table of transitions, which every transport and the
follow-up use. Each action names the states it starts from, the state it leads to (None:
the state stays), who may take it, and whether words are required."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..lifecycle import Lifecycle, Transition
from .models import MotionState as S

# Who acts: the responder (a member of an addressed organisation), the moderators of the
# motion's place, the residents who rate, or the follow-up itself (no person).
RESPONDER, MODERATOR, RESIDENT, SYSTEM = "responder", "moderator", "resident", "system"

WORKING = frozenset({S.acknowledged, S.in_progress})
# Any organisation addressed may take these; the others are the lead responder's alone.
ANY_RESPONDER = frozenset({"acknowledge", "progress", "ask_time"})


TRANSITIONS = Lifecycle([
    Transition("acknowledge", frozenset({S.assigned, S.acknowledged, S.in_progress}), None, (RESPONDER,), False,
               _l("Acknowledged (reported)")),
    Transition("accept", frozenset({S.assigned, S.acknowledged}), S.in_progress, (RESPONDER,), False,
               _l("Accepted")),
    Transition("accept_part", frozenset({S.assigned, S.acknowledged}), S.in_progress, (RESPONDER,), True,
               _l("Accepted in part")),
    Transition("decline", frozenset({S.assigned, S.acknowledged}), S.declined, (RESPONDER,), True,
               _l("Declined")),
    Transition("progress", WORKING, None, (RESPONDER,), True, _l("Progress")),
    Transition("ask_time", WORKING, None, (RESPONDER,), True, _l("Asked for more time")),
    Transition("grant_time", WORKING, None, (MODERATOR,), False, _l("More time granted")),
    Transition("refuse_time", WORKING, None, (MODERATOR,), True, _l("More time refused")),
    Transition("complete", frozenset({S.in_progress}), S.completed, (RESPONDER,), True, _l("Completed")),
    Transition("rate", frozenset({S.completed}), None, (RESIDENT,), False, _l("Rated")),
    Transition("reopen", frozenset({S.completed, S.closed}), S.reopened, (SYSTEM, MODERATOR), True,
               _l("Reopened")),
    Transition("send_back", frozenset({S.reopened, S.declined}), S.in_progress, (MODERATOR,), True,
               _l("Sent back to the responder")),
    Transition("close", frozenset({S.completed, S.declined, S.reopened}), S.closed, (SYSTEM, MODERATOR), False,
               _l("Closed")),
    Transition("withdraw", frozenset({S.assigned, S.acknowledged, S.in_progress, S.declined, S.reopened}),
               S.withdrawn, (MODERATOR,), True, _l("Withdrawn")),
    Transition("escalate", frozenset({S.assigned, S.acknowledged, S.in_progress, S.declined, S.reopened}), None,
               (SYSTEM, MODERATOR), True, _l("Escalated one level up")),
    Transition("remind", frozenset({S.assigned, S.acknowledged, S.in_progress}), None, (SYSTEM,), False,
               _l("Reminder sent")),
    Transition("overdue", frozenset({S.assigned, S.acknowledged, S.in_progress}), None, (SYSTEM,), False,
               _l("Deadline missed")),
])


def label(action: str):
    if action == "assign":
        return _l("Assigned")
    step = TRANSITIONS.get(action)
    return step.label if step else action
