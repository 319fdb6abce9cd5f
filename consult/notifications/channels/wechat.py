"""The WeChat official account (微信公众号): template messages to the people who linked
their WeChat (their openid for this account), and the web OAuth flow that links it.

A thin client over the documented HTTP API rather than an SDK: the maintained line of the
usual Python SDK has been in alpha for years and its stable line no longer changes, and
three calls are needed:

* ``POST cgi-bin/stable_token`` — the account's access_token, the same for every process
  that asks while it is valid (``cgi-bin/token`` would end the other processes' tokens);
  kept until five minutes before it expires and fetched again when an answer says it is
  invalid or expired (40001, 40014, 42001), once per send;
* ``POST cgi-bin/message/template/send`` — one template message, with ``client_msg_id``
  the delivery's dedupe key (WeChat sends one message per openid and id);
* ``GET sns/oauth2/access_token`` — the person's openid from the code that
  ``connect/oauth2/authorize`` gave back to the site.

WECHAT_API_BASE and WECHAT_OAUTH_BASE point it elsewhere (a test server on 127.0.0.1)."""
from __future__ import annotations

import threading
import time
from typing import Optional
from urllib.parse import urlencode

import requests

from . import PermanentError, TemporaryError

TOKEN_INVALID = {40001, 40014, 42001}
# "Not now": WeChat busy, the account's daily quota or rate reached.
TEMPORARY = {-1, 45009, 45011, 45047}
TITLE_LENGTH = 20

_tokens: dict[tuple, tuple[str, float]] = {}   # (API, appid) → (access_token, monotonic expiry)
_token_lock = threading.Lock()


def enabled(config) -> bool:
    return bool(config.get("WECHAT_APP_ID") and config.get("WECHAT_APP_SECRET"))


def template_for(config, kind: str) -> Optional[str]:
    return (config.get("WECHAT_TEMPLATES") or {}).get(kind)


def _short(text: str) -> str:
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH - 1] + "…"


class WeChatError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class WeChatClient:
    """One account's API, over one HTTP session (kept-alive connections)."""

    def __init__(self, config, session: Optional[requests.Session] = None):
        self.app_id = config["WECHAT_APP_ID"]
        self.secret = config["WECHAT_APP_SECRET"]
        self.base = config["WECHAT_API_BASE"].rstrip("/")
        self.key = (self.base, self.app_id)
        self.session = session or requests.Session()
        self.timeout = (5, 10)

    # ------------------------------------------------------------ access token

    def token(self, *, fresh: bool = False) -> str:
        with _token_lock:
            cached = _tokens.get(self.key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            answer = self._call("post", "/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": self.app_id, "secret": self.secret,
                "force_refresh": False})
            token, lifetime = answer["access_token"], int(answer.get("expires_in") or 7200)
            _tokens[self.key] = (token, time.monotonic() + max(60, lifetime - 300))
            return token

    def forget_token(self, token: str) -> None:
        with _token_lock:
            if _tokens.get(self.key, ("",))[0] == token:
                del _tokens[self.key]

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise TemporaryError(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise TemporaryError(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise TemporaryError(f"HTTP {response.status_code}: not JSON") from error
        code = int(answer.get("errcode") or 0)
        if code:
            raise WeChatError(code, str(answer.get("errmsg") or ""))
        return answer

    def with_token(self, method: str, path: str, **kwargs) -> dict:
        """A call with the access token; an invalid or expired one is fetched anew and the
        call made once more."""
        for attempt in (1, 2):
            token = self.token(fresh=attempt == 2)
            try:
                return self._call(method, f"{path}?access_token={token}", **kwargs)
            except WeChatError as error:
                if error.code in TOKEN_INVALID and attempt == 1:
                    self.forget_token(token)
                    continue
                raise
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ the person's openid

    def openid(self, code: str) -> str:
        """The openid of whoever authorised the site (``code`` from the OAuth redirect)."""
        answer = self._call("get", "/sns/oauth2/access_token?" + urlencode({
            "appid": self.app_id, "secret": self.secret, "code": code, "grant_type": "authorization_code"}))
        return str(answer["openid"])


def authorize_url(config, redirect_uri: str, state: str) -> str:
    """Where WeChat asks the person to let the site know their openid (snsapi_base: no
    question is shown for an account they follow)."""
    query = urlencode({"appid": config["WECHAT_APP_ID"], "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state})
    return f"{config['WECHAT_OAUTH_BASE'].rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"


class WeChatChannel:
    name = "wechat"

    def __init__(self, config):
        self.config = config
        self.client = WeChatClient(config)
        fields = config.get("WECHAT_TEMPLATE_FIELDS") or {"thing1": "title", "thing2": "text"}
        self.fields = fields

    def data(self, message) -> dict:
        values = {"title": _short(next((str(message.params[key]) for key in ("title", "question")
                                        if message.params.get(key)), message.text)),
                  "text": _short(message.text), "link": message.link}
        return {key: {"value": values.get(what, what)} for key, what in self.fields.items()}

    def send(self, message) -> str:
        template = template_for(self.config, message.kind)
        if not template:
            raise PermanentError(f"no WeChat template for {message.kind}")
        body = {"touser": message.address, "template_id": template, "url": message.link,
                "data": self.data(message), "client_msg_id": message.dedupe_key}
        try:
            answer = self.client.with_token("post", "/cgi-bin/message/template/send", json=body)
        except WeChatError as error:
            if error.code in TEMPORARY or error.code in TOKEN_INVALID:
                raise TemporaryError(str(error)) from error
            raise PermanentError(str(error)) from error   # 43004 unfollowed, 40003 bad openid, 40037 template
        return str(answer.get("msgid") or "")
