"""The application factory."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config

from . import messaging
from .extensions import babel, cache, csrf, db, login_manager, migrate, socketio
from .meetings import live  # noqa: F401  (the room's handlers, registered with every app's server)


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came in over HTTPS."""

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure


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
    cache.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        # None: only pages of this site (the Host the browser asked for) may connect.
        cors_allowed_origins=app.config["SOCKETIO_ALLOWED_ORIGINS"],
        **messaging.client_manager(app.config),
    )

    from . import models  # noqa: F401  (every mapped class, for migrations and FK checks)
    from .accounts.views import bp as accounts_bp
    from .audit.views import bp as audit_bp
    from .main.views import bp as main_bp
    from .places.views import bp as places_bp
    from .notifications.views import bp as notifications_bp
    from .proposals.views import bp as proposals_bp
    from .voting.views import bp as voting_bp
    from .meetings.views import bp as meetings_bp
    from .motions.views import bp as motions_bp
    from .search.views import bp as search_bp  # also installs the search index upkeep
    from .minutes import searching  # noqa: F401  (signed minutes in the search)
    from .minutes.views import bp as minutes_bp
    from .visits.views import bp as visits_bp
    from .surveys.views import bp as surveys_bp
    from .wishes.views import bp as wishes_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(places_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(motions_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(minutes_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(wishes_bp)

    from . import cli, headers, logs, web

    web.init_app(app)
    headers.init_app(app)
    logs.init_app(app)
    cli.init_app(app)
    return app
