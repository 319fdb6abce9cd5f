"""Local stand-ins for the providers, on 127.0.0.1: an SMTP server (aiosmtpd) that keeps
what it acknowledged, and can hold one message unanswered."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """handle_DATA of aiosmtpd: ``acknowledged`` holds (recipients, message) answered 250;
    with ``hold_at`` = n the n-th message is received and left unanswered until released;
    ``refuse`` maps a recipient to a permanent 550."""

    def __init__(self):
        self.acknowledged = []
        self.received = 0
        self.hold_at = None
        self.release = threading.Event()
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        if self.hold_at is not None and self.received == self.hold_at:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 too late"
        self.acknowledged.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for _rcpt, message in self.acknowledged]

    def wait_received(self, count: int, seconds: float = 20) -> bool:
        deadline = time.monotonic() + seconds
        while self.received < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received >= count


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = SmtpInbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.inbox.release.set()
        self.controller.stop()
