"""kill -9 during `beian remind --once` repeats at most the sends in flight (issue 26, item 2).

~100 applicants each have a reminder due. The real `beian remind --once` runs against the
local Bot API server and is killed (SIGKILL: no shutdown at all) a third of the way, or
again and again at random moments, then run to the end; the server's record says what each
chat received. Each row is marked sent right after its own Bot API call, so a kill repeats
only the sends in flight (the dispatcher's concurrency, 4), and repeated kills converge:
every reminder delivered, none more than twice. Before, rows were marked per batch of 100 and
a kill repeated every send of the batch so far.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from models import migrate
from rules.pack import Pack
from tests.bot.test_reminders import APPLICANT, World
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

BEIAN = Path(sys.executable).parent / "beian"
OTHERS = 99  # applicants besides the World's own: 100 reminders due, 100 chats
CONCURRENCY = 4  # bot.tg.reminders.dispatch's sends in flight


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _due_reminders(url: str, pack: Pack, fake: FakeBotAPI) -> list[int]:
    """100 filings online since 11-21 (to file by 12-21): on 12-14 each one's "7 days left" is
    due. Returns the chats."""
    world = World(url, pack, fake, dt.date(2026, 11, 21))
    chats = [APPLICANT] + [620_000 + i for i in range(OTHERS)]
    for chat in chats[1:]:
        world.add_filing(chat, dt.date(2026, 11, 21))
    world.engine.dispose()
    return chats


def _env(url: str, fake: FakeBotAPI) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "BEIAN_NOW": "2026-12-14T10:00:00+08:00",
        "BEIAN_INSTANCE": "remind-kill9",  # a run after a killed one takes its rows back
        "BEIAN_REMIND_RATE": "50",  # 100 reminders in ~2 s: room to kill midway
    }


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BEIAN), "remind", "--once", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _delivered(fake: FakeBotAPI) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"]) for c in fake.calls_of("sendMessage") if c.status == 200
    )


def _sent_or_done(fake: FakeBotAPI, run: subprocess.Popen[str], count: int) -> bool:
    return sum(_delivered(fake).values()) >= count or run.poll() is not None


def _run_to_the_end(env: dict[str, str]) -> dict[str, int]:
    run = _start(env)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    found: dict[str, int] = json.loads(out)
    return found


def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = (
        f"sqlite:///{tmp_path / 'remind.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_schema_url"))
    )
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request, tmp_path)


def test_a_kill_a_third_of_the_way_repeats_at_most_the_sends_in_flight(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    chats = _due_reminders(url, pack, fake)
    env = _env(url, fake)
    run = _start(env)
    fake.wait_until(lambda: sum(_delivered(fake).values()) >= len(chats) // 3, 60)
    run.kill()
    run.wait(10)
    at_kill = sum(_delivered(fake).values())
    assert len(chats) // 3 <= at_kill < len(chats)  # killed a third of the way (or so)
    after = _run_to_the_end(env)
    delivered = _delivered(fake)
    assert set(delivered) == set(chats)  # every one delivered
    repeats = sum(n - 1 for n in delivered.values())
    assert repeats <= CONCURRENCY, (repeats, at_kill)
    assert after["sent"] == len(chats) - at_kill + repeats  # the second run's own count


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)
def test_repeated_kills_converge_every_reminder_delivered_none_more_than_twice(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    chats = _due_reminders(url, pack, fake)
    env = _env(url, fake)
    rng = random.Random(26)
    at_kills = []
    for _ in range(10):
        run = _start(env)
        # A random moment: while it starts, or after a random number of its sends (the
        # machine's load decides how long a start takes, so not a fixed delay).
        more = rng.choice([0, 0, *range(1, 40)])
        target = sum(_delivered(fake).values()) + more
        if more:
            fake.wait_until(lambda r=run, n=target: _sent_or_done(fake, r, n), 60)
        else:
            time.sleep(rng.uniform(0.0, 1.0))
        run.kill()
        run.wait(10)
        at_kills.append(len(_delivered(fake)))
    _run_to_the_end(env)
    delivered = _delivered(fake)
    assert any(0 < n < len(chats) for n in at_kills), at_kills  # killed while sending
    assert set(delivered) == set(chats)
    assert max(delivered.values()) <= 2, delivered.most_common(3)


def test_beian_serve_killed_a_third_of_the_way_repeats_at_most_the_sends_in_flight(
    pack: Pack, fake: FakeBotAPI, tmp_path: Path
) -> None:
    from tests.fakes.driver import BotProcess

    url = f"sqlite:///{tmp_path / 'bot.db'}"  # where BotProcess runs the bot
    migrate.upgrade(url)
    chats = _due_reminders(url, pack, fake)
    env = {key: _env(url, fake)[key] for key in ("BEIAN_NOW", "BEIAN_INSTANCE",
                                                  "BEIAN_REMIND_RATE")}  # fmt: skip
    bot = BotProcess(fake, tmp_path, env={**env, "BEIAN_REMIND_EVERY": "0.5"}).start()
    fake.wait_until(lambda: sum(_delivered(fake).values()) >= len(chats) // 3, 60)
    bot.kill()
    at_kill = sum(_delivered(fake).values())
    assert at_kill < len(chats)
    bot = BotProcess(fake, tmp_path, env={**env, "BEIAN_REMIND_EVERY": "0.5"}).start()
    try:
        fake.wait_until(lambda: set(_delivered(fake)) == set(chats), 60)
    finally:
        assert bot.stop() == 0, bot.output()
    repeats = sum(n - 1 for n in _delivered(fake).values())
    assert repeats <= CONCURRENCY, (repeats, at_kill)
