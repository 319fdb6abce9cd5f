"""Group commit for the live room's casts.

When a moderator opens a ballot, hundreds of owners press the button in the same
seconds. One transaction per cast makes every cast wait for its own commit (a sync to
disk on SQLite, a round trip and a WAL flush on PostgreSQL) behind all the others. Here
the casts that arrive while one is being written queue up and are written together:

* the first cast to find nobody writing becomes the writer: it waits ``window`` seconds
  for the burst to gather, and again while more casts keep coming (up to ``longest``
  seconds in all), then takes up to ``limit`` queued casts;
* it runs them in one transaction, each in a SAVEPOINT of its own: a cast that is refused
  (a second vote of the same voter, a closed ballot, a signed-out session) rolls back only
  its savepoint and is answered with its own error, the others go on;
* it commits once, and only then are the casts answered: nobody is told their vote is in
  before it is durable, and a server killed before the commit acknowledged none of them;
* it hands the writing over to the first cast that queued meanwhile, and returns.

Actions of one kind on one target (the casts in one ballot) may be written together
(``together``): one call writes them all, set-based, and answers each, refusals included;
if it fails, its savepoint is rolled back and each of them is written in a savepoint of
its own, as above.

A cast that fails in its savepoint for a reason other than a refusal (a deadlock between
two processes on PostgreSQL, a lost connection), and every cast of a batch whose commit
failed, is written again on its own, as if there were no batching. The unique constraints
of the database keep one vote per voter across processes, as before.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from contextlib import nullcontext
from typing import Any, Callable, Hashable, Optional

from flask_babel import force_locale
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from ..database import collected, unit_of_work
from ..errors import DomainError
from ..extensions import db, socketio

log = logging.getLogger(__name__)


def _in(locale: Optional[str]):
    return force_locale(locale) if locale else nullcontext()


class Work:
    """One action to write in a batch: ``run`` does it in the running transaction and
    returns its answer; it raises a ``DomainError`` to refuse. ``locale`` is the language
    of the person's answer. Works with the same ``together`` key (not None) may be written
    together, from their ``request``. ``answer`` is set once the action is settled."""

    __slots__ = ("run", "locale", "together", "request", "answer", "done", "lead")

    def __init__(self, run: Callable[[], dict], locale: Optional[str], *, together: Optional[Hashable] = None,
                 request: Any = None):
        self.run, self.locale = run, locale
        self.together, self.request = together, request
        self.answer: Optional[dict] = None
        self.done = threading.Event()     # gevent's, in a server patched by gevent
        self.lead = False


def _groups(batch: list[Work]) -> list[list[Work]]:
    """The batch in groups of works to write together, in the order they came."""
    groups: dict[Any, list[Work]] = {}
    for work in batch:
        groups.setdefault(work.together if work.together is not None else object(), []).append(work)
    return list(groups.values())


class GroupCommit:
    """The writer of one process (per app): ``submit`` returns the action's answer once
    its batch has committed (or it was refused)."""

    def __init__(self, *, window: float, limit: int, refuse: Callable[[DomainError], dict],
                 busy: Callable[[], dict], failed: Callable[[], dict],
                 together: Optional[Callable[[list[Work]], list[dict]]] = None, longest: Optional[float] = None):
        self.window, self.limit = window, limit
        self.longest = window if longest is None else max(longest, window)
        self.together = together
        self.refuse, self.busy, self.failed = refuse, busy, failed
        self.lock = threading.Lock()
        self.queue: deque[Work] = deque()
        self.writing = False
        self.batches = 0      # how many transactions were committed: for the tests and the bench

    def submit(self, work: Work) -> dict:
        with self.lock:
            self.queue.append(work)
            lead, self.writing = not self.writing, True
        if not lead:
            work.done.wait()
            if not work.lead:
                return work.answer
        self._gather()
        # This cast writes, its own batch and whatever queued with it.
        with self.lock:
            batch = [self.queue.popleft() for _ in range(min(self.limit, len(self.queue)))]
        try:
            self._write(batch)
        finally:
            for other in batch:
                if other.answer is None:
                    other.answer = self.failed()
            with self.lock:
                if self.queue:
                    self.queue[0].lead = True
                    self.queue[0].done.set()
                else:
                    self.writing = False
            for other in batch:
                if other is not work:
                    other.done.set()
        return work.answer

    def _gather(self) -> None:
        """Let the burst gather: wait ``window``, and again while casts keep coming, until
        ``limit`` are queued or ``longest`` has passed. While a batch is written no cast is
        read (SQLite holds the process), so the next writer waits too, or it would write
        only the few read in between."""
        waited, queued = 0.0, -1
        while waited < self.longest and len(self.queue) != queued and len(self.queue) < self.limit:
            queued = len(self.queue)
            socketio.sleep(self.window)
            waited += self.window

    def _write(self, batch: list[Work]) -> None:
        alone: list[Work] = []
        try:
            with unit_of_work():
                for group in _groups(batch):
                    if len(group) > 1 and self.together is not None and self._together(group):
                        continue
                    for work in group:
                        events = collected("meeting_events")
                        before = len(events)
                        with _in(work.locale):
                            try:
                                with db.session.begin_nested():
                                    work.answer = work.run()
                            except DomainError as error:
                                del events[before:]          # nothing of it is announced
                                work.answer = self.refuse(error)
                            except Exception:
                                del events[before:]
                                log.warning("a cast failed in its batch: written again on its own", exc_info=True)
                                alone.append(work)
            self.batches += 1
        except Exception:
            log.warning("a batch of %d casts did not commit: each is written again on its own", len(batch),
                        exc_info=True)
            alone = batch
            for work in batch:
                work.answer = None
        finally:
            db.session.close()
        for work in alone:
            work.answer = self._alone(work)

    def _together(self, group: list[Work]) -> bool:
        """Write ``group`` with one call, in a savepoint; False if it failed (rolled back)."""
        events = collected("meeting_events")
        before = len(events)
        try:
            with db.session.begin_nested():
                answers = self.together(group)
        except Exception:
            del events[before:]
            log.warning("%d casts written together failed: each is written on its own", len(group), exc_info=True)
            return False
        for work, answer in zip(group, answers, strict=True):
            work.answer = answer
        return True

    def _alone(self, work: Work) -> dict:
        with _in(work.locale):
            try:
                with unit_of_work():
                    return work.run()
            except DomainError as error:
                return self.refuse(error)
            except SQLAlchemyTimeout:
                return self.busy()
            except Exception:
                log.exception("room action failed")
                return self.failed()
            finally:
                db.session.close()
