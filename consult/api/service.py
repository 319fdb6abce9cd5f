"""Personal tokens and app clients: created, shown once, stored as SHA-256 digests,
checked on every API request, revoked. Tokens are long random strings, so one unsalted
digest is enough to find and compare them; nothing kept here lets anyone call the API."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..audit import service as audit
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..places.models import Place
from .models import SCOPES, ApiClient, ApiToken

PERSONAL_PREFIX = "cst_"
CLIENT_TOKEN_PREFIX = "csa_"
NAME_MAX = 80
# Days a personal token may live, at most; an app client's token lives an hour.
MAX_DAYS = 366
CLIENT_TOKEN_SECONDS = 3600
# How often a token's last use is written: not at every request.
USED_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Give the token a name, so that you know it again."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_l("A name has at most %(n)d characters.", n=NAME_MAX), field="name")
    return name


def _issue(user, *, name: str, expires_at: datetime, prefix: str, client: Optional[ApiClient] = None):
    secret = prefix + secrets.token_urlsafe(32)
    token = ApiToken(user=user, client=client, name=name, token_hash=digest(secret), prefix=secret[:10],
                     expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token, secret


def create_personal_token(*, actor, name: str, days: int) -> tuple[ApiToken, str]:
    """A token that acts as ``actor`` wherever they may act, for ``days``. The secret is
    returned once, to be shown once; only its digest is kept."""
    permissions.require(getattr(actor, "is_authenticated", False))
    if not 1 <= int(days) <= MAX_DAYS:
        raise InvalidInput(_l("A token lives between 1 and %(n)d days.", n=MAX_DAYS), field="days")
    token, secret = _issue(actor, name=_name(name), expires_at=utcnow() + timedelta(days=int(days)),
                           prefix=PERSONAL_PREFIX)
    audit.record("api.token_create", token, actor=actor, name=token.name)
    return token, secret


def personal_tokens(user) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.client_id.is_(None),
                                                          ApiToken.revoked_at.is_(None))
                                   .order_by(ApiToken.id.desc())))


def revoke_token(token: ApiToken, *, actor) -> ApiToken:
    permissions.require(permissions.can_revoke_api_token(actor, token))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api.token_revoke", token, actor=actor, name=token.name)
    return token


def _places(place_ids: Iterable[int]) -> list[Place]:
    places = [db.session.get(Place, int(i)) for i in place_ids]
    if not places or any(p is None for p in places):
        raise InvalidInput(_l("Choose the places the application may act in."), field="places")
    return places


def register_client(*, actor, name: str, user, place_ids: Iterable[int], scopes: Iterable[str]) -> tuple[ApiClient, str]:
    """An application acting as ``user`` in the chosen places, for the chosen actions. The
    administrator must administer every one of the places. The secret is returned once."""
    places = _places(place_ids)
    for place in places:
        permissions.require(permissions.can_register_api_client(actor, place))
    scopes = sorted(set(scopes))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise InvalidInput(_l("Choose what the application may do."), field="scopes")
    if user is None or not user.active or user.deleted_at is not None:
        raise InvalidInput(_l("The application acts as an active account."), field="user")
    secret = secrets.token_urlsafe(32)
    client = ApiClient(name=_name(name), client_id="cli_" + secrets.token_hex(8), secret_hash=digest(secret),
                       user=user, place_ids=[p.id for p in places], scopes=scopes, created_by_id=actor.id)
    db.session.add(client)
    db.session.flush()
    audit.record("api.client_register", client, actor=actor, place=places[0], name=client.name, scopes=scopes,
                 places=client.place_ids, acts_as=user.id)
    return client, secret


def client_places(client: ApiClient) -> list[Place]:
    return [p for p in (db.session.get(Place, i) for i in client.place_ids) if p is not None]


def clients_for(actor) -> list[ApiClient]:
    """The app clients registered for places the administrator administers."""
    rows = db.session.scalars(select(ApiClient).where(ApiClient.revoked_at.is_(None)).order_by(ApiClient.id.desc()))
    return [c for c in rows if any(permissions.can_register_api_client(actor, p) for p in client_places(c))]


def revoke_client(client: ApiClient, *, actor) -> ApiClient:
    """The application and every token it was given stop at once."""
    permissions.require(any(permissions.can_register_api_client(actor, p) for p in client_places(client)))
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit.record("api.client_revoke", client, actor=actor, name=client.name)
    return client


def issue_client_token(client_id: str, secret: str) -> tuple[ApiToken, str]:
    """OAuth 2 client credentials: the client's id and secret for a bearer token that
    lives an hour. A wrong id and a wrong secret are refused alike."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.client_id == (client_id or "")))
    if client is None or client.revoked_at is not None or not hmac.compare_digest(client.secret_hash,
                                                                                  digest(secret or "")):
        raise NotAllowed(_l("Unknown client or wrong secret."), oauth="invalid_client")
    user = client.user
    if not user.active or user.deleted_at is not None:
        raise NotAllowed(_l("The account this application acts as is no longer active."), oauth="invalid_client")
    return _issue(user, name=client.name, client=client, prefix=CLIENT_TOKEN_PREFIX,
                  expires_at=utcnow() + timedelta(seconds=CLIENT_TOKEN_SECONDS))


def authenticate(secret: str) -> Optional[ApiToken]:
    """The live token ``secret`` names; None for a token that is unknown, expired, revoked,
    or whose person may no longer sign in. Reads only (``note_use`` writes)."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or not token.live(utcnow()) or not token.user.active or token.user.deleted_at is not None:
        return None
    return token


def use_to_note(token: ApiToken, address: Optional[str]) -> bool:
    """Whether this use is worth writing down: a minute after the last, or from elsewhere."""
    address = (address or "")[:50] or None
    return token.last_used_at is None or utcnow() - token.last_used_at >= USED_EVERY \
        or token.last_used_address != address


def note_use(token: ApiToken, address: Optional[str]) -> None:
    token.last_used_at = utcnow()
    token.last_used_address = (address or "")[:50] or None


def scopes_of(token: ApiToken) -> frozenset[str]:
    return frozenset(SCOPES) if token.client is None else frozenset(token.client.scopes)


def reaches(token: ApiToken, place: Optional[Place]) -> bool:
    """Whether the token may act on what lies in ``place``: a personal token wherever its
    person may; an app client's only in its places and below them."""
    if token.client is None:
        return True
    if place is None:
        return False
    return any(place.is_within(p) for p in client_places(token.client))
