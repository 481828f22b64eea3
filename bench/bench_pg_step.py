"""The durable step on PostgreSQL against the same step on SQLite, and against PostgreSQL as it
was before issue 16, side by side in one run.

Run: .venv/bin/python -m bench.bench_pg_step [--postgres URL] [--steps 3000]

Target (issue 16, item 4): the PostgreSQL step ≤ 2 × the SQLite step (p50 and p99). The step is
bench_telegram's: the update stored in the inbox and committed, then processed through the
real `Application` (an interview turn on the fast store, the inbox row marked done in the
turn's transaction, the reply to a recording request). Sides, each on a database of its own
(a SQLite file; a fresh PostgreSQL schema), in alternating blocks of 700 updates:

- **sqlite**: as deployed by default (WAL, `synchronous=NORMAL`: a commit survives a crash of
  the process, not of the machine — no sync per commit).
- **sqlite, stored first**: as deployed before issue 26's answering first: every update
  stored (committed) on its own before it is answered; now a quiet chat's is stored with its
  turn (`bot.answer_first`).
- **sqlite, synchronous=FULL**: every commit synced to disk, the durability PostgreSQL's
  default (`synchronous_commit=on`) gives: the like-for-like baseline.
- **postgres**: as deployed now (every side sweeps before each block and after its warm-up,
  as `beian serve` sweeps every 0.5 s: on PostgreSQL the sweep analyzes the hot tables once
  they changed past autovacuum's threshold, `models.planner_stats`): the hot path on the
  loop's own connection (no thread hop), psycopg's server-side prepared statements after 5
  uses (kept: no read ends with a ROLLBACK), no ping per checkout; a quiet chat's update
  answered first and written done with its turn in one statement, synced (`bot.answer_first`,
  `models.fast_store._advance_stored`): one round trip and one flush a step.
- **postgres, stored first**: as deployed before that (2026-12-06, 41f10b8's step): the update
  stored with its chat's waiting ids in one statement, synced, then the turn's statement, not
  synced (`ChatInbox.answer_first = False`): two round trips a step.
- **postgres, never analyzed**: as deployed, but the inbox's sweep never refreshes the
  planner's statistics (`models.planner_stats`), as before 2026-12-06 (evening) on a server
  without autovacuum (this machine's and the CI's): the turn's statement kept a plan made
  when the inbox was a few rows, which reads every done row of the bot.
- **postgres, before**: the code's configuration before: every statement in a worker thread
  (`Database(inline=False)`), `pool_pre_ping=True` (a `SELECT 1` per checkout), BEGIN and
  COMMIT/ROLLBACK round trips around single statements (`Database.one_trip = False`).
- **postgres, synchronous_commit=off**: as deployed, but no commit waits for its WAL to reach
  the disk, the inbox insert's neither: what PostgreSQL's sync per commit costs (not a
  recommended setting: a server crash may lose updates already acknowledged to Telegram).
- **sqlite, unsealed** / **postgres, unsealed** (issue 26): as deployed, but the personal data
  stored in the clear (`models.sealed.unsealed_for_benchmarks`): every other side seals, as
  deployed; these show what sealing adds to each database's step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench.bench_telegram import (
    ANSWERS,
    ClearBinds,
    Ours,
    OursStoredFirst,
    OursUnsealed,
    Sealing,
    _measure,
    _pct,
    interviews,
)
from bench.common import fresh_schema, use_a_bench_key
from models.db import make_engine, normalize_url

BLOCK = len(ANSWERS) * 100
SCHEMAS = ("bench_step_new", "bench_step_before", "bench_step_async_commit",
           "bench_step_stored_first", "bench_step_unsealed", "bench_step_unanalyzed")  # fmt: skip


def _drop_schemas(base: str) -> None:
    admin = make_engine(base)
    with admin.begin() as conn:
        for schema in SCHEMAS:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _as_before(ours: Ours, url: str) -> None:
    """Put one side back to the configuration before issue 16 (threads, a ping per checkout)."""
    db = ours.services.db
    db.close()
    db.engine = sa.create_engine(normalize_url(url), pool_pre_ping=True)
    db.inline = False
    db.one_trip = False  # a SELECT with its BEGIN and ROLLBACK, an insert with BEGIN and COMMIT
    db.turn_commit = "on"


def _sqlite_full(ours: Ours) -> None:
    """The SQLite side with `synchronous=FULL`: every commit synced, as PostgreSQL's are."""
    db = ours.services.db
    db.close()
    sa.event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=FULL"))


async def run(base: str, steps: int, tmp: Path) -> dict[str, list[float]]:
    sides: dict[str, Ours] = {
        "sqlite": Ours(),
        "sqlite, stored first": OursStoredFirst(),
        "sqlite, synchronous=FULL": Ours(),
        "postgres": Ours(),
        "postgres, stored first": OursStoredFirst(),
        "postgres, never analyzed": Ours(),
        "postgres, before": Ours(),
        "postgres, synchronous_commit=off": Ours(),
        "sqlite, unsealed": OursUnsealed(),
        "postgres, unsealed": OursUnsealed(),
    }
    await sides["sqlite"].open(tmp / "step.db")
    await sides["sqlite, stored first"].open(tmp / "first.db")
    await sides["sqlite, unsealed"].open(tmp / "unsealed.db")
    await sides["postgres, unsealed"].open(tmp / "unused", fresh_schema(base, SCHEMAS[4]))
    await sides["sqlite, synchronous=FULL"].open(tmp / "full.db")
    _sqlite_full(sides["sqlite, synchronous=FULL"])
    await sides["postgres"].open(tmp / "unused", fresh_schema(base, SCHEMAS[0]))
    await sides["postgres, stored first"].open(tmp / "unused", fresh_schema(base, SCHEMAS[3]))
    unanalyzed = sides["postgres, never analyzed"]
    await unanalyzed.open(tmp / "unused", fresh_schema(base, SCHEMAS[5]))
    unanalyzed.processor._upkeep._stats.is_due = lambda _now: False  # type: ignore[method-assign]
    before_url = fresh_schema(base, SCHEMAS[1])
    await sides["postgres, before"].open(tmp / "unused", before_url)
    _as_before(sides["postgres, before"], before_url)
    # Commits not waiting for their WAL flush (a crash of the server may lose the last ~0.6 s):
    # how much of the step is PostgreSQL's sync per commit. Not what beian recommends.
    unsynced = fresh_schema(base, SCHEMAS[2]) + "%20-csynchronous_commit%3Doff"
    await sides["postgres, synchronous_commit=off"].open(tmp / "unused", unsynced)
    updates = interviews(BLOCK + steps + 2 * BLOCK)
    for side in sides.values():
        # Warm-up: first queries, statements prepared, and (PostgreSQL) its tables analyzed by
        # the inbox's sweep, as a bot's first seconds do (`models.planner_stats`).
        await _measure(side, updates[:BLOCK])
        await side.sweep()
    times: dict[str, list[float]] = {name: [] for name in sides}
    start = BLOCK
    while len(times["sqlite"]) < steps:
        for name, side in sides.items():
            await side.sweep()  # `beian serve` sweeps every 0.5 s
            times[name] += await _measure(side, updates[start : start + BLOCK])
        start += BLOCK
    for name in ("sqlite", "postgres"):  # encryption timed where the step does it
        with Sealing() as sealing:
            await _measure(sides[name], updates[start : start + BLOCK])
        with ClearBinds() as clear:  # (the unsealed side binds in the clear)
            await _measure(sides[f"{name}, unsealed"], updates[start : start + BLOCK])
        adds = sealing.encrypting / BLOCK * 1e6
        before = (sealing.sealing - sealing.json) / BLOCK * 1e6
        binds = (sealing.whole - clear.seconds) / BLOCK * 1e6
        print(f"{name}: encryption per step, timed in place ({BLOCK} steps): {adds:.1f} µs; "
              f"the sealing binds less the same binds in the clear (its unsealed side): "
              f"{binds:.1f} µs; as measured until 2026-12-06, sealing less a warm JSON "
              f"encoding: {before:.1f} µs")  # fmt: skip
    for name, side in sides.items():
        counts = side.services.conversations.counts
        print(f"{name}: turns {dict(counts)}; database {dict(side.services.db.counts)}")
        await side.close()
    return {name: t[:steps] for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    use_a_bench_key()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            times = asyncio.run(run(args.postgres, args.steps, Path(tmp)))
    finally:
        _drop_schemas(args.postgres)
    sqlite = times["sqlite"]
    base50, base99 = statistics.median(sqlite), _pct(sqlite, 0.99)
    print(f"steps measured: {len(sqlite)} per side, alternating blocks of {BLOCK}")
    print("| side | p50 | p99 | p50 / SQLite | p99 / SQLite | target |")
    print("|---|---|---|---|---|---|")
    for name, t in times.items():
        p50, p99 = statistics.median(t), _pct(t, 0.99)
        target = "≤ 2× (issues 16, 26)" if name == "postgres" else "—"
        print(
            f"| {name} | {p50:.3f} ms | {p99:.3f} ms | {p50 / base50:.2f}× | "
            f"{p99 / base99:.2f}× | {target} |"
        )
    first, pg, pg_first = (
        statistics.median(times["sqlite, stored first"]),
        statistics.median(times["postgres"]),
        statistics.median(times["postgres, stored first"]),
    )
    print(f"postgres p50 / sqlite stored first p50: {pg / first:.2f}×")
    print(f"postgres stored first p50 / sqlite p50 (before answering first on PostgreSQL): "
          f"{pg_first / base50:.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
