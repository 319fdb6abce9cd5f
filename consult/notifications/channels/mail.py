"""E-mail through the site's SMTP server (SMTP_HOST …). The delivery's dedupe key is
the message's Message-ID, so a receiving server or a person's mail program can tell a
copy sent again after a crash from a new message."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask_babel import gettext as _

from . import PermanentError, TemporaryError


class MailChannel:
    name = "email"

    def __init__(self, config):
        self.config = config

    def send(self, message) -> str:
        config = self.config
        email = EmailMessage()
        domain = config["SMTP_FROM"].rpartition("@")[2] or "localhost"
        message_id = f"<{message.dedupe_key}@{domain}>"
        email["From"] = config["SMTP_FROM"]
        email["To"] = message.address
        email["Subject"] = _("Consult") + " · " + message.text
        email["Message-ID"] = message_id
        body = message.text + (f"\n\n{message.body}" if getattr(message, "body", "") else "")
        email.set_content(body + (f"\n\n{message.link}" if message.link else ""))
        security = config["SMTP_SECURITY"]
        factory = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        try:
            with factory(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
                if security == "starttls":
                    smtp.starttls()
                if config.get("SMTP_USER"):
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {codes}") from error
            raise TemporaryError(f"recipient deferred: {codes}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and error.smtp_code not in (552,):
                raise PermanentError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise TemporaryError(f"{error.smtp_code} {error.smtp_error!r}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryError(str(error) or type(error).__name__) from error
        return message_id
