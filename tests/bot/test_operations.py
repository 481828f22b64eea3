"""Operations on the webhook server (issue 16): `/healthz` and Prometheus `/metrics`, from a
real `beian serve` process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import Session

from models.db import make_engine
from models.tables import OutboxMessage
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BotProcess


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI("123456789:TESTtokenForTheLocalFakeBotApiServer0").start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    async def get() -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status, await response.text()

    return asyncio.run(get())


def _metric(text: str, name: str) -> float:
    """The value of one sample (`name` with its labels, as Prometheus' text format writes it)."""
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics")


def test_healthz_and_metrics_on_their_own_listener_not_the_webhooks(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    port, metrics_port = _free_port(), _free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    root = f"http://127.0.0.1:{metrics_port}"
    bot = BotProcess(
        fake,
        tmp_path,
        webhook=["--webhook-url", hook, "--listen", f"127.0.0.1:{port}", "--secret-token", "s"],
        env={"BEIAN_METRICS_LISTEN": f"127.0.0.1:{metrics_port}"},
    ).start()
    try:
        # the public listener serves Telegram's posts only
        for path in ("/healthz", "/metrics"):
            assert _get(f"http://127.0.0.1:{port}{path}")[0] == 404
        status, body = _get(f"{root}/healthz")
        assert status == 200, body
        health = json.loads(body)
        assert health["status"] == "ok" and health["database"] is True
        assert health["inbox_depth"] == 0 and health["outbox_lag_seconds"] == 0

        for text in ("/start", "企业"):
            assert fake.post_to_webhook(fake.text_update(8101, text), hook, "s") == 200
        fake.wait_until(lambda: len(fake.calls_of("sendMessage", 8101)) >= 2)
        first = fake.calls_of("sendMessage", 8101)
        redelivered = fake.text_update(8101, "x") | {"update_id": 1}  # the /start's id
        assert fake.post_to_webhook(redelivered, hook, "s") == 200
        assert fake.calls_of("sendMessage", 8101) == first
        status, text = _get(f"{root}/metrics")
        assert status == 200
        assert _metric(text, 'beian_updates_total{outcome="processed"}') >= 2
        assert _metric(text, 'beian_updates_total{outcome="duplicate"}') == 1
        assert _metric(text, "beian_update_seconds_count") >= 2
        assert _metric(text, "beian_inbox_depth") == 0

        # Something due for ten minutes and more, that nobody sends: unhealthy (503).
        engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15)
        with Session(engine) as session:
            session.add(
                OutboxMessage(
                    kind="test-stuck", dedupe_key="stuck", due_at=long_ago, created_at=long_ago
                )
            )
            session.commit()
        engine.dispose()
        status, body = _get(f"{root}/healthz")
        assert status == 503
        health = json.loads(body)
        assert health["status"] == "unhealthy" and health["outbox_depth"] == 1
        assert health["outbox_lag_seconds"] >= 15 * 60 - 5
        status, text = _get(f"{root}/metrics")
        assert _metric(text, "beian_outbox_depth") == 1
    finally:
        assert bot.stop() == 0, bot.output()
    assert "Traceback" not in bot.output()
