"""Serve Consult with Flask-SocketIO on gevent: ``python -m consult.serve``.

gevent keeps thousands of idle live-room connections in one process where threads would
not. HOST and PORT choose the address (127.0.0.1:5000 by default).
"""
from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import gevent  # noqa: E402
from gevent import pywsgi  # noqa: E402

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


# How long a connection that was just answered waits before reading its next request: one
# turn of the event loop with a timer, in which every connection with a request waiting
# is served first (a shorter timer may fire before they are looked at).
TURN_SECONDS = 0.001


class Handler(pywsgi.WSGIHandler):
    """A connection that sends at once and takes its turn.

    gevent writes a response's headers and its body in two sends: with Nagle's algorithm
    on, the body of every response after the first on a kept-alive connection waits for the
    browser's delayed acknowledgement (40 ms); TCP_NODELAY sends it at once. And a busy
    process would serve the next request of a kept-alive connection straight away, as it is
    already there, while the requests of the other connections wait: after each response the
    connection waits for the next turn of the event loop, so that they are served in turn."""

    def handle(self):
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not TCP (a Unix socket): nothing to wait for
            pass
        return super().handle()

    def handle_one_request(self):
        result = super().handle_one_request()
        if result is True:  # answered, and the connection is kept open
            gevent.sleep(TURN_SECONDS)
        return result


def main() -> None:
    app = create_app()
    from consult import schedule

    schedule.start(app)
    _settle_garbage_collector()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * Consult on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    socketio.run(app, host=host, port=port, log_output=app.config["LOG_FORMAT"] != "json",
                 handler_class=Handler)


if __name__ == "__main__":
    main()
