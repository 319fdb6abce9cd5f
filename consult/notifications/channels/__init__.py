"""The ways a message leaves the site. Each channel sends one delivery and answers with
the provider's message id, or raises ``TemporaryError`` (tried again later) or
``PermanentError`` (given up). A channel without its settings is off: no deliveries are
queued for it and the account page says so."""
from __future__ import annotations

from typing import Optional, Protocol


class DeliveryError(Exception):
    def __init__(self, message: str, *, retry_after: Optional[float] = None):
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryError(DeliveryError):
    """The provider could not take it now (network, throttling, a server error)."""


class PermanentError(DeliveryError):
    """The provider refused it for good (bad number, unknown template, no balance)."""


class Outgoing(Protocol):
    """What a channel reads of a delivery (see outbox.Outgoing)."""
    address: str
    dedupe_key: str
    kind: str
    text: str
    params: dict
    link: str
    locale: str


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...


def enabled(name: str, config) -> bool:
    if name == "email":
        return bool(config.get("SMTP_HOST"))
    if name == "sms":
        from .sms import provider_name

        return provider_name(config) is not None
    if name == "push":
        return bool(config.get("VAPID_PRIVATE_KEY") and config.get("VAPID_PUBLIC_KEY"))
    if name == "wechat":
        from .wechat import enabled as wechat_enabled

        return wechat_enabled(config)
    return False


def channel(name: str, config) -> Channel:
    if name == "email":
        from .mail import MailChannel

        return MailChannel(config)
    if name == "sms":
        from .sms import sms_channel

        return sms_channel(config)
    if name == "push":
        from .webpush import WebPushChannel

        return WebPushChannel(config)
    if name == "wechat":
        from .wechat import WeChatChannel

        return WeChatChannel(config)
    raise KeyError(name)


# Every channel the outbox knows, in the order the account page shows them.
CHANNELS = ("email", "sms", "wechat", "push")
# Channels that interrupt (a phone rings or lights up): they keep quiet hours.
INTERRUPTING = ("sms", "wechat", "push")
# Channels that send only the kinds with a provider-approved template.
TEMPLATED = {"sms": "SMS_TEMPLATES", "wechat": "WECHAT_TEMPLATES"}
