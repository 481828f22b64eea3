"""Cost of one durable interview step through the real Application, against durable floors.

Run: .venv/bin/python -m bench.bench_telegram [--steps 5000] [--conversations 1000]
     [--steps-only | --stored-first-only]

Target (issues 5 and 10): our step ≤ 1.5 × the floor at p50 and p99. A step is what a durable
bot must do for one update: store it in the inbox (committed: that is when Telegram may be
told it arrived), then process it and mark it done with its effects, and reply.

- **Ours**: `InboxProcessor.accept` (the inbox insert, committed) and the processing of that
  update through `Application.process_update`: a real interview turn on the fast store, the
  inbox row marked done in the turn's transaction, the reply sent.
- **Floor (SQLAlchemy)**: a bare PTB handler; the update inserted into an inbox table and
  committed, then one row inserted and the inbox row marked done in one transaction, and an
  echo. SQLAlchemy Core, the same SQLite settings.
- **Floor (sqlite3)**: the same with the standard library's sqlite3 module directly (what a
  hand-written bot would do; the SQLAlchemy floor adds ~90 µs of statement handling).
- **Ours, stored first** (issue 26): ours with every update stored on its own before it is
  answered (`ChatInbox.answer_first = False`), as before a quiet chat's message was stored with
  its turn (`bot.answer_first`).
- **Ours, unsealed** (issue 26): ours with the personal data stored in the clear, on a database
  of its own (`models.sealed.unsealed_for_benchmarks`): the step with sealing beside without.

Both go through a recording request (no sockets), in alternating blocks of 700 updates (both
see the same moments of a machine whose speed drifts) and one after the other. Also: updates/s
with 1,000 concurrent conversations over HTTP through the local fake Bot API server, polling as
deployed (our ingest loop), with the rate limiter on and off.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bench.common import use_a_bench_key
from bot.settings import Settings
from bot.tg.app import build_application, open_services
from bot.tg.inbox import InboxProcessor
from bot.tg.ingest import poll
from bot.tg.services import Services
from documents.pool import DocumentRenderer
from models import migrate, sealed
from models.db import make_engine
from rules.clock import system_clock
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN
from tests.fakes.recording import RecordingRequest

# What an applicant types for the first questions (each is one measured step).
ANSWERS = ["/start", "企业", "本市", "外地", "杭州", "2026-11-20", "示例云帆科技有限公司"]
INBOX_DDL = (
    "CREATE TABLE IF NOT EXISTS inbox (update_id INTEGER PRIMARY KEY, chat_id INTEGER, "
    "payload TEXT, received_at TEXT, done_at TEXT)"
)
ECHO_DDL = "CREATE TABLE IF NOT EXISTS echo (id INTEGER PRIMARY KEY, text TEXT)"


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


def interviews(total: int, first_user: int = 10_000) -> list[dict[str, Any]]:
    """`total` updates of applicants each saying ANSWERS in order (the first a first contact)."""
    users = total // len(ANSWERS) + 1
    return [
        _update(i * len(ANSWERS) + j + 1, first_user + i, text)
        for i in range(users)
        for j, text in enumerate(ANSWERS)
    ][:total]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Ours:
    """beian as deployed: the inbox processor in front of the real Application."""

    async def open(self, db: Path, url: str | None = None) -> None:
        url = url or f"sqlite:///{db}"
        migrate.upgrade(url)
        settings = Settings(database_url=url, beian_today=dt.date(2026, 11, 28))
        self.app = build_application(
            settings, TOKEN, request=RecordingRequest(), rate_limited=False
        )
        await self.app.initialize()
        self.services: Services = await open_services(
            self.app, settings, lambda: DocumentRenderer(1), holder="bench"
        )
        self.processor = InboxProcessor(
            self.app, self.services.db, bot_id=self.app.bot.id, holder="bench", clock=system_clock
        )

    async def step(self, raw: dict[str, Any]) -> None:
        await self.processor.accept([raw])
        await self.processor.idle()

    async def sweep(self) -> None:
        """What `beian serve` does every 0.5 s (`ChatInbox.sweep`), not timed."""
        await self.processor.sweep()

    async def close(self) -> None:
        self.services.close()
        await self.app.shutdown()


class OursUnsealed(Ours):
    """beian as deployed, but its sealed columns store their values in the clear
    (`models.sealed.unsealed_for_benchmarks`, on a database of its own): what sealing the
    personal data (issue 26) adds to a step is this side against `Ours`."""

    async def open(self, db: Path, url: str | None = None) -> None:
        with sealed.unsealed_for_benchmarks():
            await super().open(db, url)

    async def step(self, raw: dict[str, Any]) -> None:
        with sealed.unsealed_for_benchmarks():
            await super().step(raw)

    async def sweep(self) -> None:
        with sealed.unsealed_for_benchmarks():  # what it reads back was stored in the clear
            await super().sweep()


class OursStoredFirst(Ours):
    """beian as deployed before `bot.answer_first`: every update stored (committed) on its
    own before it is answered, then its turn committed: two commits a step."""

    async def open(self, db: Path, url: str | None = None) -> None:
        await super().open(db, url)
        self.processor.answer_first = False


class Sealing:
    """Counts the values sealed and opened (`models.sealed.Keyring`) while inside, and times
    sealing where the step does it (issue 26's "encryption ≤ 50 µs per turn", measured in
    place rather than as two databases' difference):

    - `encrypting`: the time in `models.sealed._seal_encoded`, all that sealing adds to a JSON
      column's value once it is encoded as JSON (UTF-8, AES-GCM, base64), which a column in
      the clear encodes too;
    - `sealing` less `json` (the measure until 2026-12-06): the time in the functions that
      seal a JSON column's value (`_envelope_text`; `seal_json` outside the binds) less a
      second encoding of the same value as JSON. That second encoding runs on warm caches
      where the first did not, so this counts part of the JSON encoding's cost as sealing's."""

    def __init__(self) -> None:
        self.sealed = 0
        self.opened = 0
        self.sealing = 0.0  # seconds in the sealing functions
        self.json = 0.0  # seconds to encode the same values as JSON
        self.encrypting = 0.0  # seconds in `_seal_encoded` and `seal_text`
        self.whole = 0.0  # seconds in the binds that seal (JSON encoding included)

    def __enter__(self) -> Sealing:
        ring = sealed.active()
        self.ring, self.seal, self.open = ring, ring.seal, ring.open
        self.envelope, self.seal_json = sealed._envelope_text, sealed.seal_json

        def seal(data: bytes, aad: bytes) -> tuple[str, bytes]:
            self.sealed += 1
            return self.seal(data, aad)

        def open_(kid: str, blob: bytes, aad: bytes, where: str) -> bytes:
            self.opened += 1
            return self.open(kid, blob, aad, where)

        def timed(sealing: Any) -> Any:
            def run(obj: Any, *args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                result = sealing(obj, *args, **kwargs)
                between = time.perf_counter()
                sealed._ENCODE(obj)
                self.sealing += between - start
                self.json += time.perf_counter() - between
                return result

            return run

        def encrypting(text: str, *args: Any) -> tuple[str, str]:
            start = time.perf_counter()
            result = self.encoded(text, *args)
            self.encrypting += time.perf_counter() - start
            return result

        def text_sealing(text: str, **kwargs: Any) -> str:  # a text column's: all sealing
            start = time.perf_counter()
            result = self.seal_text(text, **kwargs)
            self.encrypting += time.perf_counter() - start
            self.whole += time.perf_counter() - start
            return result

        def envelope(obj: Any, context: str) -> str:  # a JSON column's: JSON and sealing
            start = time.perf_counter()
            result = self.envelope(obj, context)
            self.whole += time.perf_counter() - start
            return result

        ring.seal, ring.open = seal, open_  # type: ignore[method-assign]
        self.encoded, self.seal_text = sealed._seal_encoded, sealed.seal_text
        sealed._envelope_text = timed(envelope)
        sealed.seal_json = timed(self.seal_json)
        sealed._seal_encoded = encrypting
        sealed.seal_text = text_sealing
        return self

    def __exit__(self, *_exc: object) -> None:
        del self.ring.seal, self.ring.open
        sealed._envelope_text, sealed.seal_json = self.envelope, self.seal_json
        sealed._seal_encoded, sealed.seal_text = self.encoded, self.seal_text


class ClearBinds:
    """Times, where the step does it, what the sealed columns' binds do when they are not
    sealed (`unsealed_for_benchmarks`): a JSON column's value encoded as JSON (`json.dumps`,
    as the plain JSON type does). Beside `Sealing.whole` (the same binds sealed: JSON and
    sealing) it is a third measure of what sealing adds, both sides timed cold, in place."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> ClearBinds:
        import json
        import types

        def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
            start = time.perf_counter()
            result = json.dumps(obj, *args, **kwargs)
            self.seconds += time.perf_counter() - start
            return result

        self.json = sealed.json
        sealed.json = types.SimpleNamespace(dumps=dumps, loads=json.loads)  # type: ignore[assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        sealed.json = self.json


class FloorSQLAlchemy:
    """A bare durable echo bot on SQLAlchemy Core."""

    async def open(self, db: Path) -> None:
        self.engine = make_engine(f"sqlite:///{db}")
        with self.engine.begin() as conn:
            conn.execute(sa.text(INBOX_DDL))
            conn.execute(sa.text(ECHO_DDL))
        engine = self.engine

        async def echo(update: Update, context: Any) -> None:
            message = update.effective_message
            assert message is not None
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO echo (text) VALUES (:t)"), {"t": message.text})
                conn.execute(
                    sa.text("UPDATE inbox SET done_at = :now WHERE update_id = :u"),
                    {"now": dt.datetime.now(dt.UTC).isoformat(), "u": update.update_id},
                )
            await context.bot.send_message(message.chat_id, message.text)

        self.app = _bare_app(echo)
        await self.app.initialize()

    async def step(self, raw: dict[str, Any]) -> None:
        update = Update.de_json(raw, self.app.bot)
        assert update is not None
        assert update.effective_chat is not None
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO inbox (update_id, chat_id, payload, received_at) "
                    "VALUES (:u, :c, :p, :t) ON CONFLICT DO NOTHING"
                ),
                {
                    "u": update.update_id,
                    "c": update.effective_chat.id,
                    "p": _json(raw),
                    "t": dt.datetime.now(dt.UTC).isoformat(),
                },
            )
        await self.app.process_update(update)

    async def close(self) -> None:
        await self.app.shutdown()
        self.engine.dispose()


class FloorSqlite3:
    """A bare durable echo bot on the sqlite3 module (WAL, synchronous=NORMAL as ours)."""

    def __init__(self, synchronous: str = "NORMAL") -> None:
        self.synchronous = synchronous

    async def open(self, db: Path) -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        for pragma in ("journal_mode=WAL", f"synchronous={self.synchronous}", "busy_timeout=5000"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(INBOX_DDL)
        conn.execute(ECHO_DDL)
        self.conn = conn

        async def echo(update: Update, context: Any) -> None:
            message = update.effective_message
            assert message is not None
            conn.execute("BEGIN")
            conn.execute("INSERT INTO echo (text) VALUES (?)", (message.text,))
            conn.execute(
                "UPDATE inbox SET done_at = ? WHERE update_id = ?",
                (dt.datetime.now(dt.UTC).isoformat(), update.update_id),
            )
            conn.execute("COMMIT")
            await context.bot.send_message(message.chat_id, message.text)

        self.app = _bare_app(echo)
        await self.app.initialize()

    async def step(self, raw: dict[str, Any]) -> None:
        update = Update.de_json(raw, self.app.bot)
        assert update is not None
        assert update.effective_chat is not None
        self.conn.execute(
            "INSERT INTO inbox (update_id, chat_id, payload, received_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                update.update_id,
                update.effective_chat.id,
                _json(raw),
                dt.datetime.now(dt.UTC).isoformat(),
            ),
        )
        await self.app.process_update(update)

    async def close(self) -> None:
        await self.app.shutdown()
        self.conn.close()


def _json(raw: dict[str, Any]) -> str:
    import json

    return json.dumps(raw, ensure_ascii=False)


def _bare_app(echo: Any) -> Application:  # type: ignore[type-arg]
    request = RecordingRequest()
    app = Application.builder().token(TOKEN).request(request).get_updates_request(request)
    built = app.updater(None).build()
    built.add_handler(MessageHandler(filters.TEXT, echo))
    return built


async def _measure(side: Any, updates: list[dict[str, Any]]) -> list[float]:
    times = []
    for raw in updates:
        start = time.perf_counter()
        await side.step(raw)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def side_by_side(
    tmp: Path, steps: int, floors: dict[str, Any], *, alternate: bool = True
) -> tuple[list[float], dict[str, list[float]], dict[str, int]]:
    """Time our steps and each floor's, alternating blocks of 700 updates (or one after the
    other). Each applicant says ANSWERS in order: the first update is a first contact."""
    tmp.mkdir(parents=True, exist_ok=True)
    ours = Ours()
    await ours.open(tmp / "ours.db")
    for name, floor in floors.items():
        await floor.open(tmp / f"{name}.db")
    block = len(ANSWERS) * 100 if alternate else 50 + steps + len(ANSWERS) * 100
    total = 50 + steps + block + 700
    ours_updates = interviews(total)
    floor_updates = [
        _update(i + 1, 20_000 + i % 100, ANSWERS[i % len(ANSWERS)]) for i in range(total)
    ]

    def updates_of(side: Any) -> list[dict[str, Any]]:  # beian unsealed: the same interviews
        return ours_updates if isinstance(side, Ours) else floor_updates

    await _measure(ours, ours_updates[:50])  # warm-up: imports, first queries
    for floor in floors.values():
        await _measure(floor, updates_of(floor)[:50])
    ours.services.conversations.counts.clear()
    ours_ms: list[float] = []
    floor_ms: dict[str, list[float]] = {name: [] for name in floors}
    cpu: dict[str, float] = {"ours": 0.0, **dict.fromkeys(floors, 0.0)}
    start = 50
    while len(ours_ms) < steps:
        began = time.process_time()  # this process's CPU: steadier than the wall clock
        ours_ms += await _measure(ours, ours_updates[start : start + block])
        cpu["ours"] += time.process_time() - began
        for name, floor in floors.items():
            began = time.process_time()
            floor_ms[name] += await _measure(floor, updates_of(floor)[start : start + block])
            cpu[name] += time.process_time() - began
        start += block
    counts = dict(ours.services.conversations.counts)
    for name, seconds in cpu.items():  # µs of CPU per step, over every block
        counts[f"cpu {name}"] = seconds / len(ours_ms) * 1e6  # type: ignore[assignment]
    with Sealing() as sealing:  # not timed: how many values a step seals and opens
        await _measure(ours, ours_updates[start : start + 700])
    counts["sealed per step"] = sealing.sealed / 700  # type: ignore[assignment]
    counts["opened per step"] = sealing.opened / 700  # type: ignore[assignment]
    counts["sealing µs"] = sealing.sealing / 700 * 1e6  # type: ignore[assignment]
    counts["json µs"] = sealing.json / 700 * 1e6  # type: ignore[assignment]
    counts["encrypting µs"] = sealing.encrypting / 700 * 1e6  # type: ignore[assignment]
    await ours.close()
    for floor in floors.values():
        await floor.close()
    return ours_ms[:steps], {k: v[:steps] for k, v in floor_ms.items()}, counts


async def through_fake_server(
    db: Path, conversations: int, *, rate_limited: bool = True
) -> tuple[float, int]:
    """Push /start and one answer for each of N users; time until every reply arrived."""
    fake = FakeBotAPI(TOKEN).start()
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    settings = Settings(
        database_url=url, telegram_api_base_url=fake.base_url, beian_today=dt.date(2026, 11, 28)
    )
    app = build_application(settings, TOKEN, rate_limited=rate_limited)
    await app.initialize()
    services = await open_services(app, settings, lambda: DocumentRenderer(1), holder="bench")
    await app.start()
    processor = InboxProcessor(
        app, services.db, bot_id=app.bot.id, holder="bench", clock=system_clock
    )
    stop = asyncio.Event()
    polling = asyncio.create_task(poll(app.bot, processor, stop, timeout=1))
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
    stop.set()
    await polling
    await processor.drain()
    await app.stop()
    services.close()
    await app.shutdown()
    fake.stop()
    return expected / elapsed, len(fake.calls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument(
        "--steps-only", action="store_true", help="Only the step against its floors (no HTTP)."
    )
    parser.add_argument(
        "--stored-first-only",
        action="store_true",
        help="Only beian against itself storing every update first, and the SQLAlchemy floor.",
    )
    args = parser.parse_args()
    use_a_bench_key()
    if args.stored_first_only:
        with tempfile.TemporaryDirectory() as tmp:
            sides = {"stored first": OursStoredFirst(), "sqlalchemy": FloorSQLAlchemy()}
            mine, bare, counts = asyncio.run(side_by_side(Path(tmp), args.steps, sides))
        first, floor = _pct(bare["stored first"], 0.5), _pct(bare["sqlalchemy"], 0.5)
        print(
            f"p50 with its turn {_pct(mine, 0.5):.3f} ms, stored first {first:.3f} ms, "
            f"floor {floor:.3f} ms: {_pct(mine, 0.5) / floor:.2f}× against {first / floor:.2f}×"
            f"; CPU {counts['cpu ours']:.0f} against {counts['cpu stored first']:.0f} µs a step"
        )
        return

    def floors() -> dict[str, Any]:
        return {
            "sqlalchemy": FloorSQLAlchemy(),
            "sqlite3": FloorSqlite3(),
            "sqlite3_full": FloorSqlite3("FULL"),
            "unsealed": OursUnsealed(),
            "stored first": OursStoredFirst(),
        }

    rate = raw_rate = calls = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        ours_ms, floor_ms, counts = asyncio.run(side_by_side(Path(tmp) / "a", args.steps, floors()))
        apart = asyncio.run(side_by_side(Path(tmp) / "b", args.steps, floors(), alternate=False))
        if not args.steps_only:
            rate, calls = asyncio.run(
                through_fake_server(Path(tmp) / "fake.db", args.conversations)
            )
            raw_rate, _ = asyncio.run(
                through_fake_server(Path(tmp) / "raw.db", args.conversations, rate_limited=False)
            )
    print(
        f"steps measured: {len(ours_ms)} per side and way (SQLite files, WAL); our turns in the "
        f"first run: {counts.get('quick', 0)} quick, "
        f"{counts.get('whole', 0) + counts.get('missed', 0)} whole; values sealed / opened per "
        f"step: {counts.get('sealed per step', 0):.2f} / {counts.get('opened per step', 0):.2f}"
    )
    print(
        f"encryption per step, timed in place (700 steps): {counts['encrypting µs']:.1f} µs "
        f"(target ≤ 50 µs; as measured until 2026-12-06, the sealing functions "
        f"{counts['sealing µs']:.1f} µs less a warm JSON encoding {counts['json µs']:.1f} µs: "
        f"{counts['sealing µs'] - counts['json µs']:.1f} µs)"
    )
    print(
        f"CPU per step (this process, every block of the first run): beian "
        f"{counts['cpu ours']:.0f} µs, unsealed {counts['cpu unsealed']:.0f} µs (sealing adds "
        f"{counts['cpu ours'] - counts['cpu unsealed']:+.0f} µs), SQLAlchemy floor "
        f"{counts['cpu sqlalchemy']:.0f} µs"
    )
    print(
        "| measure | beian step (sealed) | beian, unsealed | sealing adds | sealed / unsealed "
        "| SQLAlchemy floor | sealed / floor | unsealed / floor | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    runs = (("alternating blocks of 700", ours_ms, floor_ms), ("one after the other", *apart[:2]))
    for label, mine, bare in runs:
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            a, u, f = _pct(mine, q), _pct(bare["unsealed"], q), _pct(bare["sqlalchemy"], q)
            print(
                f"| {name}, {label} | {a:.3f} ms | {u:.3f} ms | {(a - u) * 1000:+.0f} µs | "
                f"{a / u:.2f}× | {f:.3f} ms | {a / f:.2f}× | {u / f:.2f}× | ≤ 1.5× the floor |"
            )
    print()
    print(
        "| measure | beian step (stored with its turn) | beian, stored first | SQLAlchemy floor "
        "| with its turn / floor | stored first / floor | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, mine, bare in runs:
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            a, b, f = _pct(mine, q), _pct(bare["stored first"], q), _pct(bare["sqlalchemy"], q)
            print(
                f"| {name}, {label} | {a:.3f} ms | {b:.3f} ms | {f:.3f} ms | {a / f:.2f}× | "
                f"{b / f:.2f}× | ≤ 1.5× |"
            )
    print()
    print(
        "| measure | beian step | floor: SQLAlchemy | ratio | floor: sqlite3 | ratio | "
        "floor: sqlite3, synchronous=FULL | target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    runs = (("alternating blocks of 700", ours_ms, floor_ms), ("one after the other", *apart[:2]))
    for label, mine, bare in runs:
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            a = _pct(mine, q)
            s, r, f = (_pct(bare[k], q) for k in ("sqlalchemy", "sqlite3", "sqlite3_full"))
            print(
                f"| {name}, {label} | {a:.3f} ms | {s:.3f} ms | {a / s:.2f}× | {r:.3f} ms | "
                f"{a / r:.2f}× | {f:.3f} ms | ≤ 1.5× |"
            )
    print(
        f"| mean, alternating | {statistics.mean(ours_ms):.3f} ms | "
        f"{statistics.mean(floor_ms['sqlalchemy']):.3f} ms | | "
        f"{statistics.mean(floor_ms['sqlite3']):.3f} ms | | "
        f"{statistics.mean(floor_ms['sqlite3_full']):.3f} ms | |"
    )
    if args.steps_only:
        return
    print(
        f"| {args.conversations} conversations × 2 updates via the fake server (HTTP, polling), "
        f"AIORateLimiter on (as deployed) | {rate:.0f} updates/s ({calls:.0f} Bot API calls) |"
    )
    print(f"| the same with the rate limiter off | {raw_rate:.0f} updates/s |")


if __name__ == "__main__":
    main()
