"""Web push through each browser's push service (pywebpush: the payload encrypted with
aes128gcm for the browser's keys, the request signed with the installation's VAPID key,
VAPID_PRIVATE_KEY). One delivery reaches every browser the person subscribed; the
delivery's dedupe key is the notification's tag, so a browser shows a copy sent again
in place of the first. A browser whose subscription has ended (404, 410) is forgotten."""
from __future__ import annotations

import json

import requests

from pywebpush import WebPushException, webpush
from sqlalchemy import delete

from . import PermanentError, TemporaryError


class WebPushChannel:
    name = "push"

    def __init__(self, config):
        from py_vapid import Vapid

        self.config = config
        key = config["VAPID_PRIVATE_KEY"].strip()
        # PEM as `vapid --gen` writes it, or the base64url DER / raw key on one line
        self.vapid = Vapid.from_pem(key.encode()) if key.startswith("-----") else Vapid.from_string(key)
        # one session per sending thread: connections to each push service are kept alive
        self.session = requests.Session()

    def send(self, message) -> str:
        from ...extensions import db
        from ..push import PushSubscription

        browsers = db.session.query(PushSubscription).filter_by(user_id=message.user_id).all()
        db.session.rollback()
        if not browsers:
            raise PermanentError("no browser subscribed")
        payload = json.dumps({"title": message.text, "url": message.link, "tag": message.dedupe_key},
                             ensure_ascii=False)
        accepted, ended, trouble = [], [], []
        for browser in browsers:
            try:
                response = webpush({"endpoint": browser.endpoint, "keys": {"p256dh": browser.p256dh,
                                                                            "auth": browser.auth}},
                                   payload, vapid_private_key=self.vapid,
                                   vapid_claims={"sub": self.config["VAPID_SUBJECT"]}, ttl=24 * 3600,
                                   timeout=10, requests_session=self.session)
                accepted.append(response.headers.get("Location") or browser.endpoint)
            except WebPushException as error:
                status = getattr(error.response, "status_code", None)
                if status in (404, 410):
                    ended.append(browser.id)
                else:
                    trouble.append(f"{status}: {error.message}"[:100])
            except Exception as error:   # network trouble
                trouble.append(f"{type(error).__name__}: {error}"[:100])
        if ended:
            db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ended)))
            db.session.commit()
        if accepted:
            return accepted[0][:100]
        if trouble:
            raise TemporaryError("; ".join(trouble))
        raise PermanentError("every browser's subscription has ended")
