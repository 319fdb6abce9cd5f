"""Domain errors. Services raise them; every transport maps them the same way."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action. ``message`` is translated when the error
    is raised, in the request's language, and kept as plain text: it often quotes what a
    person typed (a name, a title), and a lazy string would pass for markup in a page
    (Flask-Babel's lazy strings declare ``__html__``), so that Jinja would not escape it.
    ``code`` is stable for the JSON API."""

    code = "domain_error"
    status = 400

    def __init__(self, message, **details):
        super().__init__(str(message))
        self.message = str(message)
        self.details = details


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
