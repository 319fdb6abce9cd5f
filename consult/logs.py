"""Structured logs: one JSON line per record on standard error, and one per request with
its method, path, status, duration and the signed-in user's id. Never the query string
or the body (a search or a form may hold a phone number or a password), never a vote."""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from flask import Flask, g, request

requests_log = logging.getLogger("consult.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def init_app(app: Flask) -> None:
    if app.config["LOG_FORMAT"] == "json" and not app.testing:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        for logger in (logging.getLogger("consult"), app.logger):
            logger.handlers[:] = [handler]
            logger.setLevel(logging.INFO)
            logger.propagate = False

    @app.before_request
    def started():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started_at = g.get("request_started")
        # The user this request already loaded, if any: logging must not query the
        # database (it may be the very thing that is down).
        user = getattr(g.get("_login_user"), "id", None)
        requests_log.info("request", extra={"fields": {
            "method": request.method, "path": request.path, "status": response.status_code,
            "ms": round((time.perf_counter() - started_at) * 1000, 1) if started_at else None,
            "user": user, "ip": request.remote_addr}})
        return response
