"""Several `beian serve` instances on one PostgreSQL database and one bot token (issue 16).

Run: .venv/bin/python -m bench.bench_instances --postgres URL [--people 300] [--limited-people 40]
     [--instances 1,2,4] [--limiters off,shared] [--clients aiohttp,httpx]

Each configuration starts N real `beian serve` processes in webhook mode (fresh schema), the
local fake Bot API server in its own process, and posts every person's messages one right
after the other (no waiting for replies; all people at once), each update to an instance
chosen by the routing:

- **round-robin**: update i goes to instance i mod N (a plain load balancer);
- **chat-sticky**: a person's updates always go to the same instance (hash routing).

With the rate limiter off (`BEIAN_RATE_LIMIT=off`) it measures updates/s until every reply has
arrived; with it on (shared, the default `BEIAN_SEND_RATE` of 25/s, as deployed on
PostgreSQL) it shows the bot-wide pace: the most messages the server received in any one
second, and on average.
"read back" counts the updates an instance had to read from the database because it was not
told of them (the wake-ups carry each update's JSON to its chat's holder). Every run checks, at
the server, that each person got every reply, in the order of the messages they answer.
`--clients` runs each configuration with the bot's HTTP client as deployed (aiohttp,
`bot.tg.transport`) and/or PTB's own (httpx: the code before it), `BEIAN_HTTP_CLIENT`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import free_port, fresh_schema, text_update, use_a_bench_key
from bot.tg import ui
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models import migrate
from models.db import normalize_url
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar
from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

BEIAN = Path(sys.executable).parent / "beian"
SAID = ["/start", *(s for s, _ in SUBMITTING["enterprise"][:14])]  # up to the e-mail
SECRET = "s3cret"
SCHEMA = "bench_instances"
COUNTED = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument")


def _serve(conn: Any) -> None:
    """The fake Bot API server in its own process: its URL, then answers to questions."""
    fake = FakeBotAPI(TOKEN).start()
    conn.send(fake.base_url)
    while True:
        asked = conn.recv()
        if asked == "stop":
            break
        if asked == "webhooks":
            conn.send(len(fake.calls_of("setWebhook")))
        elif asked == "sent":
            conn.send(sum(1 for c in fake.calls if c.method == "sendMessage" and c.status == 200))
        elif asked == "calls":
            conn.send(
                [
                    (c.method, c.params.get("chat_id"), c.params.get("text"), c.at)
                    for c in fake.calls
                    if c.method in COUNTED and c.status == 200
                ]
            )
        elif asked == "clear":
            fake.calls.clear()
            conn.send(True)
    fake.stop()


class _Server:
    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,))
        self.process.start()
        self.base_url: str = self.conn.recv()

    def ask(self, what: str) -> Any:
        self.conn.send(what)
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


def _expected() -> list[str]:
    """The messages (sendMessage texts) one person gets for SAID, in order."""
    pack = load_pack("example")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 28))
    step = begin(ctx)
    messages = [text for text, _ in ui.merge_replies(list(step.replies))]
    for text in SAID[1:]:
        step = handle(step.state, Input.typed(text), ctx)
        messages += [text for text, _ in ui.merge_replies(list(step.replies))]
    return messages


def _fresh_schema(base: str) -> str:
    url = fresh_schema(base, SCHEMA)
    migrate.upgrade(url)
    return url


class _Instances:
    def __init__(
        self, server: _Server, url: str, count: int, limiter: str, workdir: Path, client: str
    ):
        self.urls: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        before = server.ask("webhooks")
        for n in range(count):
            port = free_port()
            hook = f"http://127.0.0.1:{port}/telegram/hook"
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": server.base_url,
                "DATABASE_URL": url,
                "BEIAN_TODAY": "2026-11-28",
                "BEIAN_NOW": "2026-11-28T10:00:00+08:00",
                "BEIAN_INSTANCE": f"i{n}",
                "BEIAN_RATE_LIMIT": limiter,
                "BEIAN_HTTP_CLIENT": client,
                "BEIAN_METRICS_LISTEN": "127.0.0.1:0",  # instances must not meet on 9464
            }
            log = workdir / f"i{n}.log"
            self.logs.append(log)
            with log.open("wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        [str(BEIAN), "serve", "--webhook-url", hook, "--listen",
                         f"127.0.0.1:{port}", "--secret-token", SECRET],
                        cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
            self.urls.append(hook)
        deadline = time.monotonic() + 120
        while server.ask("webhooks") < before + count:
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                raise RuntimeError("an instance did not start: " + self.logs[0].read_text())
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


async def _post(urls: list[str], people: list[int], sticky: bool) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    turn = iter(range(10**9))
    ids = iter(range(1, 10**9))
    scripts = {p: [text_update(next(ids), p, text) for text in SAID] for p in people}

    async def person(session: aiohttp.ClientSession, user: int) -> None:
        for update in scripts[user]:
            n = user if sticky else next(turn)
            async with session.post(urls[n % len(urls)], json=update, headers=headers) as r:
                if r.status != 200:
                    raise RuntimeError(f"webhook answered {r.status}")

    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(person(session, user) for user in people))


def _max_per_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def run_one(
    base: str,
    count: int,
    sticky: bool,
    limiter: str,
    people: int,
    expected: list[str],
    client: str = "aiohttp",
) -> dict[str, Any]:
    """One configuration: start, load, check, stop."""
    url = _fresh_schema(base)
    server = _Server()
    with tempfile.TemporaryDirectory() as tmp:
        instances = _Instances(server, url, count, limiter, Path(tmp), client)
        try:
            users = [100_000 + n for n in range(people)]
            want = len(expected) * people
            start = time.monotonic()
            asyncio.run(_post(instances.urls, users, sticky))
            posted = time.monotonic() - start
            seen, moved = 0, time.monotonic()
            while seen < want and time.monotonic() - moved < 30:  # stalled 30 s: lost
                time.sleep(0.05)
                now_seen = server.ask("sent")
                if now_seen != seen:
                    seen, moved = now_seen, time.monotonic()
            calls = server.ask("calls")
            replies = [c for c in calls if c[0] == "sendMessage"]
            elapsed = max(c[3] for c in replies) - start
            by_person: dict[int, list[tuple[float, str]]] = {}
            for _, chat, text, at in replies:
                by_person.setdefault(int(chat), []).append((at, text))
            lost = out_of_order = 0
            for user in users:
                got = [text for _, text in sorted(by_person.get(user, []))]
                lost += max(0, len(expected) - len(got))
                if got != expected[: len(got)] or len(got) > len(expected):
                    out_of_order += 1
            logs = "".join(log.read_text(errors="replace") for log in instances.logs)
        finally:
            instances.stop()
            server.stop()
    return {
        "updates": people * len(SAID),
        "rate": people * len(SAID) / elapsed,
        "posted_s": posted,
        "lost": lost,
        "out_of_order": out_of_order,
        "max_per_s": _max_per_second([c[3] for c in calls]),
        "mean_per_s": len(calls) / (max(c[3] for c in calls) - min(c[3] for c in calls)),
        "read_back": logs.count("recovered from the inbox"),
        "tracebacks": logs.count("Traceback"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL")
    parser.add_argument("--people", type=int, default=300, help="people, rate limiter off")
    parser.add_argument("--limited-people", type=int, default=40, help="people, limiter on")
    parser.add_argument("--instances", default="1,2,4")
    parser.add_argument("--limiters", default="off,shared", help="rate limiter modes to run")
    parser.add_argument("--clients", default="aiohttp", help="HTTP clients: aiohttp,httpx")
    args = parser.parse_args()
    use_a_bench_key()
    base = normalize_url(args.postgres)
    expected = _expected()
    counts = [int(n) for n in args.instances.split(",")]
    print(
        f"{len(SAID)} updates per person, {len(expected)} replies each; PostgreSQL; "
        f"{os.cpu_count()} cores"
    )
    print(
        "| instances | routing | rate limiter | HTTP client | updates | updates/s | lost "
        "| out of order "
        "| most messages in one second | messages/s on average | read back | tracebacks |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    modes = args.limiters.split(",")
    for limiter, people in (("off", args.people), ("shared", args.limited_people)):
        if limiter not in modes:
            continue
        for count in counts:
            for sticky in (False, True) if count > 1 else (True,):
                for client in args.clients.split(","):
                    found = run_one(base, count, sticky, limiter, people, expected, client)
                    routing = "chat-sticky" if sticky else "round-robin"
                    if count == 1:
                        routing = "—"
                    _row(count, routing, limiter, client, found)


def _row(count: int, routing: str, limiter: str, client: str, found: dict[str, Any]) -> None:
    print(
        f"| {count} | {routing} | {'on (shared)' if limiter != 'off' else 'off'} | {client}"
        f" | {found['updates']} | {found['rate']:.0f} | {found['lost']} | "
        f"{found['out_of_order']} | {found['max_per_s']} | "
        f"{found['mean_per_s']:.1f} | {found['read_back']} | {found['tracebacks']} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
