"""A receiver on 127.0.0.1 that checks each delivery's signature and answers what it is told."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consult.webhooks import service


class Receiver:
    def __init__(self):
        self.secret = None
        self.answers: list[int] = []     # status codes to answer, in order; then 200
        self.received: list[dict] = []   # {"kind", "body", "valid"}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                valid = service.verify(receiver.secret, self.headers.get(service.SIGNATURE_HEADER, ""), body)
                receiver.received.append({"kind": self.headers.get("Consult-Event"), "body": json.loads(body),
                                          "valid": valid})
                status = 401 if not valid else (receiver.answers.pop(0) if receiver.answers else 200)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()
