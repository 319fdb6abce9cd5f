"""The proposal lifecycle: one table of transitions, which every transport uses.

Each action names the states it may start from, the state it leads to (None: the state
stays, as for an escalation), the roles that may take it in the proposal's place, and
whether a written reason is required. Meetings, ballots and motions drive the later
actions through the same table.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import MODERATORS
from ..lifecycle import Lifecycle, Transition
from .models import ProposalState as S


TRANSITIONS = Lifecycle([
    # 分类理事: triage, settle at once, refer, decline, escalate
    Transition("triage", frozenset({S.submitted, S.reopened}), S.accepted, MODERATORS, False,
               _l("Triaged")),
    Transition("answer", frozenset({S.submitted, S.accepted, S.reopened}), S.answered, MODERATORS, True,
               _l("Answered at once")),
    Transition("refer", frozenset({S.submitted, S.accepted, S.reopened}), S.referred, MODERATORS, True,
               _l("Referred elsewhere")),
    Transition("decline", frozenset({S.submitted, S.accepted, S.reopened}), S.declined, MODERATORS, True,
               _l("Declined")),
    Transition("merge", frozenset({S.submitted, S.accepted, S.reopened}), S.merged, MODERATORS, True,
               _l("Merged as a duplicate")),
    Transition("escalate", frozenset({S.submitted, S.accepted, S.under_deliberation, S.reopened}), None,
               MODERATORS, True, _l("Escalated")),
    # 民主议事 → 明责办事 → 公开评事 → 追踪查事, driven by meetings, ballots and motions
    Transition("deliberate", frozenset({S.accepted, S.reopened}), S.under_deliberation, MODERATORS, False,
               _l("Taken to deliberation")),
    Transition("decide", frozenset({S.under_deliberation}), S.decided, MODERATORS, True, _l("Decided")),
    # A decided matter goes to its responders; a small one straight from triage (小事即办),
    # a reopened one back to them.
    Transition("act", frozenset({S.decided, S.submitted, S.accepted, S.under_deliberation, S.reopened}),
               S.in_action, MODERATORS, False, _l("Handed over for action")),
    Transition("complete", frozenset({S.in_action}), S.awaiting_evaluation, MODERATORS, False,
               _l("Done, awaiting evaluation")),
    Transition("close", frozenset({S.awaiting_evaluation, S.answered}), S.closed, MODERATORS, False,
               _l("Closed")),
    Transition("reopen", frozenset({S.awaiting_evaluation, S.closed, S.answered}), S.reopened, MODERATORS,
               True, _l("Reopened")),
])

# A matter in these states can be put to a meeting or a vote: those it is taken to
# deliberation from, and deliberation itself.
DELIBERABLE = TRANSITIONS.into("deliberate")
# States in which a matter is settled and cannot take in a duplicate.
SETTLED = frozenset({S.merged, S.declined, S.referred, S.closed})
# States in which residents may still co-sign and comment.
OPEN_STATES = frozenset({S.submitted, S.accepted, S.under_deliberation, S.reopened})
# The actions a moderator takes from the proposal page now; the others come with the
# domains that drive them.
TRIAGE_ACTIONS = ("answer", "refer", "decline")


def event_label(action: str):
    """The timeline's words for one step."""
    if action == "raise":
        return _l("Raised")
    if action == "merged_in":
        return _l("A duplicate was merged in")
    if action == "ballot_failed":
        return _l("Put to the vote: not adopted")
    step = TRANSITIONS.get(action)
    return step.label if step else action
