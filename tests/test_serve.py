"""How ``python -m consult.serve`` handles a connection: its responses leave at once
(TCP_NODELAY), and a kept-alive connection whose next request is already waiting lets the
other connections' requests go first. Run in a process of its own: importing
consult.serve patches the standard library for gevent."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json, socket, sys
    from consult.serve import Handler
    import gevent
    from gevent import pywsgi

    served, nodelay = [], []

    class Probe(Handler if sys.argv[1] == "consult" else pywsgi.WSGIHandler):
        def handle_one_request(self):
            nodelay.append(self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            return super().handle_one_request()

    def app(environ, start_response):
        served.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, handler_class=Probe, log=None)
    server.start()
    port = server.server_port
    # Each connection has two requests waiting before any is served.
    a = socket.create_connection(("127.0.0.1", port))
    b = socket.create_connection(("127.0.0.1", port))
    request = "GET /{} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
    a.sendall((request.format("a1") + request.format("a2")).encode())
    b.sendall((request.format("b1") + request.format("b2")).encode())
    gevent.sleep(0.5)
    server.stop()
    print(json.dumps({"served": served, "nodelay": sorted(set(nodelay))}))
""")


def run(handler: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, handler], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def connections(served: list[str]) -> list[str]:
    return [path[1] for path in served]


def test_the_plain_handler_would_serve_both_requests_of_one_connection_first():
    """The situation the handler is for: without it, one connection's second request is
    served before the other connection's first."""
    plain = run("plain")
    assert sorted(plain["served"]) == ["/a1", "/a2", "/b1", "/b2"]
    assert connections(plain["served"]) in (list("aabb"), list("bbaa"))
    assert plain["nodelay"] == [0]


def test_connections_take_turns_and_send_at_once():
    served = run("consult")
    assert sorted(served["served"]) == ["/a1", "/a2", "/b1", "/b2"]
    assert connections(served["served"]) in (list("abab"), list("baba"))
    assert served["nodelay"] == [1]
