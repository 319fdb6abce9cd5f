"""Serve Consult with Flask-SocketIO on gevent: ``python -m consult.serve``.

gevent keeps thousands of idle live-room connections in one process where threads would
not. HOST and PORT choose the address (127.0.0.1:5000 by default).
"""
from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402

from consult import create_app  # noqa: E402
from consult.extensions import socketio  # noqa: E402


def _settle_garbage_collector() -> None:
    """What is loaded at start (modules, the app, compiled queries) lives as long as the
    process: it is set aside (``gc.freeze``) so that a full collection does not walk it
    again, and the youngest generation is collected less often, so that a burst in a room
    of a thousand connections is not stopped for collections every few hundred objects."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 20, 100)


def main() -> None:
    app = create_app()
    from consult import schedule

    schedule.start(app)
    _settle_garbage_collector()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * Consult on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    socketio.run(app, host=host, port=port, log_output=app.config["LOG_FORMAT"] != "json")


if __name__ == "__main__":
    main()
