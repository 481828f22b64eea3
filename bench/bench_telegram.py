"""Cost of one interview step through the real Application, against a bare PTB floor.

Run: .venv/bin/python -m bench.bench_telegram [--steps 5000] [--conversations 1000]
Target (issue 5): our step ≤ 1.5 × the floor at p50 and p99, where the floor is a bare PTB
handler that echoes and writes one row to the same kind of SQLite file ("one update, one
durable write"). Both go through `Application.process_update` with a recording request (no
sockets), in alternating blocks of 700 updates, so that both see the same moments of a machine
whose speed drifts. Our steps are whole conversations: each applicant's first update is a
first contact. Also: updates/s with 1,000 concurrent conversations through the local fake Bot
API server, with the rate limiter (as deployed) and without it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from telegram import Update
from telegram.ext import Application, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.settings import Settings
from bot.tg.app import build_application, open_services
from bot.tg.services import Services
from documents.pool import DocumentRenderer
from models import migrate
from models.db import make_engine
from tests.fakes.bot_api import BOT_USER, FakeBotAPI
from tests.fakes.driver import TOKEN

# What an applicant types for the first questions (each is one measured step).
ANSWERS = ["/start", "企业", "本市", "外地", "杭州", "2026-11-20", "示例云帆科技有限公司"]


class RecordingRequest(BaseRequest):
    """Answer every Bot API call at once, as Telegram would, and count the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self._ids = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name in ("sendMessage", "sendDocument"):
            self._ids += 1
            result = {
                "message_id": self._ids,
                "date": int(time.time()),
                "chat": {"id": params.get("chat_id"), "type": "private"},
                "text": params.get("text", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "测", "language_code": "zh"},
            "text": text,
        },
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(app: Application, updates: list[dict[str, Any]]) -> list[float]:  # type: ignore[type-arg]
    times = []
    for raw in updates:
        update = Update.de_json(raw, app.bot)
        start = time.perf_counter()
        await app.process_update(update)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _ours_app(db: Path) -> tuple[Application, Services]:  # type: ignore[type-arg]
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, beian_today=dt.date(2026, 11, 28))
    request = RecordingRequest()
    app = build_application(settings, TOKEN, request=request, rate_limited=False)
    await app.initialize()
    services = await open_services(app, settings, lambda: DocumentRenderer(1))
    return app, services


async def _floor_app(db: Path) -> tuple[Application, sa.Engine]:  # type: ignore[type-arg]
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS echo (id INTEGER PRIMARY KEY, text TEXT)"))

    async def echo(update: Update, context: Any) -> None:
        message = update.effective_message
        assert message is not None
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO echo (text) VALUES (:t)"), {"t": message.text})
        await context.bot.send_message(message.chat_id, message.text)

    request = RecordingRequest()
    app = Application.builder().token(TOKEN).request(request).get_updates_request(request).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    return app, engine


async def side_by_side(
    tmp: Path, steps: int, *, alternate: bool = True
) -> tuple[list[float], list[float], dict[str, int]]:
    """Time our interview steps and the floor's, in alternating blocks of 700 updates (both
    see the same moments of this machine, whose speed drifts) or one run after the other
    (neither's garbage lands in the other's timings).

    Each applicant says ANSWERS in order: the first update is a first contact. Returns the
    per-update times in ms (after 50 warm-up updates each) and how our turns were taken.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    ours_app, services = await _ours_app(tmp / "ours.db")
    floor_app, floor_engine = await _floor_app(tmp / "floor.db")
    # 100 conversations, ~0.15 s: short against the machine's drift (seconds), long enough that
    # the first updates after each switch (cold caches) are not a tenth of the sample.
    block = len(ANSWERS) * 100 if alternate else 50 + steps + len(ANSWERS) * 100
    total = 50 + steps + block
    users = total // len(ANSWERS) + 1
    ours_updates = [
        _update(i * len(ANSWERS) + j + 1, 10_000 + i, text)
        for i in range(users)
        for j, text in enumerate(ANSWERS)
    ][:total]
    floor_updates = [
        _update(i + 1, 20_000 + i % 100, ANSWERS[i % len(ANSWERS)]) for i in range(total)
    ]
    await _measure(ours_app, ours_updates[:50])  # warm-up: imports, first queries
    await _measure(floor_app, floor_updates[:50])
    services.conversations.counts.clear()
    ours_ms: list[float] = []
    floor_ms: list[float] = []
    start = 50
    while len(ours_ms) < steps:
        ours_ms += await _measure(ours_app, ours_updates[start : start + block])
        floor_ms += await _measure(floor_app, floor_updates[start : start + block])
        start += block
    counts = dict(services.conversations.counts)
    services.close()
    await ours_app.shutdown()
    await floor_app.shutdown()
    floor_engine.dispose()
    return ours_ms[:steps], floor_ms[:steps], counts


async def through_fake_server(
    db: Path, conversations: int, *, rate_limited: bool = True
) -> tuple[float, int]:
    """Push /start and one answer for each of N users; time until every reply arrived."""
    fake = FakeBotAPI(TOKEN).start()
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    settings = Settings(
        database_url=url,
        telegram_api_base_url=fake.base_url,
        beian_today=dt.date(2026, 11, 28),
    )
    app = build_application(
        settings,
        TOKEN,
        renderer_factory=lambda: DocumentRenderer(1),
        rate_limited=rate_limited,
    )
    await app.initialize()
    services = await open_services(app, settings, lambda: DocumentRenderer(1))
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    start = time.perf_counter()
    for i in range(conversations):
        fake.push(fake.text_update(30_000 + i, "/start"))
        fake.push(fake.text_update(30_000 + i, "企业"))
    expected = conversations * 2

    def questions_done() -> int:
        return sum(
            1 for c in fake.calls_of("sendMessage") if "网站系统在哪里维护" in c.params["text"]
        )

    while questions_done() < conversations:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    await app.updater.stop()
    await app.stop()
    services.close()
    await app.shutdown()
    fake.stop()
    return expected / elapsed, len(fake.calls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--conversations", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours_ms, floor_ms, counts = asyncio.run(side_by_side(Path(tmp) / "a", args.steps))
        apart = asyncio.run(side_by_side(Path(tmp) / "b", args.steps, alternate=False))
        rate, calls = asyncio.run(through_fake_server(Path(tmp) / "fake.db", args.conversations))
        raw_rate, _ = asyncio.run(
            through_fake_server(Path(tmp) / "raw.db", args.conversations, rate_limited=False)
        )
    print(
        f"steps measured: ours {len(ours_ms)}, floor {len(floor_ms)} per run (SQLite files, "
        f"WAL); our turns in the first run: {counts.get('quick', 0)} quick, "
        f"{counts.get('whole', 0) + counts.get('missed', 0)} whole"
    )
    print("| measure | beian interview step | floor (bare PTB echo + 1 row) | ratio | target |")
    print("|---|---|---|---|---|")
    runs = (("alternating blocks of 700", ours_ms, floor_ms), ("one after the other", *apart[:2]))
    for label, mine, bare in runs:
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            a, b = _pct(mine, q), _pct(bare, q)
            print(f"| {name}, {label} | {a:.2f} ms | {b:.2f} ms | {a / b:.2f}× | ≤ 1.5× |")
    mean_ours, mean_floor = statistics.mean(ours_ms), statistics.mean(floor_ms)
    print(f"| mean, alternating | {mean_ours:.2f} ms | {mean_floor:.2f} ms | | |")
    print(
        f"| {args.conversations} conversations × 2 updates via the fake server (HTTP), "
        f"AIORateLimiter on (as deployed) | {rate:.0f} updates/s ({calls} Bot API calls) | | | — |"
    )
    print(
        f"| the same with the rate limiter off (what the process could do) | "
        f"{raw_rate:.0f} updates/s | | | — |"
    )


if __name__ == "__main__":
    main()
