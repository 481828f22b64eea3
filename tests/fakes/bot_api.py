"""A local server that speaks the Telegram Bot API, for driving the real bot over HTTP.

It answers the methods beian uses, queues updates for getUpdates (long polling), posts them to
a webhook once one is set, records every call (with uploaded files), and injects faults: 429
with retry_after, 500, or a slow answer. It runs its own event loop in a thread, so synchronous
tests can drive a bot running in a subprocess.

It refuses what Telegram refuses, with Telegram's own descriptions (`limit_refusal`): a text
of 1–4,096 characters, a caption of at most 1,024, an answerCallbackQuery text of at most 200
(characters counted as Telegram counts them: UTF-16 code units, the ends trimmed), buttons
with a text and 1–64 bytes of callback data, an edit of a message that exists and that
changes something. Refused calls are kept in `refusals`; the tests' autouse check fails a test
that got one it did not expect (`expect_refusals`; "message is not modified" is expected).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "备案助手",
    "username": "beian_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_STRING_PARAMS = {
    "text",
    "caption",
    "callback_query_id",
    "url",
    "secret_token",
    "action",
    "language_code",
    "parse_mode",
}
TEXT_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = 1024  # MessageLimit.CAPTION_LENGTH
ANSWER_LIMIT = 200  # CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
CALLBACK_DATA_LIMIT = 64  # bytes: InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
# Telegram's descriptions of what it refuses (the Bot API server lower-cases TDLib's first
# letter and puts "Bad Request: " before it).
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_BLANK = "Bad Request: message must be non-empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_TEXT_INVALID = "Bad Request: BUTTON_TEXT_INVALID"
TEXT_BUTTON = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
    "inline keyboard"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_TOO_BIG = "Bad Request: file is too big"
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile: bots download files of up to 20 MB


class ApiError(Exception):
    """A method's refusal, as Telegram words it (400 unless said otherwise)."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


def telegram_length(text: str) -> int:
    """Count a text as Telegram does: UTF-16 code units (𠮷 and emoji count 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _text_refusal(text: Any, limit: int, too_long: str, *, required: bool) -> str | None:
    if text is None or text == "":
        return TEXT_EMPTY if required else None
    trimmed = str(text).strip()  # Telegram trims white space at both ends, then counts
    if required and not trimmed:
        return TEXT_BLANK
    return too_long if telegram_length(trimmed) > limit else None


def _markup_refusal(markup: Any) -> str | None:
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text") or "").strip():
                return BUTTON_TEXT_INVALID
            if button.get("url"):
                continue
            data = button.get("callback_data")
            if not data:  # "" is no callback data at all for Telegram
                return TEXT_BUTTON
            if len(str(data).encode()) > CALLBACK_DATA_LIMIT:
                return BUTTON_DATA_INVALID
    return None


def call_refusal(method: str, p: dict[str, Any]) -> str | None:
    """Return why Telegram refuses this call whatever the chat holds (its texts, its
    buttons), or None."""
    if method in ("sendMessage", "editMessageText"):
        found = _text_refusal(p.get("text"), TEXT_LIMIT, TEXT_TOO_LONG, required=True)
    elif method == "sendDocument":
        found = _text_refusal(p.get("caption"), CAPTION_LIMIT, CAPTION_TOO_LONG, required=False)
    elif method == "answerCallbackQuery":
        found = _text_refusal(p.get("text"), ANSWER_LIMIT, ANSWER_TOO_LONG, required=False)
    else:
        found = None
    return found or _markup_refusal(p.get("reply_markup"))


def _same_markup(a: Any, b: Any) -> bool:
    return (a or None) == (b or None) or (
        not (a or {}).get("inline_keyboard") and not (b or {}).get("inline_keyboard")
    )


@dataclass(frozen=True)
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = 0.0
    status: int = 200


# Methods that write to a chat: a blocked chat refuses them (`FakeBotAPI.block`).
_TO_A_CHAT = {"sendMessage", "sendDocument", "sendChatAction", "editMessageText",
              "editMessageReplyMarkup"}  # fmt: skip


def _chat_of(params: dict[str, Any]) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class Fault:
    """An injected failure for the next calls of a method."""

    status: int  # 429, 500, or 200 with a delay
    times: int = 1
    retry_after: int = 1
    delay: float = 0.0
    chat_id: int | None = None  # only the calls to this chat (None: any)
    hang: bool = False  # never answered, never delivered (the sender dies waiting)


class FakeBotAPI:
    """The fake server; `start()` it, point the bot at `base_url`, drive it, `stop()` it."""

    started: ClassVar[list[FakeBotAPI]] = []  # every server started (the autouse check reads them)

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.refusals: list[tuple[Call, str]] = []  # calls refused for a limit, and why
        # Descriptions a test provokes on purpose. "Not modified" is one a bot must take as
        # done (a double press, a press racing the removal of its buttons), so it passes.
        self.expected_refusals: set[str] = {NOT_MODIFIED}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_responses: list[int] = []
        self.arrivals: list[str] = []  # every request's method, recorded as it arrives
        # The highest update id a getUpdates offset has confirmed: Telegram forgets those.
        self.acknowledged = 0
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._faults: dict[str, list[Fault]] = {}
        self._blocked: dict[int, str] = {}  # chat id → Telegram's 403 description
        # Files people sent (file_id → bytes), served by getFile and /file/bot<token>/<path>;
        # `downloads` counts each file_path fetched.
        self.files: dict[str, bytes] = {}
        self._file_paths: dict[str, str] = {}
        self.downloads: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._arrived: asyncio.Condition | None = None
        self._unhang: asyncio.Event | None = None
        self._hook_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._hook_task: asyncio.Future[None] | None = None
        self.hung: list[tuple[str, dict[str, Any]]] = []  # calls held unanswered (`hang`)
        self.port = 0

    # --- life ----------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        FakeBotAPI.started.append(self)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self._arrived = asyncio.Condition()
        self._unhang = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._unhang is not None:
            self._loop.call_soon_threadsafe(self._unhang.set)
        if self._hook_task is not None:
            self._loop.call_soon_threadsafe(self._hook_task.cancel)
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()  # its selector and sockets (ResourceWarning otherwise)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- the Bot API ---------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read())
                    else:
                        params[key] = value
        for key, value in list(params.items()):
            if isinstance(value, str) and key not in _STRING_PARAMS:
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await self._params(request)
        with self._lock:
            self.arrivals.append(method)
        fault = self._take_fault(method, params.get("chat_id"))
        if fault is not None and fault.hang:  # the request never reaches Telegram
            with self._lock:
                self.hung.append((method, params))
            assert self._unhang is not None
            await self._unhang.wait()
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status == 429:
            self._record(Call(method, params, files, time.monotonic(), 429))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                },
                status=429,
            )
        if fault is not None and fault.status >= 400:
            self._record(Call(method, params, files, time.monotonic(), fault.status))
            described = {400: "Bad Request: chat not found", 403: "Forbidden: bot was blocked"}
            description = described.get(fault.status, "Internal Server Error")
            return web.json_response(
                {"ok": False, "error_code": fault.status, "description": description},
                status=fault.status,
            )
        refused = self._blocked.get(_chat_of(params)) if method in _TO_A_CHAT else None
        if refused is not None:
            self._record(Call(method, params, files, time.monotonic(), 403))
            return web.json_response(
                {"ok": False, "error_code": 403, "description": refused}, status=403
            )
        refusal = self.limit_refusal(method, params)
        if refusal is not None:
            call = Call(method, params, files, time.monotonic(), 400)
            self._record(call)
            with self._lock:
                self.refusals.append((call, refusal))
            return web.json_response(
                {"ok": False, "error_code": 400, "description": refusal}, status=400
            )
        if method != "getUpdates":
            self._record(Call(method, params, files, time.monotonic()))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        try:
            result = await handler(params, files)
        except ApiError as exc:
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description},
                status=exc.code,
            )
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes at the path getFile gave (Telegram answers 404 to anything else)."""
        path = request.match_info["path"]
        file_id = next((f for f, p in self._file_paths.items() if p == path), None)
        if request.match_info["token"] != self.token or file_id is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        with self._lock:
            self.downloads.append(path)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _m_getFile(self, p: dict[str, Any], _f: object) -> dict[str, Any]:
        file_id = str(p.get("file_id") or "")
        if file_id not in self.files:
            raise ApiError(INVALID_FILE_ID)
        data = self.files[file_id]
        if len(data) > DOWNLOAD_LIMIT:
            raise ApiError(FILE_TOO_BIG)
        path = self._file_paths.setdefault(file_id, f"photos/file_{len(self._file_paths)}.jpg")
        return {
            "file_id": file_id,
            "file_unique_id": f"{file_id}u",
            "file_size": len(data),
            "file_path": path,
        }

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method) or []
            fault = next(
                (f for f in queue if f.chat_id is None or str(f.chat_id) == str(chat_id)), None
            )
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                queue.remove(fault)
            return fault

    def limit_refusal(self, method: str, p: dict[str, Any]) -> str | None:
        """Return Telegram's description of why it would refuse this call, or None."""
        found = call_refusal(method, p)
        if found is not None or method not in ("editMessageText", "editMessageReplyMarkup"):
            return found
        key = (int(p.get("chat_id") or 0), int(p.get("message_id") or 0))
        with self._lock:
            message = self.messages.get(key)
        if message is None:
            return EDIT_NOT_FOUND
        same_text = method == "editMessageReplyMarkup" or (
            str(p["text"]).strip() == str(message.get("text", "")).strip()
        )
        if same_text and _same_markup(p.get("reply_markup"), message.get("reply_markup")):
            return NOT_MODIFIED
        return None

    def expect_refusals(self, *descriptions: str) -> None:
        """Say that this test provokes these refusals (the autouse check lets them pass)."""
        self.expected_refusals.update(descriptions)

    def unexpected_refusals(self) -> list[tuple[str, str]]:
        """Return (method, description) of every refusal no test said it expected."""
        with self._lock:
            return [
                (call.method, why)
                for call, why in self.refusals
                if why not in self.expected_refusals
            ]

    async def _m_getMe(self, _p: dict[str, Any], _f: object) -> dict[str, Any]:
        return BOT_USER

    async def _m_getUpdates(self, params: dict[str, Any], _f: object) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        assert self._arrived is not None
        async with self._arrived:
            if offset:
                self.acknowledged = max(self.acknowledged, offset - 1)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[: int(params.get("limit") or 100)])

    def _store(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            **extra,
        }
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_sendMessage(self, p: dict[str, Any], _f: object) -> dict[str, Any]:
        extra: dict[str, Any] = {"text": p["text"]}
        markup = p.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            extra["reply_markup"] = markup
        elif markup:  # ForceReply and reply keyboards are not part of the Message Telegram returns
            extra["_asked_reply"] = markup
        return self._store(int(p["chat_id"]), extra)

    async def _m_sendDocument(
        self, p: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        name, data = next(iter(files.values()))
        extra = {
            "document": {
                "file_id": f"doc{len(self.calls)}",
                "file_unique_id": f"u{len(self.calls)}",
                "file_name": name,
                "file_size": len(data),
            },
            "caption": p.get("caption", ""),
        }
        return self._store(int(p["chat_id"]), extra)

    def _edit(self, p: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self._lock:
            message = dict(self.messages[key])
            message.update(changes)
            if "reply_markup" in changes and not changes["reply_markup"]:
                message.pop("reply_markup")
            self.messages[key] = message
        return message

    async def _m_editMessageText(self, p: dict[str, Any], _f: object) -> dict[str, Any]:
        return self._edit(p, {"text": p["text"], "reply_markup": p.get("reply_markup")})

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any], _f: object) -> dict[str, Any]:
        return self._edit(p, {"reply_markup": p.get("reply_markup")})

    async def _true(self, _p: dict[str, Any], _f: object) -> bool:
        return True

    _m_answerCallbackQuery = _m_sendChatAction = _m_setMyCommands = _true
    _m_deleteMyCommands = _m_close = _true

    async def _m_deleteWebhook(self, _p: dict[str, Any], _f: object) -> bool:
        self.webhook = None
        return True

    async def _m_setWebhook(self, p: dict[str, Any], _f: object) -> bool:
        self.webhook = p
        return True

    async def _m_getWebhookInfo(self, _p: dict[str, Any], _f: object) -> dict[str, Any]:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    # --- driving it (from the test's thread) ---------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id` only, when given) fail with
        `status` (400: "chat not found")."""
        with self._lock:
            fault = Fault(status, times, retry_after, chat_id=chat_id)
            self._faults.setdefault(method, []).append(fault)

    def block(self, chat_id: int, description: str | None = None) -> None:
        """Refuse every message to `chat_id` with 403, as Telegram does for a user who never
        wrote to the bot (or blocked it) and a group the bot was removed from."""
        if description is None:
            description = (
                "Forbidden: bot can't initiate conversation with a user"
                if chat_id > 0
                else "Forbidden: bot was kicked from the supergroup chat"
            )
        with self._lock:
            self._blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        """Let messages to `chat_id` through again (the user wrote to the bot)."""
        with self._lock:
            self._blocked.pop(chat_id, None)

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` calls of `method` answer after `seconds`."""
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(200, times, delay=seconds))

    def hang(self, method: str, *, chat_id: int | None = None, times: int = 1) -> None:
        """Hold the next `times` calls of `method` (to `chat_id` only, when given) unanswered
        and undelivered until the server stops: a process killed meanwhile never sent them."""
        with self._lock:
            fault = Fault(200, times, chat_id=chat_id, hang=True)
            self._faults.setdefault(method, []).append(fault)

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, or post it to the webhook when one is set."""
        asyncio.run_coroutine_threadsafe(self._push(update), self._loop).result(10)
        return update

    async def _push(self, update: dict[str, Any]) -> None:
        if self.webhook is not None:  # Telegram posts it, one at a time, until answered 200
            if self._hook_queue is None:
                self._hook_queue = asyncio.Queue()
                self._hook_task = asyncio.ensure_future(self._post_hooks(self._hook_queue))
            await self._hook_queue.put(update)
            return
        assert self._arrived is not None
        async with self._arrived:
            self._updates.append(update)
            self._arrived.notify_all()

    async def _post_hooks(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Deliver pushed updates to the webhook in order, each retried (every 0.2 s) until
        the bot answers 200, as Telegram retries a webhook that is down or failing."""
        async with aiohttp.ClientSession() as session:
            while True:
                update = await queue.get()
                while True:
                    hook = self.webhook
                    if hook is None:
                        break
                    secret = hook.get("secret_token")
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                    try:
                        async with session.post(
                            hook["url"], json=update, headers=headers
                        ) as response:
                            if response.status == 200:
                                break
                    except (aiohttp.ClientError, OSError):
                        pass
                    await asyncio.sleep(0.2)

    def post_to_webhook(self, update: dict[str, Any], url: str, secret: str | None) -> int:
        """Post an update as Telegram would (with the secret header when given)."""

        async def post() -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=update, headers=headers) as response,
            ):
                return response.status

        status = asyncio.run_coroutine_threadsafe(post(), self._loop).result(30)
        self.webhook_responses.append(status)
        return status

    def user(self, user_id: int, language_code: str = "zh-hans") -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": "测试",
            "last_name": str(user_id),
            "language_code": language_code,
        }

    def text_update(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        language_code: str = "zh-hans",
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else user_id
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup", "title": "群"},
            "from": self.user(user_id, language_code),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:  # a reply to one of the bot's messages (a ForceReply prompt)
            message["reply_to_message"] = reply_to
        return {"update_id": next(self._update_ids), "message": message}

    def edited_update(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """An edit of a message the user sent earlier (as it appears in its update)."""
        edited = {**message, "text": text, "edit_date": int(time.time())}
        return {"update_id": next(self._update_ids), "edited_message": edited}

    def media_update(self, user_id: int, kind: str) -> dict[str, Any]:
        update = self.text_update(user_id, "x")
        del update["message"]["text"]
        media = {
            "photo": [{"file_id": "p1", "file_unique_id": "p1u", "width": 10, "height": 10}],
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "s1u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
            "voice": {"file_id": "v1", "file_unique_id": "v1u", "duration": 2},
        }
        update["message"][kind] = media[kind]
        return update

    def photo_update(
        self,
        user_id: int,
        data: bytes,
        *,
        as_document: bool = False,
        mime_type: str = "image/jpeg",
        size: tuple[int, int] = (1280, 960),
    ) -> dict[str, Any]:
        """A photo (Telegram's sizes: a thumbnail and the photo) or an image sent as a file;
        its bytes are served by getFile and the file download."""
        update = self.text_update(user_id, "x")
        del update["message"]["text"]
        file_id = f"AgAD{len(self.files)}{user_id}"
        self.files[file_id] = data
        if as_document:
            update["message"]["document"] = {
                "file_id": file_id,
                "file_unique_id": f"{file_id}u",
                "file_name": "photo.jpg",
                "mime_type": mime_type,
                "file_size": len(data),
            }
            return update
        thumb_id = f"{file_id}t"
        self.files[thumb_id] = data[:1024]  # not an image by itself: it must not be read
        w, h = size
        update["message"]["photo"] = [
            {"file_id": thumb_id, "file_unique_id": f"{thumb_id}u", "width": 90, "height": 68,
             "file_size": 1024},
            {"file_id": file_id, "file_unique_id": f"{file_id}u", "width": w, "height": h,
             "file_size": len(data)},
        ]  # fmt: skip
        return update

    def press_update(
        self, user_id: int, message: dict[str, Any], data: str, language_code: str = "zh-hans"
    ) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cb{next(self._update_ids)}",
                "from": self.user(user_id, language_code),
                "chat_instance": "ci",
                "data": data,
                "message": message,
            },
        }

    # --- what happened -------------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            calls = [c for c in self.calls if c.method == method]
        if chat_id is not None:
            calls = [c for c in calls if int(c.params.get("chat_id", 0)) == chat_id]
        return calls

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return the messages the bot has in a chat now (edits applied), oldest first."""
        with self._lock:
            found = [m for (c, _), m in self.messages.items() if c == chat_id]
        return sorted(found, key=lambda m: m["message_id"])

    def wait_until(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll until `condition()` is truthy; fail with what was seen when it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out; last calls: {[c.method for c in self.calls[-15:]]}")
