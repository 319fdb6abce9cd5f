"""What every API request shares: the bearer token, the scope and places it reaches,
errors as ``application/problem+json`` with the app's stable codes, cursor pagination,
``ETag`` on reads, ``Idempotency-Key`` on writes, the audit of every write, rate limits and
the OpenAPI document. The resources (``views``) only translate to and from the services."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import marshmallow as ma
from flask import Flask, Response, abort, current_app, g, json as flask_json, request
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from .. import permissions, web
from ..audit import service as audit
from ..clock import utcnow
from ..database import unit_of_work
from ..errors import DomainError, InvalidInput
from ..extensions import csrf, db
from . import service
from .models import IdempotentRequest

PREFIX = "/api/v1"
# How long the answer to a POST with an Idempotency-Key is kept for a retry.
KEEP_ANSWERS = timedelta(days=1)
PROBLEM = "application/problem+json"

bp = Blueprint("api", __name__, description="Consult JSON API v1")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with the app's stable code; extension members may follow
    (``error`` for OAuth 2, ``required_scope``)."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "The app's stable code: not_allowed, not_found, invalid_input, "
                                                     "conflict, invalid_transition, validation_failed, "
                                                     "unauthenticated, invalid_token, insufficient_scope, "
                                                     "rate_limited, idempotency_key_reused …"})
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                            metadata={"description": "Messages per field (validation_failed, invalid_input)."})
    error = ma.fields.String(metadata={"description": "The OAuth 2 error of the token endpoint."})


class OpenApi(Api):
    """flask-smorest's spec and schemas, without its error handler: errors here are
    problems (below), and pages keep theirs."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass


openapi = OpenApi(spec_kwargs={
    "title": "Consult API", "version": "1", "openapi_version": "3.1.0",
    "info": {"description": "The same services, permissions and masking as the pages. "
                            "Authenticate with `Authorization: Bearer <token>`."},
})


def _token_key() -> str:
    """The rate-limit key of the token a request carries (its digest: the limiter's storage
    never holds a usable token), or of its address when it carries none."""
    secret = _bearer()
    return "token:" + service.digest(secret)[:32] if secret else "address:" + get_remote_address()


limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT_PER_TOKEN"], scope="api-token",
                     key_func=_token_key)(bp)
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT_PER_ADDRESS"], scope="api-address",
                     key_func=get_remote_address)(bp)


# --- problems ----------------------------------------------------------------------------

def problem(status: int, code: str, detail=None, *, errors: Optional[dict] = None,
            headers: Optional[dict] = None, **extra) -> Response:
    """RFC 9457 problem details; ``code`` is the app's stable code (``DomainError.code``,
    ``validation_failed``, ``http_404`` …) and ``errors`` the messages per field."""
    body: dict[str, Any] = {
        "type": f"{PREFIX}/docs#problem-{code}",
        "title": str(web.ERROR_TITLES.get(status, web.ERROR_TITLES[500])),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(flask_json.dumps(body), status=status, mimetype=PROBLEM)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _is_api() -> bool:
    return request.path.startswith(PREFIX + "/")


def render_problem(status: int, message=None, code: Optional[str] = None):
    """The app's error pages, answered as problems under ``/api/``."""
    return problem(status, code or f"http_{status}", message)


def _field_errors(messages: dict) -> dict:
    """webargs' messages per location, as messages per field."""
    errors: dict[str, list] = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for name, texts in fields.items():
                errors[str(name)] = texts if isinstance(texts, (list, dict)) else [str(texts)]
        else:
            errors[location] = fields
    return errors


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    db.session.rollback()
    if not _is_api():
        return web.render_error(error.status, error.message, error.code)
    field = error.details.get("field")
    return problem(error.status, error.code, error.message, errors={field: [error.message]} if field else None)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if not _is_api():
        return web.render_error(error.code or 500, None, f"http_{error.code}")
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return problem(422, "validation_failed", _l("Some of what was sent is not valid."),
                       errors=_field_errors(data["messages"]))
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="consult"' + (
            ', error="invalid_token"' if _bearer() else "")
    if status == 429:
        headers["Retry-After"] = "60"
        return problem(429, "rate_limited", _l("Too many requests. Please wait a minute."), headers=headers)
    return problem(status, data.get("code", f"http_{status}"), data.get("detail") or error.description
                   if status not in (404, 403, 405) else None, headers=headers)


# --- the token -----------------------------------------------------------------------------

def _bearer() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def token():
    return g.api_token


def viewer():
    return g.api_token.user


def _view():
    return current_app.view_functions.get(request.endpoint)


@bp.before_request
def authenticate():
    """Every API route but the documents and the token endpoint needs a live bearer token;
    the token's person is the viewer, as a signed-in person is for the pages (so that
    ``web.load`` and the permissions read them), and the session is never touched."""
    if not _is_api():
        return None
    view = _view()
    if getattr(view, "api_public", False):
        return None
    secret = _bearer()
    if secret is None:
        return problem(401, "unauthenticated", _l("Send a token: Authorization: Bearer <token>."),
                       headers={"WWW-Authenticate": 'Bearer realm="consult"'})
    found = service.authenticate(secret)
    if found is not None and service.use_to_note(found, request.remote_addr):
        with unit_of_work():
            service.note_use(found, request.remote_addr)
    if found is None:
        return problem(401, "invalid_token", _l("This token is unknown, expired or revoked."),
                       headers={"WWW-Authenticate": 'Bearer realm="consult", error="invalid_token"'})
    g.api_token = found
    g._login_user = found.user
    scope = getattr(view, "api_scope", "read")
    if scope not in service.scopes_of(found):
        return problem(403, "insufficient_scope", _l("This token may not do this."), required_scope=scope)
    return _replay()


def public(view):
    view.api_public = True
    csrf.exempt(view)
    return view


def needs(scope: str):
    """The scope a route needs (``read`` for every read)."""
    def mark(view):
        view.api_scope = scope
        csrf.exempt(view)
        return view
    return mark


def load(model, record_id, may: Callable, *, refuse: int = 404, place_of: Callable = lambda record: record.place):
    """The record, as the pages load it (``web.load``: 404, or ``refuse`` when the viewer may
    not), and 404 when it lies outside the places an app client reaches."""
    record = web.load(model, record_id, may, refuse=refuse)
    if not service.reaches(g.api_token, place_of(record)):
        abort(404)
    return record


def readable_place(place_id: int):
    from ..places.models import Place

    return load(Place, place_id, permissions.can_view_place, place_of=lambda place: place)


# --- writes: one transaction, audited, idempotent ------------------------------------------

def _request_hash() -> str:
    return hashlib.sha256(b"\n".join((request.method.encode(), request.path.encode(),
                                      request.get_data() or b""))).hexdigest()


def _idempotency_key() -> Optional[str]:
    key = request.headers.get("Idempotency-Key")
    return key.strip()[:100] if key and key.strip() else None


def _replay():
    """A POST whose key this token has used: the kept answer again, or 422 when the key
    came with another request, or 409 while the first is still under way."""
    key = _idempotency_key()
    if request.method != "POST" or key is None:
        return None
    kept = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.token_id == g.api_token.id,
                                                             IdempotentRequest.key == key))
    if kept is None:
        return None
    if kept.request_hash != _request_hash():
        return problem(422, "idempotency_key_reused",
                       _l("This Idempotency-Key was used with another request."))
    if not kept.status:
        return problem(409, "idempotency_in_progress", _l("The request with this key is still being handled."))
    response = current_app.response_class(kept.body, status=kept.status, mimetype=kept.headers.get(
        "Content-Type", "application/json"))
    if "Location" in kept.headers:
        response.headers["Location"] = kept.headers["Location"]
    response.headers["Idempotent-Replayed"] = "true"
    return response


def act(action: str, subject, operation: Callable, *args, place=None, **kwargs):
    """Run one service call as one transaction, the way pages do (``web.perform``), with
    an audit entry naming the client, and the request's ``Idempotency-Key`` kept with it:
    the key is taken in the same transaction, so that the action is done once however
    often it is sent. A domain error rolls everything back and becomes a problem."""
    key = _idempotency_key()
    current = g.api_token
    try:
        with unit_of_work():
            value = operation(*args, **kwargs)
            target = subject if subject is not None else value
            place = place if place is not None else getattr(target, "place", None)
            audit.record(f"api.{action}", target, actor=current.user, place=place, token=current.id,
                         client=current.client.client_id if current.client else None)
            if key is not None:
                # Answers are kept a day: a retry comes within minutes, not days.
                db.session.execute(delete(IdempotentRequest).where(
                    IdempotentRequest.token_id == current.id,
                    IdempotentRequest.created_at < utcnow() - KEEP_ANSWERS))
                db.session.add(IdempotentRequest(token_id=current.id, key=key, request_hash=_request_hash(),
                                                 status=0, body=""))
                g.api_idempotent_key = key
    except IntegrityError:
        db.session.rollback()
        replay = _replay()
        if replay is not None:
            return replay
        raise
    return value


def replayed(value) -> bool:
    """Whether ``act`` answered with the kept answer of an earlier request (a concurrent
    retry with the same key) instead of doing the action."""
    return isinstance(value, Response)


@bp.after_request
def keep_answer(response: Response):
    """The answer to an idempotent POST, kept for its key once the action committed."""
    key = g.pop("api_idempotent_key", None)
    if key is not None and response.status_code < 500:
        kept = {"Content-Type": response.mimetype}
        if response.headers.get("Location"):
            kept["Location"] = response.headers["Location"]
        with unit_of_work():
            db.session.execute(update(IdempotentRequest).where(
                IdempotentRequest.token_id == g.api_token.id, IdempotentRequest.key == key
            ).values(status=response.status_code, body=response.get_data(as_text=True), headers=kept))
    return response


# --- reads: ETag and If-None-Match -------------------------------------------------------------

@bp.after_request
def conditional(response: Response):
    """Every successful read carries a strong ETag of its body; a client that sends it back
    in ``If-None-Match`` gets 304 with no body. Answers differ per token: private."""
    if not _is_api():
        return response
    response.headers["Vary"] = "Authorization"
    if request.method in ("GET", "HEAD") and response.status_code == 200 and not getattr(_view(), "api_public", False):
        response.headers["Cache-Control"] = "private, no-cache"
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:40])
        response.make_conditional(request)
    return response


# --- cursor pagination ------------------------------------------------------------------------

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        assert isinstance(payload, dict) and isinstance(payload.get("k"), list)
        return payload
    except Exception:
        raise InvalidInput(_l("This cursor is not valid; start again without it."), field="cursor")


def _value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _typed(column, value):
    try:
        if column.type.python_type is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
    except NotImplementedError:
        pass
    return value


def paginate(query, order: list, *, cursor: Optional[str], limit: int, filters: dict,
             keep: Callable = lambda row: True) -> tuple[list, Optional[str]]:
    """One page of ``query`` in a stable order (``order``: (column, descending) pairs ending
    with a unique column) after ``cursor``, and the cursor of the next page. The cursor is
    opaque: the sort values of the last row, bound to the filters it was made with.
    ``keep`` drops rows the viewer may not read (the page is then shorter)."""
    limit = max(1, min(int(limit or DEFAULT_LIMIT), MAX_LIMIT))
    signature = _signature(filters)
    if cursor:
        payload = _decode(cursor)
        if payload.get("f") != signature or len(payload["k"]) != len(order):
            raise InvalidInput(_l("This cursor belongs to another list; start again without it."), field="cursor")
        values = [_typed(column, v) for (column, _), v in zip(order, payload["k"])]
        alternatives = []
        for i, (column, descending) in enumerate(order):
            equal = [c == v for (c, _), v in zip(order[:i], values[:i])]
            alternatives.append(and_(*equal, column < values[i] if descending else column > values[i]))
        query = query.where(or_(*alternatives))
    query = query.order_by(*[c.desc() if d else c.asc() for c, d in order])
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _encode({"k": [_value(getattr(last, c.key)) for c, _ in order], "f": signature})
    return [r for r in rows if keep(r)], next_cursor


def offset_cursor(offset: int, filters: dict) -> str:
    """The cursor of a list that a service gives whole and in its own order (my ballots,
    search results): the position of the next item, bound to the filters."""
    return _encode({"k": [offset], "f": _signature(filters)})


def read_offset(cursor: Optional[str], filters: dict) -> int:
    if not cursor:
        return 0
    payload = _decode(cursor)
    if payload.get("f") != _signature(filters) or len(payload["k"]) != 1 or not isinstance(payload["k"][0], int):
        raise InvalidInput(_l("This cursor belongs to another list; start again without it."), field="cursor")
    return max(payload["k"][0], 0)


def _signature(filters: dict) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:16]


def page_of(items: list, next_cursor: Optional[str]) -> dict:
    return {"items": items, "next_cursor": next_cursor}


def _document_problems(spec) -> None:
    """Every operation may answer a problem; reads answer ETag and 304, POSTs take an
    Idempotency-Key."""
    if "Problem" not in spec.components.schemas:
        spec.components.schema("Problem", schema=ProblemSchema)
    problem_ref = {"description": "A problem (RFC 9457)",
                   "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, operations in spec._paths.items():
        if not path.startswith(PREFIX):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post"):
                continue
            responses = operation.setdefault("responses", {})
            responses["default"] = problem_ref
            for status in [code for code in responses if code[:1] == "4" and code[1:].isdigit()]:
                responses[status] = problem_ref
            for status in ("4XX", "5XX"):
                responses.setdefault(status, problem_ref)
            if method == "get" and "api" not in operation.get("tags", []) and operation.get("security"):
                responses.setdefault("304", {"description": "Not modified since the ETag sent in If-None-Match"})
                operation.setdefault("parameters", []).append(
                    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}})
            if method == "post" and operation.get("security"):
                operation.setdefault("parameters", []).append(
                    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "The same key with the same request gets the same answer, with another 422."})


# --- the application ---------------------------------------------------------------------

def init_app(state) -> None:
    """Called once the blueprint is registered on an app (``record_once``): the OpenAPI
    document from the blueprint's schemas, the limiter, the problems of routes that do not
    exist under ``/api/``."""
    app: Flask = state.app
    app.config.setdefault("API_RATE_LIMIT_PER_TOKEN", "600/minute")
    app.config.setdefault("API_RATE_LIMIT_PER_ADDRESS", "1200/minute")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("API_SPEC_OPTIONS", {})
    openapi.init_app(app)
    openapi.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    openapi.spec.components.security_scheme("client_credentials", {
        "type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": f"{PREFIX}/oauth/token", "scopes": {
            s: s for s in service.SCOPES}}}})
    app.extensions["flask-smorest"]["blp_name_to_api"][bp.name] = openapi
    bp.register_views_in_doc(openapi, app, openapi.spec, name=bp.name, parameters=None)
    _document_problems(openapi.spec)
    limiter.init_app(app)
    web.ERROR_RENDERERS[PREFIX + "/"] = render_problem
