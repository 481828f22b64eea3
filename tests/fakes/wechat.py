"""A local stand-in for WeChat: its API server (token, customer-service, template and
subscription messages, the menu and the personalised menus, media upload) and its side of
the callback (signed posts, plain or safe mode).

It refuses what WeChat refuses, with WeChat's codes and texts: a wrong AppSecret (40125), an
invalid or expired access_token (40001, 42001 — `expire_tokens()` makes every token handed
out so far expire), a text of no content (44004) or over 2,048 bytes (45002), a message to a
person whose 48-hour customer-service window has closed (45015; `close_window`), a menu
with more than 3 first-level items or a name too long (40016, 40018), a personalised menu
with no or an unknown match rule (40055 / 65303), a media type an Official Account has no
such thing as ("file": 40004), a subscription message (订阅通知, `message/subscribe/bizsend`)
to nobody (40003), of a template the account has not added (40037), to a person who has not
accepted it (43101; `subscribe()`), or whose data do not fit its keys (47003: every key of
the template, a thing at most 20 characters, a character_string 32, a phrase 5 Chinese
characters, a time or date a date, no line breaks). The callback side is written from
WeChat's documents, not with wechatpy (so the SDK is checked, not copied): the signature is
SHA-1 of the sorted token, timestamp and nonce; safe mode is AES-256-CBC with the
EncodingAESKey, IV its first 16 bytes, PKCS#7 to 32 bytes, over 16 random bytes, the
message's length, the message and the AppID.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "beianTestToken2026"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
TEXT_LIMIT = 2048
ERRORS = {
    40001: "invalid credential, access_token is invalid or not latest",
    40004: "invalid media type",
    40016: "invalid button size",
    40018: "invalid button name size",
    40125: "invalid appsecret",
    42001: "access_token expired",
    44004: "empty content",
    45002: "content size out of limit",
    45015: "response out of time limit or subscription is canceled",
    40037: "invalid template_id",
    40003: "invalid openid",
    43101: "user refuse to accept the msg",
    47003: "argument invalid!",
    65303: "there is no selfmenu, please create selfmenu first",
    40055: "invalid matchrule",
}
# WeChat's limits on a subscription message's values by the key's type (the name less its
# number).
SUBSCRIBE_LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32,
                    "symbol": 5, "phrase": 5, "name": 10}  # fmt: skip
MENU_LANGUAGES = {"zh_CN", "zh_TW", "zh_HK", "en", "id", "ms", "es", "ko", "it", "ja", "pl",
                  "pt", "ru", "th", "vi", "ar", "hi", "he", "tr", "de", "fr"}  # fmt: skip


def _error(code: int) -> dict[str, Any]:
    return {"errcode": code, "errmsg": f"{ERRORS[code]} rid: 0000"}


@dataclass
class Sent:
    """A message WeChat accepted for a person."""

    openid: str
    kind: str  # "text", "template" or "subscription"
    text: str
    payload: dict[str, Any]


@dataclass
class FakeWeChat:
    """WeChat's API on 127.0.0.1 (its own loop in a thread) and its callback poster."""

    app_secret: str = APP_SECRET
    templates: set[str] = field(default_factory=lambda: {"TPL_REMINDER"})
    sent: list[Sent] = field(default_factory=list)
    refusals: list[tuple[str, int]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    conditional_menus: list[dict[str, Any]] = field(default_factory=list)  # set now
    # Subscription templates the account has added: id -> its keys (thing1, time2…).
    subscribe_templates: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"TPL_SUBSCRIBE": ("thing1", "thing2", "time3")}
    )
    subscribed: set[tuple[str, str]] = field(default_factory=set)  # (openid, template id)
    uploads: list[tuple[str, int]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)  # openids out of the 48-hour window
    # Customer-service messages to these openids are never answered (until taken out): a send
    # in flight when the bot is killed.
    hang: set[str] = field(default_factory=set)
    held: int = 0  # sends being held now
    # Called (in the server's thread) with each accepted message: the benchmark's wake-up.
    on_sent: Callable[[Sent], None] | None = None
    _tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    # --- the API server ---------------------------------------------------------------------

    def start(self) -> FakeWeChat:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/cgi-bin/token", self._token)
            app.router.add_post("/cgi-bin/message/custom/send", self._custom)
            app.router.add_post("/cgi-bin/message/template/send", self._template)
            app.router.add_post("/cgi-bin/menu/create", self._menu)
            app.router.add_get("/cgi-bin/menu/delete", self._menu_delete)
            app.router.add_post("/cgi-bin/menu/addconditional", self._menu_conditional)
            app.router.add_post("/cgi-bin/message/subscribe/bizsend", self._subscription)
            app.router.add_post("/cgi-bin/media/upload", self._upload)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def expire_tokens(self) -> None:
        """Make every access token handed out so far expire (42001 from now on)."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = False

    def _refuse(self, what: str, code: int) -> web.Response:
        self.refusals.append((what, code))
        return web.json_response(_error(code))

    def _checked_token(self, request: web.Request) -> int:
        token = request.query.get("access_token", "")
        with self._lock:
            valid = self._tokens.get(token)
        if valid is None:
            return 40001
        return 0 if valid else 42001

    async def _token(self, request: web.Request) -> web.Response:
        self.calls.append("token")
        query = request.query
        if query.get("grant_type") != "client_credential" or query.get("appid") != APP_ID:
            return self._refuse("token", 40125)
        if query.get("secret") != self.app_secret:
            return self._refuse("token", 40125)
        token = f"ACCESS_TOKEN_{next(self._counter)}_{os.urandom(4).hex()}"
        with self._lock:
            self._tokens[token] = True
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _custom(self, request: web.Request) -> web.Response:
        self.calls.append("custom")
        code = self._checked_token(request)
        if code:
            return self._refuse("custom", code)
        body = json.loads(await request.read())
        openid = body.get("touser", "")
        if openid in self.hang:
            self.held += 1
            try:
                while openid in self.hang:
                    await asyncio.sleep(0.05)
            finally:
                self.held -= 1
            return self._refuse("custom", 45015)  # released: as if the window had closed
        if body.get("msgtype") != "text":
            return self._refuse("custom", 40004)
        content = body.get("text", {}).get("content", "")
        if not content:
            return self._refuse("custom", 44004)
        if len(content.encode()) > TEXT_LIMIT:
            return self._refuse("custom", 45002)
        if openid in self.closed:
            return self._refuse("custom", 45015)
        sent = Sent(openid, "text", content, body)
        with self._lock:
            self.sent.append(sent)
        if self.on_sent is not None:
            self.on_sent(sent)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        self.calls.append("template")
        code = self._checked_token(request)
        if code:
            return self._refuse("template", code)
        body = json.loads(await request.read())
        if body.get("template_id") not in self.templates:
            return self._refuse("template", 40037)
        data = body.get("data", {})
        text = "\n".join(str(v.get("value", "")) for v in data.values() if isinstance(v, dict))
        with self._lock:
            self.sent.append(Sent(body.get("touser", ""), "template", text, body))
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._counter)})

    def subscribe(self, openid: str, template_id: str = "TPL_SUBSCRIBE") -> None:
        """The person accepts the subscription template (as in the account's web page)."""
        self.subscribed.add((openid, template_id))

    async def _subscription(self, request: web.Request) -> web.Response:
        self.calls.append("subscription")
        code = self._checked_token(request)
        if code:
            return self._refuse("subscription", code)
        body = json.loads(await request.read())
        openid, template_id = body.get("touser", ""), body.get("template_id", "")
        if not openid:
            return self._refuse("subscription", 40003)
        keys = self.subscribe_templates.get(template_id)
        if keys is None:
            return self._refuse("subscription", 40037)
        data = body.get("data")
        if not isinstance(data, dict) or set(data) != set(keys):
            return self._refuse("subscription", 47003)
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not _fits(key, value):
                return self._refuse("subscription", 47003)
        if (openid, template_id) not in self.subscribed:
            return self._refuse("subscription", 43101)
        text = "\n".join(str(data[key]["value"]) for key in keys)
        with self._lock:
            self.sent.append(Sent(openid, "subscription", text, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu_delete(self, request: web.Request) -> web.Response:
        self.calls.append("menu_delete")
        code = self._checked_token(request)
        if code:
            return self._refuse("menu_delete", code)
        self.conditional_menus.clear()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu_conditional(self, request: web.Request) -> web.Response:
        self.calls.append("menu_conditional")
        code = self._checked_token(request)
        if code:
            return self._refuse("menu_conditional", code)
        body = json.loads(await request.read())
        rule = body.get("matchrule")
        if not self.menus:
            return self._refuse("menu_conditional", 65303)
        if not isinstance(rule, dict) or not any(rule.values()):
            return self._refuse("menu_conditional", 40055)
        if "language" in rule and rule["language"] not in MENU_LANGUAGES:
            return self._refuse("menu_conditional", 40055)
        refused = self._menu_refusal(body.get("button", []))
        if refused:
            return self._refuse("menu_conditional", refused)
        self.conditional_menus.append(body)
        return web.json_response({"menuid": str(next(self._counter))})

    async def _menu(self, request: web.Request) -> web.Response:
        self.calls.append("menu")
        code = self._checked_token(request)
        if code:
            return self._refuse("menu", code)
        body = json.loads(await request.read())
        refused = self._menu_refusal(body.get("button", []))
        if refused:
            return self._refuse("menu", refused)
        self.menus.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def _menu_refusal(buttons: list[dict[str, Any]]) -> int:
        """WeChat's code for a menu it refuses (0: none)."""
        if not 1 <= len(buttons) <= 3:
            return 40016
        for button in buttons:
            if len(button.get("name", "").encode()) > 16:
                return 40018
            subs = button.get("sub_button", [])
            if len(subs) > 5:
                return 40016
            if any(len(s.get("name", "").encode()) > 60 for s in subs):
                return 40018
        return 0

    async def _upload(self, request: web.Request) -> web.Response:
        self.calls.append("upload")
        code = self._checked_token(request)
        if code:
            return self._refuse("upload", code)
        kind = request.query.get("type", "")
        body = await request.read()
        if kind not in ("image", "voice", "video", "thumb"):
            return self._refuse("upload", 40004)
        self.uploads.append((kind, len(body)))
        return web.json_response({"type": kind, "media_id": "MEDIA", "created_at": 0})

    # --- what WeChat sent a person -------------------------------------------------------------

    def texts_to(self, openid: str) -> list[str]:
        with self._lock:
            return [s.text for s in self.sent if s.openid == openid]

    def wait_for(self, openid: str, count: int, timeout: float = 60.0) -> list[str]:
        """Wait until `count` messages were sent to `openid`; return all of them."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.texts_to(openid)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{count} messages expected for {openid}, got {self.texts_to(openid)}")


def _fits(key: str, value: object) -> bool:
    """Whether a subscription message's value fits its key's type as WeChat checks it."""
    if not isinstance(value, str) or not value or "\n" in value:
        return False
    kind = re.sub(r"\d+$", "", key)
    if kind in ("time", "date"):
        return (
            re.fullmatch(r"\d{4}(年\d{1,2}月\d{1,2}日|-\d{2}-\d{2})( \d{1,2}:\d{2})?", value)
            is not None
        )
    if kind == "phrase" and not re.fullmatch(r"[\u4e00-\u9fff]+", value):
        return False
    return len(value) <= SUBSCRIBE_LIMITS.get(kind, 20)


# --- the callback side ------------------------------------------------------------------------


def text_xml(openid: str, text: str, msg_id: int, created: int | None = None) -> str:
    """A text message as WeChat posts it."""
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", created: int | None = None) -> str:
    """An event (subscribe, a menu CLICK) as WeChat posts it."""
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def other_xml(openid: str, kind: str, msg_id: int) -> str:
    """A voice, image or location message (something that is no typed answer)."""
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def signature(token: str, *parts: str) -> str:
    return hashlib.sha1("".join(sorted([token, *parts])).encode()).hexdigest()


def encrypt(xml: str, aes_key: str = AES_KEY, app_id: str = APP_ID) -> str:
    """Safe mode's Encrypt field for `xml`."""
    key = base64.b64decode(aes_key + "=")
    body = xml.encode()
    plain = os.urandom(16) + len(body).to_bytes(4, "big") + body + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@dataclass
class Poster:
    """Posts callbacks to the bot as WeChat does (plain or safe mode)."""

    url: str  # http://host:port/wechat
    token: str = TOKEN
    safe: bool = False
    aes_key: str = AES_KEY
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(24018326404390001))

    def next_id(self) -> int:
        return next(self._ids)

    def post(
        self,
        xml: str,
        *,
        token: str | None = None,
        body: bytes | None = None,
        at: float | None = None,
    ) -> tuple[int, str]:
        """Post one callback; return (status, body). `token`: sign with another token; `at`:
        the timestamp signed (default now)."""
        timestamp, nonce = str(int(at or time.time())), os.urandom(5).hex()
        query = {
            "signature": signature(token or self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "o",
        }
        data = xml.encode() if body is None else body
        if self.safe and body is None:
            encrypted = encrypt(xml, self.aes_key)
            query["encrypt_type"] = "aes"
            query["msg_signature"] = signature(token or self.token, timestamp, nonce, encrypted)
            data = (
                f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            ).encode()
        url = self.url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        request = urllib.request.Request(url, data=data, method="POST")
        request.add_header("Content-Type", "text/xml")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def say(self, openid: str, text: str, msg_id: int | None = None) -> tuple[int, str]:
        return self.post(text_xml(openid, text, msg_id or self.next_id()))
