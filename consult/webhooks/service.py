"""Webhooks: endpoints registered by a place's administrators; each event in the place
becomes one delivery row per endpoint that wants it, written in the transaction of the
event, so an event that is rolled back is never sent and one that is committed is never
lost. The background loop sends what is due (``deliver_due``), signed with the endpoint's
secret, and retries a failure later and later (exponential backoff).

A body holds ids and public fields only, dumped through the API's schemas and masked as
the API masks them for a reader who may see no more than the public."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Optional
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..api import schemas
from ..audit import service as audit
from ..clock import utcnow
from ..database import on_commit, unit_of_work
from ..errors import InvalidInput, InvalidTransition
from ..extensions import db
from ..places.models import Place
from .models import EVENT_KINDS, DeliveryState, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Consult-Signature"
SECRET_PREFIX = "whsec_"
URL_MAX = 500
# A claimed delivery is not claimed again for this long (a process that died while sending).
LEASE = timedelta(minutes=2)
BATCH = 50


# --- signing --------------------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: str) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>`` with the endpoint's secret, in hex."""
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signature_header(secret: str, body: str, timestamp: Optional[int] = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: str, *, tolerance: int = 300, now: Optional[int] = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = int(time.time()) if now is None else now
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(
        signature(secret, timestamp, body), parts.get("v1", ""))


# --- endpoints ------------------------------------------------------------------------------

def register_endpoint(place: Place, *, actor, url: str, kinds: list[str]) -> tuple[WebhookEndpoint, str]:
    """An endpoint for the events of ``place`` and below it; the secret is returned to be
    shown once."""
    permissions.require(permissions.can_register_api_client(actor, place))
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
        raise InvalidInput(_l("Give the address of the endpoint (http:// or https://)."), field="url")
    kinds = [k for k in EVENT_KINDS if k in set(kinds or ())]
    if not kinds:
        raise InvalidInput(_l("Choose at least one kind of event."), field="kinds")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(place=place, url=url, kinds=kinds, secret=secret, created_by_id=actor.id)
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.register", endpoint, actor=actor, place=place, url=url, kinds=kinds)
    return endpoint, secret


def revoke_endpoint(endpoint: WebhookEndpoint, *, actor) -> WebhookEndpoint:
    permissions.require(permissions.can_register_api_client(actor, endpoint.place))
    if endpoint.revoked_at is None:
        endpoint.revoked_at = utcnow()
        audit.record("webhook.revoke", endpoint, actor=actor, place=endpoint.place)
    return endpoint


def endpoints_for(user) -> list[WebhookEndpoint]:
    """The endpoints of the places ``user`` administers, newest first."""
    found = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id.desc()))
    return [e for e in found if permissions.can_register_api_client(user, e.place)]


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = 20) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


def send_again(delivery: WebhookDelivery, *, actor) -> WebhookDelivery:
    """An administrator asks for one more attempt, now."""
    permissions.require(permissions.can_register_api_client(actor, delivery.endpoint.place))
    if delivery.endpoint.revoked_at is not None:
        raise InvalidTransition(_l("This endpoint is revoked."))
    delivery.state, delivery.next_attempt_at = DeliveryState.pending, utcnow()
    audit.record("webhook.send_again", delivery.endpoint, actor=actor, place=delivery.endpoint.place,
                 delivery=delivery.id)
    return delivery


# --- events ---------------------------------------------------------------------------------

def _listening(kind: str, place: Place) -> list[WebhookEndpoint]:
    found = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.revoked_at.is_(None), WebhookEndpoint.place_id.in_(place.ancestor_ids)))
    return [e for e in found if kind in (e.kinds or ())]


def enqueue(kind: str, place: Place, data: dict) -> list[WebhookDelivery]:
    """One delivery per endpoint of ``place`` (or above it) that wants ``kind``, in the
    running transaction."""
    rows = []
    for endpoint in _listening(kind, place):
        row = WebhookDelivery(endpoint=endpoint, kind=kind, body="")
        db.session.add(row)
        db.session.flush()
        row.body = json.dumps({"id": row.id, "kind": kind, "created_at": utcnow().isoformat() + "+00:00",
                               "place": {"id": place.id, "name": place.name, "kind": place.kind.value},
                               "data": data}, ensure_ascii=False, sort_keys=True, default=str)
        rows.append(row)
    return rows


def _text(value) -> str:
    return schemas.shown_text(value, None, None, None)


def _place(place) -> dict:
    return {"id": place.id, "name": place.name, "kind": place.kind.value}


def proposal_data(proposal) -> dict:
    return schemas.ProposalOut(only=("id", "place", "title", "state", "tier", "created_at")).dump({
        "id": proposal.id, "place": _place(proposal.place), "title": _text(proposal.title),
        "state": proposal.state.value, "tier": proposal.tier.value, "created_at": proposal.created_at})


def motion_data(motion) -> dict:
    return schemas.MotionOut(only=("id", "place", "proposal_id", "title", "state", "answer", "responders",
                                   "created_at", "complete_by", "acknowledged_at", "completed_at",
                                   "closed_at")).dump({
        "id": motion.id, "place": _place(motion.place), "proposal_id": motion.proposal_id,
        "title": _text(motion.title), "state": motion.state.value,
        "answer": motion.answer.value if motion.answer else None,
        "responders": [r.organisation.name for r in motion.responders], "created_at": motion.created_at,
        "complete_by": motion.complete_by, "acknowledged_at": motion.acknowledged_at,
        "completed_at": motion.completed_at, "closed_at": motion.closed_at})


def ballot_data(ballot, passed: bool) -> dict:
    data = schemas.BallotOut(only=("id", "place", "proposal_id", "question", "kind", "state",
                                   "closed_at")).dump({
        "id": ballot.id, "place": _place(ballot.place), "proposal_id": ballot.proposal_id,
        "question": _text(ballot.question), "kind": ballot.kind.value, "state": ballot.state.value,
        "closed_at": ballot.closed_at})
    # An owners' decision is sent once, with its final result; other ballots with theirs.
    return {**data, "passed": bool(passed), "stage": "final" if getattr(ballot, "final_result", None) else "result"}


def minutes_data(minutes) -> dict:
    return schemas.MinutesOut(only=("id", "meeting_id", "place", "state")).dump({
        "id": minutes.id, "meeting_id": minutes.meeting_id, "place": _place(minutes.place),
        "state": minutes.state.value})


# The domains' signals, received inside their transactions.

def on_proposal_raised(proposal, *, actor=None) -> None:
    enqueue("proposal.raised", proposal.place, proposal_data(proposal))


MOTION_KINDS = {"assign": "motion.assigned", "acknowledge": "motion.acknowledged", "complete": "motion.completed",
                "rate": "motion.rated"}


def on_motion_recorded(motion, *, action: str, body=None) -> None:
    kind = MOTION_KINDS.get(action)
    if kind is not None:
        db.session.flush()
        enqueue(kind, motion.place, {**motion_data(motion), "action": action})


def on_ballot_closed(ballot, *, passed: bool, summary: str = "") -> None:
    enqueue("ballot.closed", ballot.place, ballot_data(ballot, passed))


def on_minutes_published(minutes) -> None:
    enqueue("minutes.published", minutes.place, minutes_data(minutes))


# --- sending --------------------------------------------------------------------------------

def backoff(attempts: int, config=None) -> timedelta:
    """The wait after the ``attempts``-th failure: the first wait, doubled each time."""
    config = config or current_app.config
    return timedelta(seconds=min(config["WEBHOOK_RETRY_SECONDS"] * 2 ** (attempts - 1),
                                 config["WEBHOOK_RETRY_MAX_SECONDS"]))


def _due_query(now):
    return (select(WebhookDelivery).where(WebhookDelivery.state == DeliveryState.pending,
                                          WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id))


def deliveries_due(now=None) -> bool:
    return db.session.scalar(_due_query(now or utcnow()).limit(1)) is not None


def deliver_due(now=None) -> int:
    """Claim what is due (the lease keeps another round from taking it) in the caller's
    transaction; the requests go out after it commits, each answer written in its own short
    transaction, so no write is held while an endpoint answers."""
    now = now or utcnow()
    claimed = list(db.session.scalars(_due_query(now).limit(BATCH)))
    for delivery in claimed:
        delivery.next_attempt_at = now + LEASE
    ids = [d.id for d in claimed]
    if ids:
        app = current_app._get_current_object()
        on_commit(lambda: _send_all(app, ids), key="webhooks.send")
    return len(ids)


def _send_all(app, ids: list[int]) -> None:
    for delivery_id in ids:
        _send(app, delivery_id)


def _post(url: str, body: str, headers: dict, timeout: float) -> tuple[Optional[int], Optional[str]]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:200]


def _send(app, delivery_id: int) -> None:
    config = app.config
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state is not DeliveryState.pending:
        return
    endpoint = delivery.endpoint
    if endpoint.revoked_at is not None:   # revoked since the event: nothing more is sent to it
        with unit_of_work():
            delivery.state, delivery.last_error = DeliveryState.failed, "endpoint revoked"
        return
    url, body, secret, kind = endpoint.url, delivery.body, endpoint.secret, delivery.kind
    db.session.rollback()   # no transaction is left open while the endpoint answers
    headers = {"Content-Type": "application/json", "User-Agent": "Consult-Webhooks",
               "Consult-Event": kind, "Consult-Delivery": str(delivery_id),
               SIGNATURE_HEADER: signature_header(secret, body)}
    status, error = _post(url, body, headers, config["WEBHOOK_TIMEOUT_SECONDS"])
    with unit_of_work():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, error
        now = utcnow()
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.delivered_at = DeliveryState.delivered, now
        elif delivery.attempts >= config["WEBHOOK_MAX_ATTEMPTS"]:
            delivery.state = DeliveryState.failed
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts, config)
