"""The meeting lifecycle: one table of transitions, which the pages and the room use.
Actions with no target keep the state and say when the room may do them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.models import MODERATORS
from ..lifecycle import Lifecycle, Transition
from .models import MeetingState as S

BEFORE = frozenset({S.scheduled})
OPEN = frozenset({S.live, S.paused})     # in session, speaking or not
NOT_OVER = frozenset({S.scheduled, S.live, S.paused})

TRANSITIONS = Lifecycle([
    Transition("reschedule", BEFORE, None, MODERATORS, False, _l("Rescheduled")),
    Transition("cancel", BEFORE, S.cancelled, MODERATORS, True, _l("Cancelled")),
    Transition("respond", NOT_OVER, None, (), False, _l("Answered the invitation")),
    Transition("sign_in", NOT_OVER, None, (), False, _l("Signed in")),
    Transition("start", BEFORE, S.live, MODERATORS, False, _l("Started")),
    Transition("pause", frozenset({S.live}), S.paused, MODERATORS, False, _l("Paused")),
    Transition("resume", frozenset({S.paused}), S.live, MODERATORS, False, _l("Resumed")),
    Transition("end", OPEN, S.ended, MODERATORS, False, _l("Ended")),
    # The room while in session: the agenda, the speakers' list, the floor.
    Transition("chair", OPEN, None, MODERATORS, False, _l("Chaired")),
    # Statements and ballots while it is live (not paused).
    Transition("speak", frozenset({S.live}), None, (), False, _l("Spoke")),
    Transition("vote", frozenset({S.live}), None, MODERATORS, False, _l("Put to the vote")),
])
