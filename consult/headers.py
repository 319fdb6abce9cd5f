"""Security headers on every response: a Content-Security-Policy that the pages and the
live room work under (scripts only from this site; the one inline style block, the
chart's, carries the request's nonce), no framing, no MIME sniffing, a referrer only
to this site, and HSTS when served over HTTPS."""
from __future__ import annotations

import re
import secrets

from flask import Flask, g, request
from markupsafe import Markup


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_nonce(markup) -> Markup:
    """Inline ``<style>`` blocks of server-made SVG, allowed by this request's nonce."""
    if not markup:
        return markup
    return Markup(re.sub(r"<style\b", f'<style nonce="{csp_nonce()}"', str(markup)))


def policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",       # the live room's WebSocket to the same host
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce

    @app.after_request
    def secure(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
