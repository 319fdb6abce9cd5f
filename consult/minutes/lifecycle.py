"""The minutes lifecycle: one table of transitions. The last signature publishes the
first version (a correction returns to where the minutes stood); the end of the publicity
period archives them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..lifecycle import Lifecycle, Transition
from .models import MinutesState as S

WRITER, SIGNER, RESIDENT, SYSTEM = "writer", "signer", "resident", "system"
SIGNED = frozenset({S.publicity, S.archived})

TRANSITIONS = Lifecycle([
    Transition("edit", frozenset({S.draft}), None, (WRITER,), False, _l("Edited")),
    Transition("submit", frozenset({S.draft}), S.signing, (WRITER,), False, _l("Handed to the signers")),
    Transition("return", frozenset({S.signing}), S.draft, (WRITER, SIGNER), True, _l("Sent back")),
    Transition("sign", frozenset({S.signing}), None, (SIGNER,), False, _l("Signed")),
    Transition("publish", frozenset({S.signing}), S.publicity, (SYSTEM,), False, _l("Published")),
    Transition("remark", frozenset({S.publicity}), None, (RESIDENT,), True, _l("Remarked")),
    Transition("archive", frozenset({S.publicity}), S.archived, (SYSTEM,), False, _l("Archived")),
    Transition("correct", SIGNED, S.draft, (WRITER,), True, _l("Corrected")),
])
