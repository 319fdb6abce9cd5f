"""The wish lifecycle: one table of transitions. Each action names the states it starts
from, the state it leads to, who may take it, and whether a note is required.

Who: the AUTHOR of the wish; a HELPER, anyone signed in of the wish's community who is not
the author (a volunteer, a partner's staff); the CLAIMANT who holds the wish; a
MODERATOR of the wish's place."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .models import WishState as S

AUTHOR, HELPER, CLAIMANT, MODERATOR = "author", "helper", "claimant", "moderator"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: S
    actors: tuple[str, ...]
    needs_note: bool
    label: object


TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    Transition("claim", frozenset({S.posted}), S.claimed, (HELPER,), False, _l("Claim this wish")),
    Transition("release", frozenset({S.claimed}), S.posted, (CLAIMANT, MODERATOR), False, _l("Give it back")),
    Transition("fulfil", frozenset({S.claimed}), S.fulfilled, (CLAIMANT,), True, _l("Mark as fulfilled")),
    Transition("confirm", frozenset({S.fulfilled}), S.confirmed, (AUTHOR,), False, _l("Confirm: my wish came true")),
    Transition("reject", frozenset({S.fulfilled}), S.claimed, (AUTHOR,), False, _l("Not yet fulfilled")),
    Transition("withdraw", frozenset({S.posted, S.claimed}), S.withdrawn, (AUTHOR, MODERATOR), False,
               _l("Withdraw the wish")),
]}
