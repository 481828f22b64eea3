"""Memory of `beian serve`'s main process, idle and with many interviews open (issue 16).

Run: .venv/bin/python -m bench.bench_memory [--people 10000]

Target: the main process ≤ 110 MB idle and ≤ 150 MB with 10,000 interviews open (each person
has sent /start and one answer, so their interview is in the process's memory). A real
`beian serve` in webhook mode on SQLite, the local fake Bot API server in this process; the
render workers are separate processes (shown apart). Baseline in the same run: a bare Python
process that imports PTB and starts an `Application` (what any PTB bot's main process holds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.common import free_port, text_update, use_a_bench_key
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

BEIAN = Path(sys.executable).parent / "beian"
SECRET = "s3cret"
BARE = """
import asyncio, time
from telegram.ext import Application
async def main():
    app = Application.builder().token("{token}").base_url("{base}/bot").updater(None).build()
    await app.initialize()
    print("ready", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB (10^6 bytes, as the issue counts)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def children(pid: int) -> list[int]:
    """The processes `pid` started (its render workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def _open_interviews(url: str, people: int) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    gate = asyncio.Semaphore(32)

    async def person(session: aiohttp.ClientSession, n: int) -> None:
        async with gate:
            for k, text in enumerate(("/start", "企业")):
                update = text_update(2 * n + k + 1, 500_000 + n, text)
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 200

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(person(session, n) for n in range(people)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    use_a_bench_key()
    fake = FakeBotAPI(TOKEN).start()
    with tempfile.TemporaryDirectory() as tmp:
        bare = subprocess.Popen(
            [sys.executable, "-c", BARE.format(token=TOKEN, base=fake.base_url)],
            stdout=subprocess.PIPE,
        )
        assert bare.stdout is not None
        bare.stdout.readline()
        time.sleep(1)
        bare_mb = rss_mb(bare.pid)
        bare.terminate()
        bare.wait()

        port = free_port()
        hook = f"http://127.0.0.1:{port}/telegram/hook"
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "DATABASE_URL": f"sqlite:///{tmp}/bot.db",
            "BEIAN_TODAY": "2026-11-28",
            "BEIAN_RATE_LIMIT": "off",
            "BEIAN_METRICS_LISTEN": "127.0.0.1:0",  # instances must not meet on 9464
        }
        with (Path(tmp) / "serve.log").open("wb") as log:
            serve = subprocess.Popen(
                [str(BEIAN), "serve", "--webhook-url", hook, "--listen", f"127.0.0.1:{port}",
                 "--secret-token", SECRET],
                cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        fake.wait_until(lambda: fake.calls_of("setWebhook"), 60)
        time.sleep(3)  # idle: the workers warmed, the coverage learnt
        idle = rss_mb(serve.pid)
        workers = [rss_mb(pid) for pid in children(serve.pid)]
        start = time.perf_counter()
        asyncio.run(_open_interviews(hook, args.people))
        fake.wait_until(lambda: len(fake.calls_of("sendMessage")) >= 2 * args.people, 600)
        took = time.perf_counter() - start
        time.sleep(2)
        loaded = rss_mb(serve.pid)
        serve.terminate()
        serve.wait(60)
    fake.stop()
    per = (loaded - idle) * 1e6 / args.people / 1e3
    print("| process | RSS | target |")
    print("|---|---|---|")
    print(f"| bare PTB Application (baseline) | {bare_mb:.0f} MB | — |")
    print(f"| `beian serve` main, idle | {idle:.0f} MB | ≤ 110 MB |")
    print(
        f"| `beian serve` main, {args.people:,} interviews open | {loaded:.0f} MB "
        f"(+{per:.1f} KB each; {args.people * 2:,} updates in {took:.0f} s) | ≤ 150 MB |"
    )
    print(f"| render workers (each) | {', '.join(f'{w:.0f} MB' for w in workers)} | — |")


if __name__ == "__main__":
    main()
