"""E-mail copies of messages, when the site has an SMTP server. Sent after the change
has been committed, in the background, so that a slow mail server never holds up a
page and a rolled-back change never sends mail."""
from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..accounts.models import User
from ..clock import utcnow
from ..database import on_commit
from ..extensions import db
from .models import Notification

log = logging.getLogger(__name__)


def mark_pending() -> None:
    """Called when messages are written: after the commit, mail goes out."""
    if has_app_context() and current_app.config.get("SMTP_HOST"):
        on_commit(_start_delivery, key="mail")


def _start_delivery() -> None:
    app = current_app._get_current_object()
    threading.Thread(target=_deliver_in, args=(app,), daemon=True).start()


def _deliver_in(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_pending()
        finally:
            db.session.remove()


def deliver_pending(limit: int = 200) -> int:
    """Send every message not yet e-mailed to a person with an address. Each row is
    claimed by one atomic update, so two senders never mail the same message; a failed
    send gives it back for the next round."""
    config = current_app.config
    rows = db.session.execute(
        select(Notification.id, User.email, User.locale)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None), User.active)
        .order_by(Notification.id).limit(limit)).all()
    sent = 0
    for notification_id, address, locale in rows:
        claimed = db.session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.emailed_at.is_(None)).values(emailed_at=utcnow()))
        db.session.commit()
        if claimed.rowcount != 1:
            continue
        notification = db.session.get(Notification, notification_id)
        try:
            with force_locale(locale or config["BABEL_DEFAULT_LOCALE"]):
                _send(config, address, notification)
            sent += 1
        except (OSError, smtplib.SMTPException):
            log.warning("mail to user %s failed; it will be retried", notification.user_id, exc_info=True)
            db.session.execute(update(Notification).where(Notification.id == notification_id)
                               .values(emailed_at=None))
            db.session.commit()
    return sent


def _send(config, address: str, notification: Notification) -> None:
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = address
    message["Subject"] = _("Consult") + " · " + notification.text
    link = ""
    if notification.params.get("proposal"):
        link = f"\n\n{config['SITE_URL'].rstrip('/')}/proposals/{notification.params['proposal']}"
    message.set_content(notification.text + link)
    security = config["SMTP_SECURITY"]
    factory = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
    with factory(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        if security == "starttls":
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(message)
