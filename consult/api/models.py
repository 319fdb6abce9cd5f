"""Who calls the API: personal tokens a person creates, app clients an administrator
registers (OAuth 2 client credentials), the tokens both are given, and the answers kept for
an ``Idempotency-Key``. Secrets are stored as SHA-256 digests, never as they were shown."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db

# What a token may do. Personal tokens may do all of it, as their person may; an app client
# only what its administrator chose, and only in its places.
SCOPES = ("read", "proposals", "ballots", "meetings", "motions", "notifications", "work_orders")


class ApiClient(db.Model):
    """An application registered by an administrator: it acts as one account (``user``),
    only in ``places`` and below them, and only for ``scopes``."""
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<ApiClient {self.id} {self.client_id}>"


class ApiToken(db.Model):
    """A bearer token: a person's own (``client`` None) or one issued to an app client."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[Optional[int]] = mapped_column(ForeignKey("api_clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, to tell one's tokens apart on the account page.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[Optional[datetime]]
    last_used_address: Mapped[Optional[str]] = mapped_column(String(50))
    revoked_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
    client: Mapped[Optional[ApiClient]] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… u={self.user_id}>"

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and (
            self.client is None or self.client.revoked_at is None)


class IdempotentRequest(db.Model):
    """The answer to a POST sent with an ``Idempotency-Key``: the same key from the same
    token gets the same answer again, and nothing is done twice."""
    __tablename__ = "api_idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the method, the path and the body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<IdempotentRequest {self.id} t={self.token_id}>"
