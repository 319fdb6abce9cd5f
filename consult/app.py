"""The application factory."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config

from . import messaging
from .extensions import babel, csrf, db, login_manager, migrate, socketio


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came in over HTTPS."""

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure

    def open_session(self, app, request):
        # An event of a live-room connection: Flask-SocketIO replaces the session opened here
        # with the connection's own copy, made at its first event, so the cookie is not read
        # (verified, decoded) again for every event.
        if "saved_session" in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def _secret_key(app: Flask) -> str:
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def create_app(config_class=Config) -> Flask:
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=str(root / "instance"),
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_object(config_class)
    app.config.from_pyfile("config.py", silent=True)
    if not app.config.get("SECRET_KEY"):
        if app.config.get("PRODUCTION"):
            raise RuntimeError("SECRET_KEY must be set in production")
        app.config["SECRET_KEY"] = _secret_key(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = SessionInterface()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import domains, i18n

    domains.load_socket_handlers()   # the live room's, before the server is made
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        # None: only pages of this site (the Host the browser asked for) may connect.
        cors_allowed_origins=app.config["SOCKETIO_ALLOWED_ORIGINS"],
        **messaging.client_manager(app.config),
    )

    domains.init_app(app)   # every domain's models, blueprint, subscriptions, search kinds, room, messages

    from . import cli, headers, logs, web

    web.init_app(app)
    headers.init_app(app)
    logs.init_app(app)
    cli.init_app(app)
    return app
