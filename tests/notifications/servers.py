"""Local stand-ins for the providers, on 127.0.0.1: an SMTP server (aiosmtpd) that keeps
what it acknowledged, and can hold one message unanswered."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """handle_DATA of aiosmtpd: ``acknowledged`` holds (recipients, message) answered 250;
    with ``hold_at`` = n the n-th message is received and left unanswered until released;
    ``refuse`` maps a recipient to a permanent 550."""

    def __init__(self):
        self.acknowledged = []
        self.received = 0
        self.hold_at = None
        self.release = threading.Event()
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        if self.hold_at is not None and self.received == self.hold_at:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 too late"
        self.acknowledged.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for _rcpt, message in self.acknowledged]

    def wait_received(self, count: int, seconds: float = 20) -> bool:
        deadline = time.monotonic() + seconds
        while self.received < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received >= count


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = SmtpInbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.inbox.release.set()
        self.controller.stop()


# ---------------------------------------------------------------- SMS providers
#
# Each speaks its provider's documented HTTP API and checks the request's signature with
# an implementation written here from the documentation (not the SDK's), so a request the
# real service would refuse is refused here too. ``answers`` is a list of what to answer
# next ("ok", "throttle", "permanent", "temporary"); empty: "ok".

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import uuid  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from urllib.parse import parse_qsl, quote, urlsplit  # noqa: E402


class ProviderServer:
    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret
        self.answers: list[str] = []
        self.requests: list[dict] = []      # every request whose signature was right
        self.acknowledged: list[str] = []   # the dedupe keys answered with success
        self.bad_signatures = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # connections kept alive, as the providers do
            disable_nagle_algorithm = True  # headers and body written apart must not wait for an ACK

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = outer.handle(self, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):   # what the server has seen, for a benchmark in another process
                data = json.dumps({"requests": len(outer.requests), "acknowledged": len(outer.acknowledged),
                                   "unique_acknowledged": len(set(outer.acknowledged)),
                                   "bad_signatures": outer.bad_signatures}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.endpoint = f"127.0.0.1:{self.port}"

    def next_answer(self) -> str:
        return self.answers.pop(0) if self.answers else "ok"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _aliyun_encode(value: str) -> str:
    return quote(value, safe="~")


def aliyun_signature(method: str, params: dict, secret: str) -> str:
    """Alibaba Cloud's RPC signature (HMAC-SHA1, SignatureVersion 1.0)."""
    canonical = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{_aliyun_encode('/')}&{_aliyun_encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsServer(ProviderServer):
    """dysmsapi 2017-05-25 SendSms, RPC style."""

    def handle(self, request, body: bytes):
        params = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
        signature = params.pop("Signature", "")
        request_id = str(uuid.uuid4()).upper()
        if params.get("AccessKeyId") != self.key_id or params.get("SignatureMethod") != "HMAC-SHA1" \
                or not hmac.compare_digest(signature, aliyun_signature(request.command, params, self.secret)):
            self.bad_signatures += 1
            return 400, {"RequestId": request_id, "Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation."}
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": "?"}
        self.requests.append(params)
        answer = self.next_answer()
        if answer == "throttle":
            return 200, {"RequestId": request_id, "Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}
        if answer == "permanent":
            return 200, {"RequestId": request_id, "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if answer == "temporary":
            return 503, {"RequestId": request_id, "Code": "ServiceUnavailable", "Message": "try later"}
        self.acknowledged.append(params.get("OutId"))
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"9{len(self.requests):05d}^0"}


def tc3_signature(secret: str, date: str, service: str, string_to_sign: str) -> str:
    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret).encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsServer(ProviderServer):
    """SMS 2021-01-11 SendSms, signed with TC3-HMAC-SHA256."""

    def handle(self, request, body: bytes):
        request_id = str(uuid.uuid4())
        authorization = request.headers.get("Authorization", "")
        try:
            algorithm, rest = authorization.split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            key_id, date, service, _terminator = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
        except ValueError:
            return 200, self.error(request_id, "AuthFailure.InvalidAuthorization", "bad Authorization")
        # The documented canonical headers: names and values in lower case, trimmed.
        canonical_headers = "".join(f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in signed)
        canonical = "\n".join([request.command, urlsplit(request.path).path or "/", urlsplit(request.path).query,
                               canonical_headers, fields["SignedHeaders"], hashlib.sha256(body).hexdigest()])
        timestamp = request.headers.get("X-TC-Timestamp", "")
        string_to_sign = "\n".join([algorithm, timestamp, f"{date}/{service}/tc3_request",
                                    hashlib.sha256(canonical.encode()).hexdigest()])
        if key_id != self.key_id or service != "sms" or not hmac.compare_digest(
                fields["Signature"], tc3_signature(self.secret, date, service, string_to_sign)):
            self.bad_signatures += 1
            return 200, self.error(request_id, "AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if request.headers.get("X-TC-Action") != "SendSms" or request.headers.get("X-TC-Version") != "2021-01-11":
            return 200, self.error(request_id, "InvalidAction", "?")
        params = json.loads(body)
        self.requests.append(params)
        answer = self.next_answer()
        if answer == "throttle":
            return 200, self.error(request_id, "RequestLimitExceeded", "请求的次数超过了频率限制")
        if answer == "temporary":
            return 200, self.error(request_id, "InternalError.Timeout", "timeout")
        number = params["PhoneNumberSet"][0]
        if answer == "permanent":
            status = {"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": params.get("SessionContext", ""),
                      "Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "手机号格式错误", "IsoCode": "CN"}
        else:
            self.acknowledged.append(params.get("SessionContext"))
            status = {"SerialNo": f"2645:{len(self.requests):06d}", "PhoneNumber": number, "Fee": 1,
                      "SessionContext": params.get("SessionContext", ""), "Code": "Ok", "Message": "send success",
                      "IsoCode": "CN"}
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    @staticmethod
    def error(request_id: str, code: str, message: str) -> dict:
        return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


# ---------------------------------------------------------------- a browser's push service

class PushService(ProviderServer):
    """A push service (RFC 8030) with VAPID (RFC 8292): checks the ES256 signature of the
    JWT in the Authorization header against the key it names, the audience and expiry,
    and decrypts the aes128gcm payload (RFC 8291) with the browser's private key.
    ``answers`` may be "ok", "gone" (410), "busy" (429), "temporary" (503)."""

    def __init__(self):
        super().__init__("", "")
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.browser_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = b"0123456789abcdef"
        raw = self.browser_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.p256dh = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        self.auth = base64.urlsafe_b64encode(self.auth_secret).rstrip(b"=").decode()
        self.payloads: list[dict] = []
        self.server_key = None   # the applicationServerKey the browser subscribed with

    def subscription(self, name: str = "browser1") -> dict:
        return {"endpoint": f"http://{self.endpoint}/push/{name}", "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def handle(self, request, body: bytes):
        import time as _time

        import http_ece
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        def b64(text: str) -> bytes:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

        try:
            scheme, rest = request.headers.get("Authorization", "").split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            header, claims, signature = fields["t"].split(".")
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64(fields["k"]))
            raw = b64(signature)
            public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                          f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
            claims = json.loads(b64(claims))
            assert scheme == "vapid" and json.loads(b64(header))["alg"] == "ES256"
            assert self.server_key is None or fields["k"] == self.server_key
            assert claims["aud"] == f"http://{self.endpoint}" and claims["exp"] > _time.time()
            assert claims["sub"].startswith("mailto:")
            assert request.headers.get("Content-Encoding") == "aes128gcm" and int(request.headers["TTL"]) > 0
        except (ValueError, KeyError, AssertionError, InvalidSignature):
            self.bad_signatures += 1
            return 401, {"error": "bad VAPID"}
        answer = self.next_answer()
        if answer == "gone":
            return 410, {"error": "subscription expired"}
        if answer == "busy":
            return 429, {"error": "too many"}
        if answer == "temporary":
            return 503, {"error": "try later"}
        payload = json.loads(http_ece.decrypt(body, private_key=self.browser_key, auth_secret=self.auth_secret,
                                              version="aes128gcm"))
        self.payloads.append(payload)
        self.acknowledged.append(payload.get("tag"))
        return 201, {}


# ---------------------------------------------------------------- WeChat official account

class WeChatServer:
    """The official account's API as documented: ``POST /cgi-bin/stable_token`` (appid and
    secret checked), ``POST /cgi-bin/message/template/send?access_token=`` and
    ``GET /sns/oauth2/access_token`` (a code given out by ``authorize``). ``answers`` for
    the next sends: "ok", "invalid_token" (40001), "expired" (42001), "rate" (45009),
    "unfollowed" (43004), "busy" (-1). ``revoke()`` ends the current token."""

    def __init__(self, app_id: str = "wx0123456789abcdef", secret: str = "wechat-secret"):
        self.app_id, self.secret = app_id, secret
        self.answers: list[str] = []
        self.tokens_issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.codes: dict[str, str] = {}       # OAuth code → openid
        self.sent: list[dict] = []            # template messages accepted
        self.requests = 0
        self.seen_client_ids: set[tuple] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self, data: dict, status: int = 200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    self._answer(outer.post(urlsplit(self.path), json.loads(body or b"{}")))

            def do_GET(self):
                with outer.lock:
                    self._answer(outer.get(urlsplit(self.path)))

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def configure(self, app, **more):
        app.config.update(WECHAT_APP_ID=self.app_id, WECHAT_APP_SECRET=self.secret, WECHAT_API_BASE=self.base,
                          WECHAT_OAUTH_BASE=self.base, **more)

    def authorize(self, openid: str) -> str:
        """What WeChat does when a person agrees: a code for their openid."""
        code = uuid.uuid4().hex
        self.codes[code] = openid
        return code

    def revoke(self) -> None:
        self.valid_tokens.clear()

    def post(self, url, data: dict) -> dict:
        query = dict(parse_qsl(url.query))
        if url.path == "/cgi-bin/stable_token":
            if data.get("grant_type") != "client_credential" or data.get("appid") != self.app_id:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if data.get("secret") != self.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            if not self.valid_tokens or data.get("force_refresh"):
                token = "TOKEN-" + uuid.uuid4().hex
                self.tokens_issued.append(token)
                self.valid_tokens = {token}
            return {"access_token": next(iter(self.valid_tokens)), "expires_in": 7200}
        if url.path == "/cgi-bin/message/template/send":
            self.requests += 1
            if query.get("access_token") not in self.valid_tokens:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            answer = self.answers.pop(0) if self.answers else "ok"
            if answer == "invalid_token":
                self.revoke()
                return {"errcode": 40001, "errmsg": "invalid credential"}
            if answer == "expired":
                self.revoke()
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if answer == "rate":
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            if answer == "busy":
                return {"errcode": -1, "errmsg": "system error"}
            if answer == "unfollowed":
                return {"errcode": 43004, "errmsg": "require subscribe"}
            for name in ("touser", "template_id", "data"):
                if not data.get(name):
                    return {"errcode": 47001, "errmsg": f"data format error: {name}"}
            if not data["touser"].startswith("o"):
                return {"errcode": 40003, "errmsg": "invalid openid"}
            key = (data["touser"], data.get("client_msg_id"))
            if data.get("client_msg_id") and key in self.seen_client_ids:
                return {"errcode": 0, "errmsg": "ok", "msgid": 0}   # WeChat sends it once
            self.seen_client_ids.add(key)
            self.sent.append(data)
            return {"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(self.sent)}
        return {"errcode": 40066, "errmsg": "invalid url"}

    def get(self, url) -> dict:
        query = dict(parse_qsl(url.query))
        if url.path == "/sns/oauth2/access_token":
            if query.get("appid") != self.app_id or query.get("secret") != self.secret \
                    or query.get("grant_type") != "authorization_code":
                return {"errcode": 40013, "errmsg": "invalid appid"}
            openid = self.codes.pop(query.get("code", ""), None)
            if openid is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            return {"access_token": "WEB-" + uuid.uuid4().hex, "expires_in": 7200, "refresh_token": "R",
                    "openid": openid, "scope": "snsapi_base"}
        return {"errcode": 40066, "errmsg": "invalid url"}

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
