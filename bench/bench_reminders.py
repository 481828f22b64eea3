"""Reminders (issue 13): claiming the due batch among 1,000,000 rows, and dispatch rates.

Run: .venv/bin/python -m bench.bench_reminders [--rows 1000000] [--postgres URL]

Targets, each beside its baseline in one run:
- **Claim** (`bot.tg.reminders.claim_rows`: one `UPDATE … WHERE id IN (SELECT … FOR UPDATE
  SKIP LOCKED LIMIT 100) RETURNING …`, rolled back after each timing) with
  1,000,000 reminder rows, most sent or due later: ≤ 5 ms, on SQLite and on PostgreSQL. Beside
  it, the same claim with the partial index on pending rows' due time dropped (the baseline:
  what the index buys). The query plans are printed.
- **Dispatch, pacing off**: ≥ 1,000 reminders/s to the local fake Bot API server (real PTB Bot
  over HTTP, real rows, marked sent; 4 sends in flight; the server in its own process),
  beside the same sendMessage calls 4 at a time with no database (the floor: what this
  machine's Python HTTP client reaches at all). Both with the bot's HTTP client as deployed
  (`bot.tg.transport`, aiohttp) and with PTB's own (httpx: the code before), in one run.
- **Dispatch, pacing on**: within 5 % of the configured rate.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from telegram import Bot

from bench.common import use_a_bench_key
from bot.filing_actions import Reviewers
from bot.tg import ui
from bot.tg.delivery import call
from bot.tg.reminders import Pacer, dispatch
from bot.tg.transport import bot_request
from dialogs.model import Context
from models import migrate, sealed
from models.db import make_engine, session_scope
from models.reminders import claim_rows
from models.repo import create_filing, get_or_create_applicant
from models.tables import Filing
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai: not quiet
PAYLOAD = (
    '{"kind": "filing", "step": 1, "due": "2026-12-02", "send_on": "2026-11-20", '
    '"to": "applicant", "phase": "before-7"}'
)


def _filing(engine: sa.Engine) -> int:
    with session_scope(engine) as s:
        who = get_or_create_applicant(session=s, channel="telegram", external_id="1")
        filing = create_filing(
            session=s,
            filing=Filing(applicant_id=who.id or 0, subject_type="individual",
                          maintenance="local", server="local", site_name="bench"),
            actor="bench",
            now=NOW,
        )  # fmt: skip
        return filing.id or 0


def _sqlite_time(at: dt.datetime) -> str:
    """A moment as SQLAlchemy keeps it in SQLite (UTC, no zone)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _fill(engine: sa.Engine, rows: int, due: int, filing_id: int) -> None:
    """`rows` reminder rows: `due` pending and due now, a fiftieth pending later, the rest sent."""
    later = rows // 50
    cols = (
        "kind, dedupe_key, filing_id, applicant_id, chat_id, due_at, payload, status, "
        "attempts, created_at"
    )
    chunk = 20_000
    # One sealed payload for every row (issue 26: the outbox's payloads are sealed).
    payload = json.dumps(
        sealed.seal_json(json.loads(PAYLOAD), context="outbox.payload"), separators=(",", ":")
    )
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cur = raw.cursor()
        sqlite = engine.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        sql = f"INSERT INTO outbox ({cols}) VALUES ({', '.join([mark] * 10)})"
        for start in range(0, rows, chunk):
            batch = []
            for i in range(start, min(rows, start + chunk)):
                if i < due:
                    at, status = NOW - dt.timedelta(minutes=1 + i % 600), "pending"
                elif i < due + later:
                    at, status = NOW + dt.timedelta(days=1 + i % 60), "pending"
                else:
                    at, status = NOW - dt.timedelta(days=1 + i % 300), "sent"
                stamp = _sqlite_time(at) if sqlite else at
                batch.append(("reminder", f"reminder:b:{i}", filing_id, 1, 100_000 + i % 50_000,
                              stamp, payload, status, 0, stamp))  # fmt: skip
            cur.executemany(sql, batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _claim_ms(engine: sa.Engine, runs: int = 60) -> list[float]:
    """Time a claim of the due batch, rolled back each time (the same rows stay due)."""
    times = []
    for _ in range(runs):
        with engine.connect() as conn:
            from sqlmodel import Session

            session = Session(bind=conn)
            start = time.perf_counter()
            got = claim_rows(session, "bench", NOW, limit=100)
            times.append((time.perf_counter() - start) * 1000)
            assert len(got) == 100
            session.rollback()
            session.close()
    return times


def _plan(engine: sa.Engine) -> str:
    query = (
        "SELECT id FROM outbox WHERE status = 'pending' AND due_at <= :now "
        "AND (lease_until IS NULL OR lease_until < :now) AND kind IN ('reminder') "
        "ORDER BY due_at, id LIMIT 100"
    )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(sa.text(f"EXPLAIN QUERY PLAN {query}"), {"now": _sqlite_time(NOW)})
            return "\n".join(str(r[-1]) for r in rows)
        rows = conn.execute(sa.text(f"EXPLAIN (ANALYZE, COSTS OFF) {query}"), {"now": NOW})
        return "\n".join(str(r[0]) for r in rows)


def _stats(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms"


def claim_bench(url: str, rows: int) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    _fill(engine, rows, 5_000, _filing(engine))
    with_index = _claim_ms(engine)
    print(
        f"{engine.dialect.name}: claim 100 of {rows:,} rows (partial index): {_stats(with_index)}"
    )
    print("  plan:\n    " + _plan(engine).replace("\n", "\n    "))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_outbox_pending_due")
    engine.dispose()  # fresh connections: no statement planned with the index
    without = _claim_ms(engine, runs=10)
    print(f"{engine.dialect.name}: claim without the partial index (baseline): {_stats(without)}")
    print("  plan:\n    " + _plan(engine).replace("\n", "\n    "))
    engine.dispose()


@functools.cache
def _pack_and_calendar() -> tuple[Any, WorkdayCalendar]:
    pack = load_pack("example")  # read once, as `beian serve` does (context_factory)
    return pack, WorkdayCalendar(pack.calendar)


def _context() -> Context:
    pack, calendar = _pack_and_calendar()
    return Context(pack=pack, calendar=calendar, today=NOW.date())


def _serve(conn: Any) -> None:
    """The local Bot API server in its own process (as Telegram is another machine): its URL,
    then, when asked, how many messages it received."""
    fake = FakeBotAPI(TOKEN).start()
    conn.send(fake.base_url)
    while conn.recv() == "count":
        conn.send(len([c for c in fake.calls_of("sendMessage") if c.status == 200]))
    fake.stop()


class _Server:
    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,))
        self.process.start()
        self.base_url: str = self.conn.recv()

    def received(self) -> int:
        self.conn.send("count")
        return int(self.conn.recv())

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


async def _dispatch_rate(
    url: str, count: int, rate: float | None, client: str = "aiohttp"
) -> tuple[float, float, float, float]:
    """Reminders/s of `dispatch` for `count` due rows, and of a bare send loop (the floor),
    through the HTTP `client`; then the CPU time of this process (all its threads) per
    reminder and per bare call, in µs — steadier than the rates when others share the
    machine."""
    migrate.upgrade(url)
    engine = make_engine(url)
    _fill(engine, count, count, _filing(engine))
    fake = _Server()
    try:
        request = bot_request(client, 32)  # as `beian remind` has
        async with Bot(TOKEN, base_url=f"{fake.base_url}/bot", request=request) as bot:
            start, cpu = time.perf_counter(), time.process_time()
            counts = await dispatch(
                engine,
                bot,
                context=_context,
                clock=lambda: NOW,
                worker="bench",
                reviewers=Reviewers(),
                button_key=ui.button_key(TOKEN),
                pacer=Pacer(rate),
            )
            ours = counts.sent / (time.perf_counter() - start)
            ours_cpu = (time.process_time() - cpu) / count * 1e6
            assert counts.sent == count == fake.received(), counts
            start, cpu = time.perf_counter(), time.process_time()
            gate = asyncio.Semaphore(4)  # the same sends, as many at once, no database

            async def floor_send(i: int) -> None:
                async with gate:
                    await call(bot, "sendMessage", chat_id=200_000 + i, text="floor")

            if rate is None:
                await asyncio.gather(*(floor_send(i) for i in range(count)))
            floor = count / (time.perf_counter() - start) if rate is None else 0.0
            floor_cpu = (time.process_time() - cpu) / count * 1e6 if rate is None else 0.0
    finally:
        fake.stop()
        engine.dispose()
    return ours, floor, ours_cpu, floor_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (a fresh database)")
    parser.add_argument("--dispatch", type=int, default=3_000)
    parser.add_argument("--no-claim", action="store_true", help="only the dispatch rates")
    parser.add_argument("--no-httpx", action="store_true", help="the dispatch on aiohttp only")
    parser.add_argument("--no-pacing", action="store_true", help="no paced dispatch")
    args = parser.parse_args()
    use_a_bench_key()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_claim:
            claim_bench(f"sqlite:///{Path(tmp) / 'claim.db'}", args.rows)
        if args.postgres and not args.no_claim:
            claim_bench(args.postgres, args.rows)
        for client in ("aiohttp", "httpx"):
            ours, floor, ours_cpu, floor_cpu = asyncio.run(
                _dispatch_rate(f"sqlite:///{Path(tmp) / f'd-{client}.db'}", args.dispatch, None,
                               client)
            )  # fmt: skip
            shown = "as deployed" if client == "aiohttp" else "PTB's own: the code before"
            print(f"dispatch, pacing off, {client} ({shown}): {ours:,.0f} reminders/s "
                  f"(target ≥ 1,000), CPU {ours_cpu:,.0f} µs each; bare send loop (floor): "
                  f"{floor:,.0f}/s, CPU {floor_cpu:,.0f} µs each")  # fmt: skip
            if args.no_httpx:
                break
        for rate in () if args.no_pacing else (25.0, 100.0):
            n = int(rate * 8)
            got, *_ = asyncio.run(
                _dispatch_rate(f"sqlite:///{Path(tmp) / f'p{rate:.0f}.db'}", n, rate)
            )
            print(f"dispatch, pacing {rate:.0f}/s: {got:.1f}/s ({(got / rate - 1) * 100:+.1f} %; "
                  "target within 5 %)")  # fmt: skip


if __name__ == "__main__":
    main()
