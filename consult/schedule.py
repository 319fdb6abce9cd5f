"""The work that falls due with time, in the server process: every
``MOTION_FOLLOW_UP_SECONDS`` it does what each domain declares due (``Domain.due``):
ballots over a period that open or close, motions' reminders, overdue notices,
escalations and ended rating windows, minutes whose publicity period has ended. Each
in its own transaction. ``flask --app consult follow-up`` runs it once, so no cron is
needed and none does harm."""
from __future__ import annotations

import logging

from . import domains
from .database import unit_of_work
from .extensions import db, socketio

log = logging.getLogger(__name__)


def run_once(app) -> int:
    with app.app_context():
        try:
            steps = 0
            for due in domains.due_work():
                if due.is_due():
                    with unit_of_work():
                        steps += due.run()
            # Then what is queued leaves, each claim and answer in its own short
            # transaction, never holding a write while a provider answers.
            from .notifications import outbox

            steps += outbox.send_all().claimed
            return steps
        finally:
            db.session.remove()


def _loop(app, interval: int) -> None:
    while True:
        socketio.sleep(interval)
        try:
            run_once(app)
        except Exception:   # a failed round is logged and the next one tries again
            log.exception("due work failed")


def start(app) -> None:
    interval = app.config["MOTION_FOLLOW_UP_SECONDS"]
    if interval > 0:
        socketio.start_background_task(_loop, app, interval)
