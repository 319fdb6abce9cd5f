"""How fast one connection and one person may act in the live room.

A flood (a stuck button, a script) is refused before it costs a database query, so that
the room stays responsive for everyone else. Counts are sliding windows kept in this
server process (a person connected to two processes gets each process's allowance):

* every event of a connection (actions and catch-up requests): ``ROOM_ACTIONS_PER_SECOND``;
* every action of a person, over all their connections: ``ROOM_PERSON_ACTIONS_PER_SECOND``;
* statements, raised or lowered hands and casts of a person per minute:
  ``ROOM_STATEMENTS_PER_MINUTE``, ``ROOM_HANDS_PER_MINUTE``, ``ROOM_CASTS_PER_MINUTE``.

An action over a limit is answered ``{ok: false, error: {code: "rate_limited", …}}``.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from flask import current_app
from flask_babel import gettext as _

from ..errors import TooManyAttempts


_now = time.monotonic     # the tests stop it


class RateLimited(TooManyAttempts):
    code = "rate_limited"


# action → (setting, message with %(n)d)
PER_MINUTE = {
    "statement": ("ROOM_STATEMENTS_PER_MINUTE", "statements"),
    "raise_hand": ("ROOM_HANDS_PER_MINUTE", "hands"),
    "lower_hand": ("ROOM_HANDS_PER_MINUTE", "hands"),
    "cast": ("ROOM_CASTS_PER_MINUTE", "casts"),
}


class Windows:
    """Sliding windows of moments, by key."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen: dict[tuple, deque] = {}

    def hit(self, key: tuple, limit: int, window: float, now: float) -> bool:
        """Count one more for ``key`` if fewer than ``limit`` were counted in the last
        ``window`` seconds; False (and nothing counted) otherwise."""
        if limit <= 0:
            return True
        with self.lock:
            moments = self.seen.get(key)
            if moments is None:
                moments = self.seen[key] = deque()
            while moments and moments[0] <= now - window:
                moments.popleft()
            if len(moments) >= limit:
                return False
            moments.append(now)
            if len(self.seen) > 100_000:         # forget the idle ones now and then
                for stale in [k for k, v in self.seen.items() if not v or v[-1] <= now - 60]:
                    del self.seen[stale]
            return True

    def forget(self, prefix) -> None:
        with self.lock:
            for key in [k for k in self.seen if k[0] == prefix]:
                del self.seen[key]


def _windows() -> Windows:
    return current_app.extensions.setdefault("consult_room_limits", Windows())


def _too_fast() -> RateLimited:
    return RateLimited(_("You are acting too fast: wait a moment and try again."))


def check_request(person, sid=None) -> None:
    """A catch-up request: counted with the connection's and the person's events."""
    config, windows, now = current_app.config, _windows(), _now()
    if sid is not None and not windows.hit((sid, "all"), config["ROOM_ACTIONS_PER_SECOND"], 1.0, now):
        raise _too_fast()
    if person is not None and not windows.hit(("person", person, "all"),
                                              config["ROOM_PERSON_ACTIONS_PER_SECOND"], 1.0, now):
        raise _too_fast()


def check_action(sid, person, action: str) -> None:
    """Refuse ``action`` if the connection or the person is over a limit."""
    check_request(person, sid)
    setting = PER_MINUTE.get(action)
    if setting is None or person is None:
        return
    name, kind = setting
    limit = current_app.config[name]
    if not _windows().hit(("person", person, kind), limit, 60.0, _now()):
        raise RateLimited({
            "statements": _("At most %(n)d statements a minute: wait a moment before the next.", n=limit),
            "hands": _("At most %(n)d raised or lowered hands a minute: wait a moment.", n=limit),
            "casts": _("At most %(n)d votes a minute: wait a moment.", n=limit),
        }[kind])


def forget(sid) -> None:
    """A connection closed: its window goes."""
    _windows().forget(sid)
