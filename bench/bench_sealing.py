"""What sealing personal data costs an interview turn (issue 26, item 3: ≤ 50 µs per turn).

Run: .venv/bin/python -m bench.bench_sealing [--rounds 30] [--blocks 40]

A turn on the fast store seals three values and opens two (`models.sealed`): the update, when
the inbox stores it; the interview's answers and flow, when the turn reads them (opened) and
writes them (sealed). The update is processed from memory (its row is read back only after a
crash or a burst) and its JSON is dropped, not opened, when it is marked done. The values are
the real ones: the three examples' interviews (tests/dialogs/transcripts.py) played through the
engine, every turn's answers and flow as the interview row stores them, and each typed line as
Telegram sends it.

Each turn is timed three ways, in CPU time of this process (the machine is shared), the median
of `--rounds` runs over every turn:
- **sealed**: what the columns do now (the sealed type's own processors, SQLite's) — JSON
  encoding, AES-256-GCM, base64, the {k, v} envelope, and back;
- **plain**: what the JSON columns did before (the JSON type's processors) — JSON encoding and
  decoding of the same values (paid with or without sealing);
- **cost** = sealed − plain: what sealing adds to a turn (the target).
The longest interview the schema accepts (tests/dialogs/longest.py) is the worst case.

Then the same in the whole step (`in_the_step`): bench_telegram's durable step on one database,
in blocks alternately sealed and not, each block's CPU time per step: what sealing adds to a
real turn, with everything around it (cold caches, the update's JSON, the first contact's
display name).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from typing import Any

import sqlalchemy as sa

from bench.common import text_update
from bot.conversation import content_of
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models import sealed
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar

Turn = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # answers, flow, update


def turns_of(transcript: list[tuple[str, Any]], ctx: Context) -> list[Turn]:
    """Every turn of a transcript: the interview's answers and flow after it, and its update."""
    state = begin(ctx).state
    found: list[Turn] = []
    for i, (said, _expected) in enumerate(transcript):
        state = handle(state, Input.typed(said), ctx).state
        content = content_of(state)
        found.append((content.answers, content.flow, text_update(i + 1, 8101, said)))
    return found


class Columns:
    """The bind and result processors of a turn's three JSON columns on SQLite: the sealed
    types as the tables declare them, or the plain JSON type they replaced."""

    def __init__(self, sealing: bool) -> None:
        from sqlalchemy.dialects import sqlite

        dialect = sqlite.dialect()
        names = ("inbox.payload", "interview.answers", "interview.flow")
        types = [sealed.SealedJSON(name) if sealing else sa.JSON() for name in names]
        impls = [t.dialect_impl(dialect) for t in types]
        binds = [impl.bind_processor(dialect) for impl in impls]
        results = [impl.result_processor(dialect, None) for impl in impls]
        assert all(binds), "SQLite's JSON has a bind processor"
        assert all(results), "and a result processor"
        self.update: Any = binds[0]
        self.answers: Any = binds[1]
        self.flow: Any = binds[2]
        self.read_answers: Any = results[1]
        self.read_flow: Any = results[2]


def turn_through(turn: Turn, columns: Columns) -> None:
    """What a quick turn asks of its JSON columns: the update stored (sealed); the interview
    read (two values opened) and written (two sealed)."""
    answers, flow, update = turn
    columns.update(update)
    a, f = columns.answers(answers), columns.flow(flow)
    columns.read_answers(a)
    columns.read_flow(f)


def per_turn(turns: list[Turn], columns: Columns, rounds: int) -> float:
    """Median over `rounds` of the mean CPU µs per turn over every turn (this process's CPU
    time, not the wall clock: another process on the machine does not count)."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()  # CPU time: the machine is shared (see RESULTS.md)
        for turn in turns:
            turn_through(turn, columns)
        samples.append((time.process_time() - start) / len(turns) * 1e6)
    return statistics.median(samples)


def sizes(turns: list[Turn]) -> str:
    answers = [len(json.dumps(t[0], ensure_ascii=False).encode()) for t in turns]
    flows = [len(json.dumps(t[1], ensure_ascii=False).encode()) for t in turns]
    return (
        f"answers {statistics.median(answers):.0f} B median, {max(answers)} B last; "
        f"flow {statistics.median(flows):.0f} B"
    )


async def in_the_step(
    blocks: int, size: int = 350, url: str | None = None
) -> tuple[float, float, dict[str, Any]]:
    """CPU µs per step of bench_telegram's durable step (inbox insert, the turn through the
    real `Application`, the reply), on one database (a SQLite file, or PostgreSQL at `url`), in
    blocks of `size` steps alternately sealed and not (`unsealed_for_benchmarks`): the same
    process, database and moment for both. On PostgreSQL this process's CPU leaves out the
    server's: what sealing adds to the bot's own work.
    Sound because a quick turn never reads back what it wrote (its interview is in memory:
    `opened` stays 0, and every turn is quick)."""
    import tempfile
    from pathlib import Path

    from bench.bench_telegram import Ours, Sealing, interviews

    with tempfile.TemporaryDirectory() as folder:
        side = Ours()
        await side.open(Path(folder) / "step.db", url)
        updates = interviews(50 + size * (blocks + 1))
        for update in updates[:50]:
            await side.step(update)
        side.services.conversations.counts.clear()
        cpu: dict[bool, list[float]] = {True: [], False: []}
        # The timed blocks run without `Sealing`: its timers encode each value as JSON a
        # second time (until 2026-12-06 they were on here, and counted in the sealed blocks).
        for block in range(blocks):
            sealing_on = block % 2 == 0
            chunk = updates[50 + block * size : 50 + (block + 1) * size]
            began = time.process_time()
            if sealing_on:
                for update in chunk:
                    await side.step(update)
                cpu[True].append((time.process_time() - began) / size * 1e6)
                await side.sweep()  # as `beian serve` does every 0.5 s (not timed)
            else:
                with sealed.unsealed_for_benchmarks():  # its sweep reads what it stored
                    for update in chunk:
                        await side.step(update)
                    cpu[False].append((time.process_time() - began) / size * 1e6)
                    await side.sweep()
        with Sealing() as sealing:  # one more block, sealed, counted
            for update in updates[50 + blocks * size :]:
                await side.step(update)
        counts = {
            **side.services.conversations.counts,
            "sealed per sealed step": sealing.sealed / size,
            "opened": sealing.opened,
        }
        await side.close()
    return statistics.median(cpu[True]), statistics.median(cpu[False]), counts


def main() -> None:
    from tests.dialogs.longest import LONGEST
    from tests.dialogs.transcripts import SUBMITTING

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--blocks", type=int, default=40, help="step blocks (0: none)")
    parser.add_argument("--postgres", help="also the step on this PostgreSQL (a fresh schema)")
    args = parser.parse_args()
    pack = load_pack("example")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 28))
    ring = sealed.Keyring([sealed.new_key()])
    sealed.install(ring)
    sealing, plain_columns = Columns(True), Columns(False)
    cases = {name: turns_of(t, ctx) for name, t in SUBMITTING.items()}
    cases["longest (worst case)"] = turns_of(LONGEST, ctx)
    print(f"rounds: {args.rounds}; µs per turn (3 values sealed, 2 opened), median of rounds")
    print("| interview | turns | values | sealed | plain JSON | cost of sealing | target |")
    print("|---|---|---|---|---|---|---|")
    for name, turns in cases.items():
        for warm in (sealing, plain_columns):
            per_turn(turns, warm, 2)
        seal = per_turn(turns, sealing, args.rounds)
        plain = per_turn(turns, plain_columns, args.rounds)
        print(
            f"| {name} | {len(turns)} | {sizes(turns)} | {seal:.1f} µs | {plain:.1f} µs | "
            f"**{seal - plain:.1f} µs** | ≤ 50 µs |"
        )
    import asyncio

    if args.blocks:
        on, off, counts = asyncio.run(in_the_step(args.blocks))
        print(
            f"in the step (bench_telegram's, one database, {args.blocks} blocks of 350 steps "
            f"alternately sealed and not, CPU µs per step, median of blocks): sealed {on:.0f} "
            f"µs, unsealed {off:.0f} µs, **sealing adds {on - off:+.1f} µs** (target ≤ 50); "
            f"turns {counts.get('quick', 0)} quick, {counts.get('whole', 0)} whole, values "
            f"sealed per step {counts['sealed per sealed step']:.2f}, opened {counts['opened']}"
        )
    if args.blocks and args.postgres:
        from bench.common import drop_schema, fresh_schema

        url = fresh_schema(args.postgres, "bench_sealing_step")
        try:
            on, off, counts = asyncio.run(in_the_step(args.blocks, url=url))
        finally:
            drop_schema(args.postgres, "bench_sealing_step")
        print(
            f"in the step on PostgreSQL (the same, this process's CPU): sealed {on:.0f} µs, "
            f"unsealed {off:.0f} µs, **sealing adds {on - off:+.1f} µs** (target ≤ 50); "
            f"values sealed per step {counts['sealed per sealed step']:.2f}, opened "
            f"{counts['opened']}"
        )
    one = sealed.seal_json({"a": 1}, context="c", keyring=ring)
    start = time.process_time()
    for _ in range(20_000):
        sealed.open_json(one, context="c", keyring=ring)
    small = (time.process_time() - start) / 20_000 * 1e6
    print(f"one small value opened: {small:.1f} µs CPU")


if __name__ == "__main__":
    main()
