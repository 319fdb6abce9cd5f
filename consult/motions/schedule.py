"""The follow-up of motion deadlines in the server process: every
``MOTION_FOLLOW_UP_SECONDS`` it looks for reminders, overdue notices, escalations, ended
rating windows and minutes whose publicity period has ended. Pages look too (on access), and ``flask --app consult follow-up``
runs it once, so no cron is needed and none does harm."""
from __future__ import annotations

import logging

from ..database import unit_of_work
from ..extensions import db, socketio

log = logging.getLogger(__name__)


def run_once(app) -> int:
    from ..minutes import service as minutes
    from . import service as motions

    with app.app_context():
        try:
            steps = 0
            if motions.follow_up_due():
                with unit_of_work():
                    steps += motions.follow_up()
            if minutes.archive_is_due():
                with unit_of_work():
                    steps += minutes.archive_due()
            from ..notifications import outbox, reminders   # reminders, then what is queued

            with unit_of_work():
                steps += reminders.run()

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
            log.exception("motion follow-up failed")


def start(app) -> None:
    interval = app.config["MOTION_FOLLOW_UP_SECONDS"]
    if interval > 0:
        socketio.start_background_task(_loop, app, interval)
