"""E-mail copies of messages, when the site has an SMTP server. E-mail is one channel of
the outbox (outbox.py, channels/mail.py): deliveries are queued in the same transaction
as the message and sent after the commit, so that a slow mail server never holds up a
page and a rolled-back change never sends mail."""
from __future__ import annotations


def deliver_pending(limit: int = 200) -> int:
    """Send what is due in the outbox (every channel); the number sent. Kept for
    ``flask --app consult send-mail``, now the same as ``send``."""
    from .outbox import send_all

    return send_all(limit).sent
