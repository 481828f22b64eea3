"""Peer benchmark (issue 16): beian against the same interview built the usual way.

Run: .venv/bin/python -m bench.peer.bench_peer [--sizes 100,10000,100000] [--steps 200]
     [--budget 30]

For each size N of stored conversations (N private chats, each after /start and "企业", at the
maintenance question), three sides, each in its own fresh process on its own copy of the data:

- **peer, per-update flush**: `bench.peer.usual_bot` (a `ConversationHandler`, persistent, on
  `PicklePersistence` with its defaults), `await app.update_persistence()` after every update:
  the durable equivalent of beian, which commits every update before acknowledging it. With
  PTB's default `on_flush=False` each changed `update_*` call writes the whole pickle file.
- **peer, default update_interval** (60 s): nothing is written in the timed window (≤ budget
  seconds, under 60 s); an update acknowledged since the last write is lost if the process
  dies. Not durable: the lower bound of what the usual build costs per update.
- **beian**: the real `Application` (`bot.tg.app.build_application` + `open_services`) behind
  the `InboxProcessor`, on SQLite; a step is `processor.accept([raw]); processor.idle()`. The N
  interviews are stored rows: one written by the real code (/start, "企业") and copied N−1
  times in SQL (the row holds nothing per person besides its applicant).

Start-up: from building the `Application` to when it can take an update (peer: `initialize()`
— which loads the pickle — and `start()`; beian: `initialize()`, `open_services()`, the inbox
processor, `start()`; its migration check, which `beian serve` also runs first, is printed
apart). Imports are timed apart too. RSS: the side's own process (VmRSS after start-up and after
the steps, VmHWM the peak); beian's render workers are separate processes (printed apart).

The timed updates: `--steps` answers on conversations of the stored population, chosen at
random, in rounds (each chosen chat answers its question, then each answers the next …), the
answers beian's bench types after "企业" (bench.bench_telegram.ANSWERS). beian's process starts
with nothing in memory: a chat's first answer reads its row, its later ones are remembered (it
keeps the last 10,000 chats). A side stops early when its timed steps take more than
`--budget` seconds; the table says how many were measured. Replies go through a recording
request (no sockets, no network).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# bench.bench_telegram.ANSWERS, checked equal in main(): the worker processes do not import
# beian's bench (it would load beian into the peer's process).
ANSWERS = ["/start", "企业", "本市", "外地", "杭州", "2026-11-20", "示例云帆科技有限公司"]
PREFILLED = 2  # the population has sent /start and "企业"
TIMED = ANSWERS[PREFILLED:]
FIRST_USER = 1_000_000
FIRST_TIMED_UPDATE = 10_000_000
WARM_UP_CHATS = 2  # untimed: their answers warm imports, caches and compiled statements
MODES = ("peer-flush", "peer-interval", "beian")
TOKEN = "123456789:TESTtokenForTheLocalFakeBotApiServer0"  # tests.fakes.driver.TOKEN
TODAY = (2026, 11, 28)  # beian's "today" in the benches


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private text message as Telegram sends it (a command carries its entity)."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "测", "language_code": "zh"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _status_mb(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB (10^6 bytes)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024 / 1e6
    return found


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (beian's forkserver and render worker)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, of in parents.items() if of == parent]
        found += kids
        frontier += kids
    return found


def timed_updates(size: int, steps: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The warm-up updates and the timed ones: answers of chats chosen from the population."""
    chats_needed = min(size - WARM_UP_CHATS, math.ceil(steps / len(TIMED)))
    chosen = random.Random(size).sample(range(size), chats_needed + WARM_UP_CHATS)
    warm, timed = chosen[:WARM_UP_CHATS], chosen[WARM_UP_CHATS:]
    update_id = FIRST_TIMED_UPDATE

    def rounds(chats: list[int]) -> list[dict[str, Any]]:
        nonlocal update_id
        out = []
        for text in TIMED:
            for chat in chats:
                update_id += 1
                out.append(_update(update_id, FIRST_USER + chat, text))
        return out

    warm_updates = rounds(warm)
    return warm_updates, rounds(timed)[:steps]


@dataclass
class Measured:
    """What one side's process reports."""

    mode: str
    import_s: float
    startup_s: float
    ms: list[float]
    rss_start: float
    rss_end: float
    hwm: float
    extra: dict[str, Any]

    def p(self, q: float) -> float:
        """The q-quantile of the step times, in ms."""
        return _pct(self.ms, q)


# --- the worker processes ---------------------------------------------------------------------


async def _timed(
    step: Any, warm: list[dict[str, Any]], updates: list[dict[str, Any]], budget: float
) -> list[float]:
    """Run the warm-up updates, then time each update until all ran or `budget` s passed."""
    for raw in warm:
        await step(raw)
    times: list[float] = []
    began = time.perf_counter()
    for raw in updates:
        start = time.perf_counter()
        await step(raw)
        times.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() - began > budget:
            break
    return times


async def run_peer(data: Path, size: int, steps: int, budget: float, *, flush: bool) -> Measured:
    """The usual build in this process: start it on `data`, time the steps."""
    t0 = time.perf_counter()
    from telegram import Update
    from telegram.ext import PicklePersistence

    from bench.peer.usual_bot import build_usual_application
    from tests.fakes.recording import RecordingRequest

    import_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    app = build_usual_application(data, TOKEN, request=RecordingRequest())
    await app.initialize()  # loads user_data, chat_data, bot_data and the conversations
    await app.start()  # the persistence loop: update_persistence every update_interval
    startup_s = time.perf_counter() - t1
    rss_start = _status_mb()["VmRSS"]
    interval = app.persistence.update_interval if app.persistence else 0.0
    writes = [0]
    write_file = PicklePersistence._dump_singlefile

    def counted(self: Any) -> None:  # how many times the whole file is written
        writes[0] += 1
        write_file(self)

    PicklePersistence._dump_singlefile = counted  # type: ignore[method-assign]

    async def step(raw: dict[str, Any]) -> None:
        update = Update.de_json(raw, app.bot)
        await app.process_update(update)
        if flush:
            await app.update_persistence()

    warm, updates = timed_updates(size, steps)
    ms = await _timed(step, warm, updates, budget)
    status = _status_mb()
    conversations = sum(len(c) for c in app._conversation_handler_conversations.values())
    in_steps = writes[0]
    await app.stop()
    t2 = time.perf_counter()
    await app.shutdown()  # writes what the loop has not written (update_persistence + flush)
    shutdown_s = time.perf_counter() - t2
    return Measured(
        "peer-flush" if flush else "peer-interval",
        import_s,
        startup_s,
        ms,
        rss_start,
        status["VmRSS"],
        status["VmHWM"],
        {
            "update_interval_s": interval,
            "conversations_in_memory": conversations,
            "pickle_mb": data.stat().st_size / 1e6,
            "file_writes_per_step": in_steps / max(1, len(ms) + len(warm)),
            # What the persistence loop's next run (or shutdown) does with the steps' changes:
            # with on_flush=False, one whole-file write per changed user and conversation.
            "final_write_s": shutdown_s,
            "final_write_files": writes[0] - in_steps,
        },
    )


async def run_beian(db: Path, size: int, steps: int, budget: float) -> Measured:
    """beian in this process: start it on the SQLite file `db`, time the steps."""
    t0 = time.perf_counter()
    import datetime as dt

    from bot.settings import Settings
    from bot.tg.app import build_application, open_services
    from bot.tg.inbox import InboxProcessor
    from documents.pool import DocumentRenderer
    from models import migrate
    from rules.clock import system_clock
    from tests.fakes.recording import RecordingRequest

    import_s = time.perf_counter() - t0
    url = f"sqlite:///{db}"
    settings = Settings(database_url=url, beian_today=dt.date(*TODAY))
    t_migrate = time.perf_counter()
    migrate.upgrade(url)  # `beian serve` checks this before it starts (nothing to do here)
    migrate_s = time.perf_counter() - t_migrate
    t1 = time.perf_counter()
    app = build_application(settings, TOKEN, request=RecordingRequest(), rate_limited=False)
    await app.initialize()
    services = await open_services(app, settings, lambda: DocumentRenderer(1), holder="bench")
    processor = InboxProcessor(
        app, services.db, bot_id=app.bot.id, holder="bench", clock=system_clock
    )
    await app.start()
    startup_s = time.perf_counter() - t1
    rss_start = _status_mb()["VmRSS"]
    # The render worker learns the fonts' coverage in the background: let it finish first, so
    # its process start does not share the timed window (it is no part of a step).
    await asyncio.gather(*services.background, return_exceptions=True)
    conversations = services.conversations
    remembered: list[bool] = []

    async def step(raw: dict[str, Any]) -> None:
        await processor.accept([raw])
        await processor.idle()

    warm, updates = timed_updates(size, steps)

    async def timed_step(raw: dict[str, Any]) -> None:
        remembered.append(
            conversations.known("telegram", str(raw["message"]["from"]["id"])) is not None
        )
        await step(raw)

    for raw in warm:
        await step(raw)
    conversations.counts.clear()
    ms = await _timed(timed_step, [], updates, budget)
    status = _status_mb()
    workers = sum(_status_mb(pid).get("VmRSS", 0.0) for pid in _descendants(os.getpid()))
    read = [t for t, known in zip(ms, remembered, strict=False) if not known]
    from_memory = [t for t, known in zip(ms, remembered, strict=False) if known]
    extra = {
        "migrate_s": migrate_s,
        "counts": dict(conversations.counts),
        "remembered_steps": len(from_memory),
        "read_steps": len(read),
        "read_p50": _pct(read, 0.5) if read else None,
        "remembered_p50": _pct(from_memory, 0.5) if from_memory else None,
        "in_memory_after": len(conversations._known),
        "capacity": conversations.capacity,
        "render_workers_rss_mb": workers,
        "db_mb": db.stat().st_size / 1e6,
    }
    await app.stop()
    services.close()
    await app.shutdown()
    return Measured(
        "beian",
        import_s,
        startup_s,
        ms,
        rss_start,
        status["VmRSS"],
        status["VmHWM"],
        extra,
    )


def worker(mode: str, data: Path, size: int, steps: int, budget: float) -> None:
    """Run one side in this process and print what it measured as one JSON line."""
    if mode == "beian":
        measured = asyncio.run(run_beian(data, size, steps, budget))
    else:
        measured = asyncio.run(run_peer(data, size, steps, budget, flush=mode == "peer-flush"))
    print(json.dumps(measured.__dict__))


# --- preparing the stored populations ---------------------------------------------------------


def prepare_peer(path: Path, size: int) -> None:
    """A pickle file as PicklePersistence writes it, with `size` mid-interview chats."""
    from bench.peer.usual_bot import write_population
    from tests.fakes.recording import RecordingRequest

    users = range(FIRST_USER, FIRST_USER + size)
    asyncio.run(write_population(path, TOKEN, users, RecordingRequest()))


async def _template_interview(db: Path) -> None:
    """Drive the first chat of the population through /start and "企业" with the real code."""
    import datetime as dt

    from bot.settings import Settings
    from bot.tg.app import build_application, open_services
    from bot.tg.inbox import InboxProcessor
    from documents.pool import DocumentRenderer
    from models import migrate
    from rules.clock import system_clock
    from tests.fakes.recording import RecordingRequest

    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, beian_today=dt.date(*TODAY))
    app = build_application(settings, TOKEN, request=RecordingRequest(), rate_limited=False)
    await app.initialize()
    services = await open_services(app, settings, lambda: DocumentRenderer(1), holder="bench")
    processor = InboxProcessor(
        app, services.db, bot_id=app.bot.id, holder="bench", clock=system_clock
    )
    for update_id, text in enumerate(ANSWERS[:PREFILLED], start=1):
        await processor.accept([_update(update_id, FIRST_USER, text)])
        await processor.idle()
    await asyncio.gather(*services.background, return_exceptions=True)
    services.close()
    await app.shutdown()


def prepare_beian(db: Path, size: int) -> None:
    """A SQLite file with `size` stored interviews at the maintenance question: the first
    written by beian itself, the others copies of its row, each with its own applicant."""
    asyncio.run(_template_interview(db))
    conn = sqlite3.connect(db)
    try:
        template_id, channel, name, language, created = conn.execute(
            "SELECT id, channel, display_name, language, created_at FROM applicant "
            "WHERE external_id = ?",
            (str(FIRST_USER),),
        ).fetchone()
        columns = (
            "status, question, answers, history, language, version, created_at, updated_at, "
            "purge_after, flow"
        )
        row = conn.execute(
            f"SELECT {columns} FROM interview WHERE applicant_id = ?", (template_id,)
        ).fetchone()
        assert row[1] == "maintenance", row
        conn.executemany(
            "INSERT INTO applicant (channel, external_id, display_name, language, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((channel, str(FIRST_USER + i), name, language, created) for i in range(1, size)),
        )
        marks = ", ".join("?" * len(row))
        conn.execute(
            f"INSERT INTO interview (applicant_id, {columns}) "
            f"SELECT id, {marks} FROM applicant WHERE id != ? ORDER BY id",
            (*row, template_id),
        )
        conn.commit()
        stored = conn.execute("SELECT count(*) FROM interview").fetchone()[0]
        assert stored == size, (stored, size)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# --- the run ----------------------------------------------------------------------------------


def _run_side(mode: str, data: Path, size: int, steps: int, budget: float) -> Measured:
    argv = [
        sys.executable,
        "-m",
        "bench.peer.bench_peer",
        "--worker",
        mode,
        "--data",
        str(data),
        "--size",
        str(size),
        "--steps",
        str(steps),
        "--budget",
        str(budget),
    ]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} at {size} failed:\n{done.stderr[-3000:]}")
    return Measured(**json.loads(done.stdout.strip().splitlines()[-1]))


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        extra = source.with_name(source.name + suffix)
        if extra.exists():
            shutil.copyfile(extra, target.with_name(target.name + suffix))
    return target


def _pair(m: Measured) -> str:
    return f"{m.p(0.5):.2f} / {m.p(0.99):.2f} ms (n={len(m.ms)})"


def _ratio(a: float, b: float) -> str:
    r = a / b
    return f"{r:.1f}×" if r < 10 else f"{r:,.0f}×"


def main() -> None:
    """Prepare each size's populations, run each side in its own process, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds of timed steps")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.size, args.steps, args.budget)
        return

    from bench.bench_telegram import ANSWERS as BENCH_ANSWERS

    assert BENCH_ANSWERS == ANSWERS, "bench.bench_telegram.ANSWERS changed: update this copy"
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Measured]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for size in sizes:
            t = time.perf_counter()
            prepare_peer(base / f"peer-{size}.pickle", size)
            prepare_beian(base / f"beian-{size}.db", size)
            print(f"size {size}: populations ready in {time.perf_counter() - t:.1f} s", flush=True)
            results[size] = {}
            for mode in MODES:
                source = base / (f"beian-{size}.db" if mode == "beian" else f"peer-{size}.pickle")
                data = _copy(source, base / f"run-{mode}-{size}{source.suffix}")
                m = _run_side(mode, data, size, args.steps, args.budget)
                results[size][mode] = m
                print(
                    f"  {mode}: {_pair(m)}, start-up {m.startup_s:.3f} s, RSS {m.rss_end:.0f} MB",
                    flush=True,
                )
    print()
    print(
        "| stored conversations | peer, per-update flush p50 / p99 | "
        "peer, default update_interval p50 / p99 (not durable) | beian p50 / p99 | "
        "ratio peer flush / beian (p50, p99) | start-up peer / beian | RSS peer / beian |"
    )
    print("|---:|---|---|---|---|---|---|")
    for size, sides in results.items():
        flush, interval, ours = sides["peer-flush"], sides["peer-interval"], sides["beian"]
        print(
            f"| {size:,} | {_pair(flush)} | {_pair(interval)} | {_pair(ours)} | "
            f"{_ratio(flush.p(0.5), ours.p(0.5))} / {_ratio(flush.p(0.99), ours.p(0.99))} | "
            f"{flush.startup_s:.3f} / {ours.startup_s:.3f} s | "
            f"{flush.rss_end:.0f} / {ours.rss_end:.0f} MB |"
        )
    print()
    print("Details (RSS in MB = 10^6 bytes; after start-up → after the steps, peak):")
    for size, sides in results.items():
        for mode, m in sides.items():
            extra = ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.extra.items()
            )
            print(
                f"- {size:,} {mode}: imports {m.import_s:.2f} s, start-up {m.startup_s:.3f} s, "
                f"RSS {m.rss_start:.0f} → {m.rss_end:.0f} (peak {m.hwm:.0f}), "
                f"p50 {m.p(0.5):.3f} ms, p99 {m.p(0.99):.3f} ms, max {max(m.ms):.3f} ms, "
                f"n {len(m.ms)}; {extra}"
            )


if __name__ == "__main__":
    main()
