"""The bot's HTTP client (bot.tg.transport): what reaches the Bot API, and what comes back.

Each test runs PTB's `Bot` over both clients, ours on aiohttp and PTB's on httpx, against the
local Bot API server: whatever httpx sends and raises, ours sends and raises too.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.settings import Settings
from bot.tg.app import build_application
from bot.tg.transport import AiohttpRequest, bot_request
from tests.fakes.bot_api import FakeBotAPI
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
