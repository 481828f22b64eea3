"""The public webhook listener against what Telegram never sends (issue 26 item 5), on a real
`beian serve`: bodies refused with 400 and one log line, slow clients closed, a bounded number
of connections, /healthz and /metrics only on their own listener."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess, _migrated_copy

SECRET = "s3cret"
TIMEOUT = 1.5  # BEIAN_WEBHOOK_TIMEOUT of these bots (10 s by default)


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Webhook:
    """A `beian serve` in webhook mode on a port of its own."""

    def __init__(self, fake: FakeBotAPI, tmp_path: Path, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram/hook"
        args = ["--webhook-url", self.url, "--listen", f"127.0.0.1:{self.port}"]
        self.bot = BotProcess(
            fake,
            tmp_path,
            webhook=[*args, "--secret-token", SECRET],
            env={"BEIAN_WEBHOOK_TIMEOUT": str(TIMEOUT), **env},
        )

    def post(self, body: bytes) -> int:
        async def post() -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with (
                aiohttp.ClientSession() as session,
                session.post(self.url, data=body, headers=headers) as response,
            ):
                return response.status

        return asyncio.run(post())


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeBotAPI, Webhook]]:
    """One bot for the tests that only post to it (a bot takes seconds to start)."""
    fake = FakeBotAPI(TOKEN).start()
    server = Webhook(fake, tmp_path_factory.mktemp("webhook"))
    server.bot.start()
    yield fake, server
    assert server.bot.stop() == 0
    fake.stop()


def _update(chat: int, **fields: object) -> bytes:
    message = {
        "message_id": 1,
        "date": 1764300000,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "x"},
        "text": "/start",
    }
    return json.dumps({"update_id": chat % 2**31, "message": message} | fields).encode()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"update_id": 99999999999999999999999999}', "update_id is not an integer"),
        (b'{"update_id": 9007199254740992}', "update_id is not an integer"),  # 2**53
        (b'{"update_id": -1}', "update_id is not an integer"),
        (b'{"update_id": true}', "update_id is not an integer"),
        (b'{"update_id": 1.0}', "update_id is not an integer"),
        (b'{"update_id": "1"}', "update_id is not an integer"),
        (b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested deeper"),
        (b'{"update_id": 1, "x": ' + b"[" * 64 + b"]" * 64 + b"}", "nested deeper"),
        (b'{"update_id": 1, "x": NaN}', "not JSON"),
        (b'{"update_id": 1, "x": 1e999}', "too large"),
        (_update(10**30), "larger than any Telegram id"),
        (b'{"update_id": 1, "x": "\xff\xfe"}', "not JSON"),
        (b"[1, 2, 3]", "not a JSON object"),
    ],
    ids=[
        "huge-update-id", "2**53", "negative", "bool", "float", "string", "100000-deep",
        "65-deep", "nan", "infinite", "huge-chat-id", "not-utf8", "array",
    ],
)  # fmt: skip
def test_a_body_telegram_never_sends_gets_400_and_one_line_without_its_content(
    shared: tuple[FakeBotAPI, Webhook], body: bytes, why: str
) -> None:
    fake, hook = shared
    before = len(hook.bot.output())
    chat = 8300 + len(fake.calls_of("sendMessage"))  # a new chat each time
    assert hook.post(body) == 400
    assert hook.post(_update(chat)) == 200  # the listener goes on
    fake.wait_until(lambda: fake.calls_of("sendMessage", chat))
    log = hook.bot.output()[before:]
    assert "Traceback" not in log and "Error handling request" not in log
    refused = [line for line in log.splitlines() if "webhook body refused" in line]
    assert len(refused) == 1, log
    assert why in refused[0] and f"({len(body)} bytes)" in refused[0]
    assert "9999999999" not in log and "[[[[" not in log


def test_nesting_up_to_the_limit_is_an_update(shared: tuple[FakeBotAPI, Webhook]) -> None:
    fake, hook = shared
    deep = json.loads(_update(8202))
    deep["extra"] = json.loads("[" * 62 + "]" * 62)  # 63 deep inside the update: 64 in all
    assert hook.post(json.dumps(deep).encode()) == 200
    fake.wait_until(lambda: fake.calls_of("sendMessage", 8202))


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (None: still open after `seconds`)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return time.monotonic() - start
    except TimeoutError:
        return None
    except ConnectionResetError:
        return time.monotonic() - start


def _open(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def test_slow_clients_are_closed_within_the_read_timeout(
    shared: tuple[FakeBotAPI, Webhook],
) -> None:
    _fake, hook = shared
    host = f"Host: 127.0.0.1:{hook.port}\r\n".encode()
    secret = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n".encode()
    partial_header = b"POST /telegram/hook HTTP/1.1\r\n" + host + b"X-Slow: "
    partial_body = (
        b"POST /telegram/hook HTTP/1.1\r\n"
        + host
        + secret
        + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        + b'{"update_id": '
    )
    slow = (
        [_open(hook.port, b"") for _ in range(20)]  # connect, say nothing
        + [_open(hook.port, partial_header) for _ in range(60)]  # a header never finished
        + [_open(hook.port, partial_body) for _ in range(20)]  # a body never finished
    )
    try:
        deadline = time.monotonic() + TIMEOUT + 5
        for sock in slow:
            left = deadline - time.monotonic()
            assert _closed_within(sock, max(left, 0.1)) is not None, "a slow client is open"
    finally:
        for sock in slow:
            sock.close()
    log = hook.bot.output()
    assert "not received within" in log  # the slow bodies: 408, logged
    assert "Traceback" not in log


def test_connections_past_the_limit_are_refused_and_the_bot_goes_on(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    server = Webhook(fake, tmp_path, BEIAN_WEBHOOK_CONNECTIONS="10", BEIAN_WEBHOOK_TIMEOUT="30")
    server.bot.start()
    held = [_open(server.port, b"POST /telegram/hook HTTP/1.1\r\n") for _ in range(10)]
    try:
        time.sleep(0.3)  # accepted, each waiting for its headers
        extra = _open(server.port, b"")
        answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert _closed_within(extra, 2) is not None
        extra.close()
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)  # the server sees them go
    assert server.post(_update(8203)) == 200
    fake.wait_until(lambda: fake.calls_of("sendMessage", 8203))
    assert server.bot.stop() == 0
    assert "connection(s) refused" in server.bot.output()


def test_a_metrics_address_in_use_stops_the_start_with_one_line(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    _migrated_copy(tmp_path / "bot.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        bot = Webhook(fake, tmp_path, BEIAN_METRICS_LISTEN=f"127.0.0.1:{busy}").bot
        done = subprocess.run(
            [str(BEIAN), "serve", *(bot.webhook or [])],
            env=bot.env(),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"BEIAN_METRICS_LISTEN: cannot listen on 127.0.0.1:{busy}" in done.stderr
    assert "Traceback" not in done.stderr
