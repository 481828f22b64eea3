"""What a user sees of the bot's HTTP client at the paced rate (issue 27, item 7).

Run: .venv/bin/python -m bench.bench_transport [--seconds 60] [--rate 25] [--rounds 2]
     [--postgres URL]

`bot/tg/transport.py` (aiohttp) was built for speed with the pace off (~1.3× updates/s,
3–4× reminder dispatch); the bot's sends are paced at 25/s. This runs one real `beian serve`
(webhook mode, the deployed limiter for its database) against the local fake Bot API server
(its own process) with each client in turn, side by side in one run, and offers updates
open-loop at the rate that makes the bot make `--rate` paced calls a second (its messages and
the keyboards it retires: measured first by a short probe): people write in turn, each
waiting seconds between messages (as people do), so every reply is told apart.
It reports what a user can see — the reply latency (update posted → its first message at the
server: p50, p95) — and what the host pays: the serve process's CPU time over the load, as %
of one core. The decision rule (issue 27): under 10 % apart on both, PTB's `HTTPXRequest`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.bench_instances import COUNTED, SAID, SECRET, _expected, _Instances, _Server
from bench.common import fresh_schema, text_update
from models import migrate
from models.db import normalize_url

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def _offer(url: str, people: list[int], per_second: float) -> dict[int, list[float]]:
    """Post every person's script open-loop: update k at start + k / per_second, people in
    turn; return when each person's updates were posted (monotonic)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    ids = iter(range(1, 10**9))
    posted: dict[int, list[float]] = {p: [] for p in people}
    order = [(p, text) for text in SAID for p in people]  # a round of everyone, then the next
    start = time.monotonic()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def one(k: int, person: int, text: str) -> None:
            await asyncio.sleep(max(0.0, start + k / per_second - time.monotonic()))
            update = text_update(next(ids), person, text)
            posted[person].append(time.monotonic())
            async with session.post(url, json=update, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")

        await asyncio.gather(*(one(k, p, text) for k, (p, text) in enumerate(order)))
    return posted


def run_one(url: str, client: str, people: int, per_second: float, want: int) -> dict[str, Any]:
    """One client: start `beian serve`, offer the load, measure, stop."""
    server = _Server()
    with tempfile.TemporaryDirectory() as tmp:
        limiter = "shared" if url.startswith("postgresql") else "local"
        instances = _Instances(server, url, 1, limiter, Path(tmp), client)
        try:
            users = [200_000 + n for n in range(people)]
            pid = instances.processes[0].pid
            cpu_before, wall_before = _cpu_seconds(pid), time.monotonic()
            posted = asyncio.run(_offer(instances.urls[0], users, per_second))
            seen, moved = 0, time.monotonic()
            while seen < want and time.monotonic() - moved < 30:
                time.sleep(0.05)
                now_seen = server.ask("sent")
                if now_seen != seen:
                    seen, moved = now_seen, time.monotonic()
            cpu = _cpu_seconds(pid) - cpu_before
            wall = time.monotonic() - wall_before
            calls = server.ask("calls")
            tracebacks = sum(log.read_text(errors="replace").count("Traceback")
                             for log in instances.logs)  # fmt: skip
        finally:
            instances.stop()
            server.stop()
    by_chat: dict[int, list[float]] = {}
    for method, chat, _, at in calls:
        if method in COUNTED:
            by_chat.setdefault(int(chat), []).append(at)
    latencies = []
    for person, moments in posted.items():
        arrivals = sorted(by_chat.get(person, []))
        for at in moments:
            first = next((a for a in arrivals if a >= at), None)
            if first is not None:
                latencies.append((first - at) * 1000)
    latencies.sort()
    sent = [c for c in calls if c[0] == "sendMessage"]
    span = max(c[3] for c in sent) - min(c[3] for c in sent)
    return {
        "calls_per_update": sum(1 for c in calls if c[0] in COUNTED) / max(1, len(latencies)),
        "client": client,
        "updates": sum(len(m) for m in posted.values()),
        "answered": len(latencies),
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "cpu": 100 * cpu / wall,
        "sent_per_s": len(sent) / span,
        "tracebacks": tracebacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="load per client")
    parser.add_argument("--rate", type=float, default=25.0, help="messages/s the bot sends")
    parser.add_argument("--rounds", type=int, default=2, help="each client this many times")
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    expected = _expected()
    with tempfile.TemporaryDirectory() as tmp:  # the probe: the calls an update costs
        url = f"sqlite:///{tmp}/probe.db"
        migrate.upgrade(url)
        per_update = run_one(url, "aiohttp", 4, 4.0, 4 * len(expected))["calls_per_update"]
    per_second = args.rate / per_update
    people = max(1, int(per_second * args.seconds / len(SAID)))
    print(
        f"{len(SAID)} updates per person, {len(expected)} messages each; "
        f"{per_update:.2f} paced calls per update (probe); {per_second:.1f} updates/s offered "
        f"for ~{args.rate:g} calls/s; {people} people; {os.cpu_count()} cores; "
        f"python {sys.version.split()[0]}"
    )
    print("| round | client | updates | answered | reply p50 ms | reply p95 ms | CPU % of a core "
          "| messages/s sent | calls per update | tracebacks |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(1, args.rounds + 1):
            for client in ("aiohttp", "httpx") if round_no % 2 else ("httpx", "aiohttp"):
                if args.postgres:
                    url = fresh_schema(normalize_url(args.postgres), "bench_transport")
                else:
                    url = f"sqlite:///{tmp}/r{round_no}-{client}.db"
                migrate.upgrade(url)
                found = run_one(url, client, people, per_second, people * len(expected))
                print(
                    f"| {round_no} | {client} | {found['updates']} | {found['answered']} | "
                    f"{found['p50']:.1f} | {found['p95']:.1f} | {found['cpu']:.1f} | "
                    f"{found['sent_per_s']:.1f} | {found['calls_per_update']:.2f} | "
                    f"{found['tracebacks']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
