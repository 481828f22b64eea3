"""The bot's HTTP client (bot.tg.transport): what reaches the Bot API, and what comes back.

Each test runs PTB's `Bot` over both clients, ours on aiohttp and PTB's on httpx, against the
local Bot API server: whatever httpx sends and raises, ours sends and raises too.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.settings import Settings
from bot.tg.app import build_application
from bot.tg.transport import AiohttpRequest, bot_request
from models import migrate
from tests.fakes.bot_api import BOT_USER, FakeBotAPI
from tests.fakes.driver import TOKEN

CLIENTS = ["aiohttp", "httpx"]
TEXT = "请在 2026年12月21日（星期一）前提交。"
REFUSALS = [(429, RetryAfter), (403, Forbidden), (400, BadRequest), (500, NetworkError)]


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _bot(base_url: str, client: str, request: Any = None) -> Bot:
    """A Bot whose every call (getUpdates too) goes through `request` or one of `client`."""
    request = request or bot_request(client, 4)
    return Bot(TOKEN, base_url=f"{base_url}/bot", request=request, get_updates_request=request)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_chinese_message_with_buttons_arrives_as_sent(fake: FakeBotAPI, client: str) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("已提交", callback_data="F1.2:s")]])

    async def run() -> Any:
        async with _bot(fake.base_url, client) as bot:
            return await bot.send_message(42, TEXT, reply_markup=markup)

    sent = asyncio.run(run())
    (call,) = fake.calls_of("sendMessage", 42)
    assert call.params["text"] == TEXT
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "已提交", "callback_data": "F1.2:s"}]]
    }
    assert sent.message_id == fake.chat_messages(42)[0]["message_id"]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_document_keeps_its_chinese_file_name_and_bytes(fake: FakeBotAPI, client: str) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40

    async def run() -> None:
        async with _bot(fake.base_url, client) as bot:
            await bot.send_document(
                42, InputFile(pdf, filename="复审材料清单-示例站.pdf"), caption="清单：带齐两份"
            )

    asyncio.run(run())
    (call,) = fake.calls_of("sendDocument", 42)
    assert call.files["document"] == ("复审材料清单-示例站.pdf", pdf)  # not %E5%A4%8D….pdf
    assert call.params["caption"] == "清单：带齐两份"
    assert fake.chat_messages(42)[0]["document"]["file_name"] == "复审材料清单-示例站.pdf"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("status", "error"), REFUSALS)
def test_the_bot_apis_refusals_are_ptbs_errors(
    fake: FakeBotAPI, client: str, status: int, error: type[Exception]
) -> None:
    fake.fail("sendMessage", status, retry_after=7)

    async def run() -> None:
        async with _bot(fake.base_url, client) as bot:
            await bot.send_message(42, "x")

    with pytest.raises(error) as raised:
        asyncio.run(run())
    if status == 429:
        assert isinstance(raised.value, RetryAfter)
        assert raised.value._retry_after.total_seconds() == 7


@pytest.mark.parametrize("client", CLIENTS)
def test_an_answer_slower_than_the_read_timeout_is_timed_out(fake: FakeBotAPI, client: str) -> None:
    fake.slow("sendMessage", 2.0)

    async def run() -> None:
        async with _bot(fake.base_url, client) as bot:
            await bot.send_message(42, "x", read_timeout=0.3)

    with pytest.raises(TimedOut):
        asyncio.run(run())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("client", CLIENTS)
def test_an_unreachable_api_is_a_network_error_that_does_not_name_the_token(client: str) -> None:
    async def run() -> None:
        request = bot_request(client, 4)
        await request.initialize()
        try:
            await _bot(f"http://127.0.0.1:{_closed_port()}", client, request).get_me()
        finally:
            await request.shutdown()

    with pytest.raises(NetworkError) as raised:
        asyncio.run(run())
    assert not isinstance(raised.value, TimedOut)
    assert TOKEN not in str(raised.value)
    assert TOKEN.split(":")[1] not in str(raised.value)


def test_a_long_poll_waits_past_the_default_read_timeout(fake: FakeBotAPI) -> None:
    """getUpdates is held open by the server: the call's own read timeout applies."""
    request = AiohttpRequest(1, read_timeout=0.2)

    async def run() -> Any:
        async with _bot(fake.base_url, "aiohttp", request) as bot:
            return await bot.do_api_request("getUpdates", api_kwargs={"timeout": 1}, read_timeout=3)

    assert asyncio.run(run()) == []


def test_many_calls_at_once_share_the_pool_and_all_arrive(fake: FakeBotAPI) -> None:
    async def run() -> None:
        async with _bot(fake.base_url, "aiohttp", AiohttpRequest(2)) as bot:
            await asyncio.gather(*(bot.send_message(1000 + i, f"第{i}条") for i in range(40)))

    asyncio.run(run())
    texts = sorted(c.params["text"] for c in fake.calls_of("sendMessage"))
    assert texts == sorted(f"第{i}条" for i in range(40))


def test_a_request_not_initialized_refuses_to_send() -> None:
    async def run() -> None:
        await AiohttpRequest().do_request("http://127.0.0.1:1/x", "POST")

    with pytest.raises(RuntimeError, match="not initialized"):
        asyncio.run(run())


@pytest.mark.parametrize(("setting", "kind"), [("aiohttp", AiohttpRequest), ("httpx", None)])
def test_the_bot_uses_the_client_the_settings_name(setting: str, kind: type | None) -> None:
    settings = Settings(beian_http_client=setting)  # type: ignore[arg-type]
    app = build_application(settings, TOKEN)
    if kind is None:
        assert type(app.bot.request).__name__ == "HTTPXRequest"
    else:
        assert isinstance(app.bot.request, kind)


@pytest.mark.parametrize("client", CLIENTS)
def test_remind_once_with_the_bot_api_unreachable_says_so_in_one_line(
    client: str, tmp_path: Path
) -> None:
    """cron mails what `beian remind --once` prints: one line, no traceback, no token."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate.upgrade(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
        "BEIAN_HTTP_CLIENT": client,
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "beian"), "remind", "--once"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Could not reach the Bot API" in output
    assert "NetworkError" in output
    assert "Traceback" not in output
    assert TOKEN.split(":")[1] not in output
    assert len(output.strip().splitlines()) == 1


def _pool_of_one(client: str) -> Any:
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=1, pool_timeout=0.3)
    return AiohttpRequest(1, pool_timeout=0.3)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_full_pool_times_out_after_the_pool_timeout_and_sends_nothing(
    fake: FakeBotAPI, client: str
) -> None:
    fake.slow("sendMessage", 2.0)

    async def run() -> tuple[BaseException | None, float]:
        async with _bot(fake.base_url, client, _pool_of_one(client)) as bot:
            first = asyncio.create_task(bot.send_message(1, "占着连接"))
            await asyncio.sleep(0.2)  # the one connection is taken
            start = time.monotonic()
            try:
                await bot.send_message(2, "等不到")
                error = None
            except TimedOut as exc:
                error = exc
            waited = time.monotonic() - start
            await first
            return error, waited

    error, waited = asyncio.run(run())
    assert error is not None and "Pool timeout" in error.message
    assert waited < 1.5  # the pool's 0.3 s, not a connect or read timeout
    assert fake.calls_of("sendMessage", 2) == []  # not sent


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("name", ['引号"名.pdf', "tab\t.pdf", "back\\slash.pdf", "换行\n.pdf"])
def test_odd_file_names_arrive_as_httpx_sends_them(
    fake: FakeBotAPI, client: str, name: str
) -> None:
    async def run() -> None:
        async with _bot(fake.base_url, client) as bot:
            await bot.send_document(42, InputFile(b"%PDF-1.7", filename=name))

    asyncio.run(run())
    (call,) = fake.calls_of("sendDocument", 42)
    received = call.files["document"][0]
    expected = {
        '引号"名.pdf': "引号%22名.pdf",  # the HTML5 form encoding (httpx, browsers)
        "tab\t.pdf": "tab%09.pdf",
        "back\\slash.pdf": "back\\slash.pdf",
        "换行\n.pdf": "换行%0A.pdf",
    }
    assert received == expected[name]


async def _redirecting_server(hits: list[str]) -> web.AppRunner:
    """A server that answers every call with 307 to another path of its own."""

    async def moved(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path.startswith("/elsewhere"):
            return web.json_response({"ok": True, "result": True})
        raise web.HTTPTemporaryRedirect("/elsewhere" + request.path)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


@pytest.mark.parametrize("client", CLIENTS)
def test_a_redirect_is_not_followed_and_the_form_goes_nowhere_else(client: str) -> None:
    hits: list[str] = []

    async def run() -> None:
        runner = await _redirecting_server(hits)
        port = runner.addresses[0][1]
        request = bot_request(client, 4)
        await request.initialize()
        try:
            await _bot(f"http://127.0.0.1:{port}", client, request).send_message(1, "不能转走")
        finally:
            await request.shutdown()
            await runner.cleanup()

    with pytest.raises(NetworkError, match="Redirect"):
        asyncio.run(run())
    assert len(hits) == 1 and not hits[0].startswith("/elsewhere")


async def _proxy(lines: list[str]) -> asyncio.Server:
    """A forward proxy that answers every request itself (getMe's answer) and keeps its line."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        first, *headers = head.decode().split("\r\n")
        lines.append(first)
        length = next(
            (int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length")), 0
        )
        await reader.readexactly(length)
        body = json.dumps({"ok": True, "result": BOT_USER}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.mark.parametrize("client", CLIENTS)
def test_the_proxy_of_the_environment_is_used(client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def run() -> Any:
        server = await _proxy(lines)
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
        try:
            async with _bot("http://api.telegram.invalid", client) as bot:
                return bot.bot
        finally:
            server.close()

    me = asyncio.run(run())
    assert me.id == BOT_USER["id"]
    assert lines == [f"POST http://api.telegram.invalid/bot{TOKEN}/getMe HTTP/1.1"]


@pytest.mark.parametrize("client", CLIENTS)
def test_no_proxy_sends_its_hosts_directly(client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []

    async def run() -> None:
        server = await _proxy(lines)
        port = server.sockets[0].getsockname()[1]
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "api.telegram.invalid")
        try:
            async with _bot("http://api.telegram.invalid", client):
                pass
        finally:
            server.close()

    with pytest.raises(NetworkError):  # straight to a host that does not exist
        asyncio.run(run())
    assert lines == []


def test_the_environments_proxy_is_read_once_per_origin(
    fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's `trust_env` reads it (and ~/.netrc) in worker threads on every call."""
    from bot.tg import transport

    reads: list[str] = []

    def counted(origin: str) -> Any:
        reads.append(origin)
        return (None, None)

    monkeypatch.setattr(transport, "_env_proxy", counted)

    async def run() -> None:
        async with _bot(fake.base_url, "aiohttp") as bot:
            for i in range(5):
                await bot.send_message(42, f"第{i}条")

    asyncio.run(run())
    assert reads == [fake.base_url]
    assert len(fake.calls_of("sendMessage", 42)) == 5
