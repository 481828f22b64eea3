"""One rate limit for the bot, however many instances send (issue 16).

Telegram limits a bot, not a process: about 30 messages a second overall and 20 a minute in
one group. PTB's `AIORateLimiter` paces one process, so four instances sent ~120/s on one
token. `SharedRateLimiter` keeps PTB's limiter (its 429 retries, which calls count) and takes
each message's moment from a schedule in the database instead: one row per key (the whole
bot; each group), moved on by one statement per message, as a generic cell-rate algorithm —
the row holds the theoretical time after which the next message may go; a send takes
max(that, now) + interval and goes at that moment less the burst it may borrow. A 429 moves
the bot's row past `retry_after`, so every instance waits it out, not only the one told.

It is built on PTB's public `BaseRateLimiter` (issue 27: it had overridden three private
members of `AIORateLimiter`, which a minor PTB release could change without a word): which
chat a request goes to is read from its data as `AIORateLimiter` reads it (a chat id is a
message to pace bot-wide; a negative id or a @name is a group, paced as well), and a 429 is
retried `max_retries` times after `retry_after`, every request of this instance waiting too.

Per-chat pacing is not in the database: a private chat's replies come from the instance
holding its inbox claim (`bot.tg.inbox`), and the reminders dispatcher spaces each chat's
messages a second apart (`bot.tg.reminders.Pacer`).

If the schedule cannot be reached the message is paced locally (logged, at most once a
minute) rather than lost: a reply is worth more than the pace of one moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from aiolimiter import AsyncLimiter
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from models.db import make_engine
from models.tables import SendSlot

log = logging.getLogger(__name__)
JSONDict = dict[str, Any]  # what a Bot API call returns (PTB's own alias is private)

BOT_KEY = "all"
GROUP_RATE = 20 / 60  # messages per second in one group (Telegram: 20 a minute)
GROUP_BURST = 5  # a card and its documents go at once; the group's pace holds after
WARN_EVERY = 60.0  # seconds between two warnings that the schedule is unreachable
LATE_RETRIES = 2  # a message woken late takes a new moment at most this often, then goes


def _reserve_statement(dialect: str) -> Any:
    insert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(SendSlot)
    now = sa.bindparam("now", type_=sa.Float(precision=53))
    interval = sa.bindparam("interval", type_=sa.Float(precision=53))
    later = sa.func.max if dialect == "sqlite" else sa.func.greatest  # max(a, b) is scalar there
    statement = insert.values(
        bot_id=sa.bindparam("bot_id"), key=sa.bindparam("key"), next_at=now + interval
    )
    return statement.on_conflict_do_update(
        index_elements=["bot_id", "key"],
        set_={"next_at": later(col(SendSlot.next_at), now) + interval},
    ).returning(col(SendSlot.next_at))


def _hold_statement(dialect: str) -> Any:
    insert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(SendSlot)
    until = sa.bindparam("until", type_=sa.Float(precision=53))
    later = sa.func.max if dialect == "sqlite" else sa.func.greatest
    statement = insert.values(bot_id=sa.bindparam("bot_id"), key=sa.bindparam("key"), next_at=until)
    return statement.on_conflict_do_update(
        index_elements=["bot_id", "key"], set_={"next_at": later(col(SendSlot.next_at), until)}
    )


class SendSchedule:
    """The shared schedule in the database (table `send_slot`)."""

    def __init__(self, engine: sa.Engine, bot_id: int) -> None:
        self.engine = engine
        self.bot_id = bot_id
        dialect = engine.dialect.name
        self._reserve = _reserve_statement(dialect)
        self._hold = _hold_statement(dialect)

    def reserve(self, key: str, interval: float, burst: int, now: float) -> float:
        """Take the next message's place under `key`; return the moment (Unix seconds) it may
        go: never before `now`, at most `burst` messages early against the pace."""
        values = {"bot_id": self.bot_id, "key": key, "now": now, "interval": interval}
        with self.engine.begin() as conn:
            after = float(conn.execute(self._reserve, values).scalar_one())
        return max(now, after - interval * max(1, burst))

    def hold(self, key: str, until: float) -> None:
        """Let nothing under `key` go before `until` (Telegram answered 429)."""
        with self.engine.begin() as conn:
            conn.execute(self._hold, {"bot_id": self.bot_id, "key": key, "until": until})


class SharedRateLimiter(BaseRateLimiter[int]):
    """The bot-wide and per-group pace, shared through the database (see the module)."""

    def __init__(
        self,
        database_url: str,
        bot_id: int,
        *,
        rate: float = 30.0,
        max_retries: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = database_url
        self._bot_id = bot_id
        self._interval = 1.0 / rate
        self._max_retries = max_retries
        self._clock = clock
        self._schedule: SendSchedule | None = None
        self._engine: sa.Engine | None = None
        self._local: dict[str, AsyncLimiter] = {}
        self._warned = 0.0
        self._not_held = asyncio.Event()  # cleared while this instance waits out a 429
        self._not_held.set()
        self.late = 0  # moments missed by a late wake-up and taken again

    async def initialize(self) -> None:
        """Open the schedule's own small pool (the bot's database)."""
        if self._schedule is None:
            self._engine = make_engine(self._url, pool_size=2, max_overflow=4)
            self._schedule = SendSchedule(self._engine, self._bot_id)

    async def shutdown(self) -> None:
        """Close the pool."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine, self._schedule = None, None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send one request at its moment; on 429 hold every instance, retry up to
        `rate_limit_args` (else `max_retries`) times, then raise."""
        retries = rate_limit_args or self._max_retries
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group = (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
        for attempt in range(retries + 1):
            try:
                await self._not_held.wait()
                if group:
                    await self.wait(f"g{chat_id}", 1.0 / GROUP_RATE, GROUP_BURST)
                if chat_id is not None:
                    await self.wait(BOT_KEY, self._interval, 1)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc)
                if self._schedule is not None:
                    with contextlib.suppress(sa.exc.SQLAlchemyError):
                        until = self._clock() + seconds
                        await asyncio.to_thread(self._schedule.hold, BOT_KEY, until)
                if attempt == retries:
                    log.info("%s: still 429 after %d retries", endpoint, retries)
                    raise
                self._not_held.clear()
                await asyncio.sleep(seconds + 0.1)
            finally:
                self._not_held.set()
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def wait(self, key: str, interval: float, burst: int) -> None:
        """Wait for this message's moment under `key`."""
        if self._schedule is None:
            await self.initialize()
        schedule = self._schedule
        assert schedule is not None
        for _ in range(LATE_RETRIES + 1):
            try:
                at = await asyncio.to_thread(schedule.reserve, key, interval, burst, self._clock())
            except sa.exc.SQLAlchemyError as exc:
                await self._paced_locally(key, interval, burst, exc)
                return
            delay = at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            # Woken late (a busy loop) by more than a slot: the moment went by, and sending now
            # would bunch this message with the ones on time. Take the next free moment.
            if self._clock() - at <= interval * burst:
                return
            self.late += 1

    async def _paced_locally(self, key: str, interval: float, burst: int, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning("send schedule unreachable (%s); pacing this instance alone", type(exc))
        limiter = self._local.get(key)
        if limiter is None:
            limiter = self._local[key] = AsyncLimiter(burst, interval * burst)
        async with limiter:
            return


def _seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait (PTB 22 warns that the attribute's type will change)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def bot_id_of(token: str) -> int:
    """Return the bot's id, the digits before the token's colon."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0
