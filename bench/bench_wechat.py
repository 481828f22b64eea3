"""WeChat's callback under load: callback-to-"success" with 200 applicants at once (issue 29).

Run: .venv/bin/python -m bench.bench_wechat [--people 200] [--answers 7] [--safe]

Target: p99 ≤ 50 ms from a callback's request to its "success", SQLite, 200 concurrent
applicants. `beian serve --channel wechat` runs as deployed, in a process of its own, against
the stand-in WeChat API (tests/fakes/wechat.py, in this process's threads); each person here
posts signed callbacks like WeChat's (safe mode with --safe) and, like a person, types the
next answer once the previous one's reply has arrived. Measured: the callback's round trip
(what WeChat waits for: the row stored and committed, then "success"), and, for what it
tells, the time until the turn's reply reached the stand-in as a customer-service message.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import free_port
from models import migrate
from tests.fakes.wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    FakeWeChat,
    Sent,
    encrypt,
    event_xml,
    signature,
    text_xml,
)

BEIAN = Path(sys.executable).parent / "beian"
ANSWERS = [
    "企业",
    "本市",
    "外地",
    "杭州",
    "2026-11-20",
    "示例云帆科技有限公司",
    "91330106ma2b3c4d5d",
]


def _signed(url: str, xml: str, safe: bool) -> tuple[str, bytes]:
    timestamp, nonce = str(int(time.time())), os.urandom(5).hex()
    query = f"signature={signature(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    if not safe:
        return f"{url}?{query}", xml.encode()
    sealed = encrypt(xml)
    query += f"&encrypt_type=aes&msg_signature={signature(TOKEN, timestamp, nonce, sealed)}"
    body = (
        f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
    )
    return f"{url}?{query}", body.encode()


async def _person(
    session: aiohttp.ClientSession,
    fake: FakeWeChat,
    url: str,
    index: int,
    answers: list[str],
    safe: bool,
    callbacks: list[float],
    replies: list[float],
) -> None:
    openid = f"oBench{index:022d}"
    said = [event_xml(openid, "subscribe", created=index + 1)] + [
        text_xml(openid, text, 10**15 + index * 100 + n) for n, text in enumerate(answers)
    ]
    if THINK:  # people mid-interview, not 200 first messages in the same millisecond
        await asyncio.sleep(THINK * random.random())
    for xml in said:
        target, body = _signed(url, xml, safe)
        seen = SEEN.get(openid, 0)
        started = time.perf_counter()
        async with session.post(target, data=body) as response:
            text = await response.text()
            timing = response.headers.get("Server-Timing", "dur=0").rpartition("dur=")[2]
        callbacks.append(time.perf_counter() - started)
        SERVER.append(float(timing) / 1000)
        ROUNDS.setdefault(said.index(xml) + 1, []).append(callbacks[-1])
        assert (response.status, text) == (200, "success"), (response.status, text)
        while SEEN.get(openid, 0) <= seen:  # the person reads the reply, then types
            waiting = asyncio.get_running_loop().create_future()
            WAITING[openid] = waiting
            if SEEN.get(openid, 0) > seen:
                break
            await waiting
        replies.append(time.perf_counter() - started)
        if THINK:  # the person reads and types: 0.5-1.5 x THINK seconds
            await asyncio.sleep(THINK * (0.5 + random.random()))


FLOOR = "--floor" in sys.argv
THINK = 0.0  # --think: seconds a person takes to read and type (0: the next at once)
ROUNDS: dict[int, list[float]] = {}
SERVER: list[float] = []  # the server's own time per callback (its Server-Timing)
SEEN: dict[str, int] = {}  # messages the stand-in accepted per person
WAITING: dict[str, asyncio.Future[None]] = {}


def _wake(loop: asyncio.AbstractEventLoop, sent: Sent) -> None:
    """Count a message the stand-in accepted and wake its person (from the stand-in's thread)."""

    def count() -> None:
        SEEN[sent.openid] = SEEN.get(sent.openid, 0) + 1
        waiting = WAITING.pop(sent.openid, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    if not loop.is_closed():  # after the run: messages still sent (the reminders' first pass)
        loop.call_soon_threadsafe(count)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _load(fake: FakeWeChat, url: str, people: int, answers: list[str], safe: bool) -> None:
    callbacks: list[float] = []
    replies: list[float] = []
    loop = asyncio.get_running_loop()
    fake.on_sent = lambda sent: _wake(loop, sent)
    connector = aiohttp.TCPConnector(limit=people)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Open the connections first (WeChat's servers keep theirs open): 200 connects at the
        # same moment is what is measured here, not the callbacks.
        opened = time.perf_counter()

        async def connect() -> None:
            async with session.get(url) as response:  # unsigned: 403, nothing stored
                await response.read()

        await asyncio.gather(*(connect() for _ in range(people)))
        print(f"  {people} connections opened in {(time.perf_counter() - opened) * 1000:.0f} ms")
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _person(session, fake, url, i, answers, safe, callbacks, replies)
                for i in range(people)
            )
        )
        took = time.perf_counter() - started
    print(
        f"{people} applicants x {len(answers) + 1} messages ({'safe mode' if safe else 'plain'}"
        f"{', FLOOR' if FLOOR else ''}{f', think {THINK:g} s' if THINK else ''}): "
        f"{len(callbacks)} callbacks in {took:.1f} s ({len(callbacks) / took:.0f}/s)"
    )
    print(
        "  callback -> success: "
        f"p50 {_pct(callbacks, 0.5):.1f} ms, p95 {_pct(callbacks, 0.95):.1f} ms, "
        f"p99 {_pct(callbacks, 0.99):.1f} ms, max {max(callbacks) * 1000:.1f} ms "
        f"(mean {statistics.mean(callbacks) * 1000:.1f} ms)"
    )
    print(
        "  in the server (Server-Timing: request read to response): "
        f"p50 {_pct(SERVER, 0.5):.1f} ms, p99 {_pct(SERVER, 0.99):.1f} ms, "
        f"max {max(SERVER) * 1000:.1f} ms"
    )
    for n, values in sorted(ROUNDS.items()):
        print(f"    message {n}: p50 {_pct(values, 0.5):.1f} ms, p99 {_pct(values, 0.99):.1f} ms")
    print(
        "  callback -> reply sent: "
        f"p50 {_pct(replies, 0.5):.1f} ms, p95 {_pct(replies, 0.95):.1f} ms, "
        f"p99 {_pct(replies, 0.99):.1f} ms"
    )


def serve_floor(port: int, api: str) -> None:
    """The floor: a bare aiohttp handler that answers "success" at once and then posts the
    reply to the API (the same shape of load, with no signature check, no XML, no database,
    no interview): what this machine and this load generator cost by themselves."""
    import re

    from aiohttp import web

    sender = re.compile(rb"<FromUserName><!\[CDATA\[([^\]]+)\]\]>")

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        found = sender.search(body)
        if found is not None:
            asyncio.get_running_loop().create_task(reply(found.group(1).decode()))
        return web.Response(text="success")

    state: dict[str, Any] = {}

    async def reply(openid: str) -> None:
        async with state["session"].post(
            f"{api}/cgi-bin/message/custom/send?access_token={state['token']}",
            json={"touser": openid, "msgtype": "text", "text": {"content": "ok"}},
        ) as response:
            await response.read()

    async def start(app: web.Application) -> None:
        session = state["session"] = aiohttp.ClientSession()
        async with session.get(
            f"{api}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET},
        ) as response:
            token = state["token"] = (await response.json())["access_token"]
        async with session.post(
            f"{api}/cgi-bin/menu/create?access_token={token}",
            json={"button": [{"type": "click", "name": "x", "key": "x"}]},
        ) as response:
            await response.read()

    app = web.Application()
    app.router.add_post("/wechat", receive)
    app.router.add_get("/wechat", lambda _r: web.Response(status=403))  # type: ignore[arg-type,return-value]
    app.on_startup.append(start)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--answers", type=int, default=len(ANSWERS))
    parser.add_argument("--safe", action="store_true")
    parser.add_argument("--floor", action="store_true", help="measure the floor instead")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between messages")
    parser.add_argument("--serve-floor", nargs=2, metavar=("PORT", "API"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global THINK
    THINK = args.think
    if args.serve_floor:
        serve_floor(int(args.serve_floor[0]), args.serve_floor[1])
        return
    fake = FakeWeChat().start()
    folder = Path(tempfile.mkdtemp(prefix="beian-bench-wechat-"))
    database = f"sqlite:///{folder / 'bot.db'}"
    migrate.upgrade(database)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BEIAN_PACK": "example",
        "BEIAN_TODAY": "2026-11-28",
        "BEIAN_REMIND_EVERY": "3600",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": fake.base_url,
    }
    if args.safe:
        env["WECHAT_AES_KEY"] = AES_KEY
    log = (folder / "serve.log").open("wb")
    command = [str(BEIAN), "serve", "--channel", "wechat", "--listen", f"127.0.0.1:{port}"]
    if os.environ.get("BENCH_PROFILE"):  # where the serving process's time goes (cProfile)
        command = [sys.executable, "-m", "cProfile", "-o", os.environ["BENCH_PROFILE"], *command]
    if args.floor:
        command = [sys.executable, "-m", "bench.bench_wechat", "--serve-floor", str(port),
                   fake.base_url]  # fmt: skip
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        end = time.monotonic() + 60
        while not fake.menus and time.monotonic() < end:
            assert process.poll() is None, (folder / "serve.log").read_text()
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/wechat"
        asyncio.run(_load(fake, url, args.people, ANSWERS[: args.answers], args.safe))
    finally:
        process.terminate()
        process.wait(60)
        fake.stop()
    print(f"  load average: {os.getloadavg()[0]:.1f} (2 cores, shared)")


if __name__ == "__main__":
    main()
