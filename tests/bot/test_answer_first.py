"""A quiet chat's message answered before it is stored (`bot.answer_first`; SQLite here,
PostgreSQL in `test_answer_first_pg.py`): stored
with its turn's commit, acknowledged only once stored, stored first by any other work, a
redelivery still refused. Real `Application`s over a real database (`Instance`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from telegram import Update

from bot import answer_first
from bot.tg.inbox import InboxProcessor
from models import inbox, migrate
from models.db import make_engine
from tests.bot.test_inbox_processor import Instance, _update


def _row(engine: sa.Engine, update_id: int) -> tuple[Any, ...] | None:
    """(done_at, payload, received_at) of an update's inbox row, through a pooled connection."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT done_at, payload, received_at FROM inbox "
                "WHERE bot_id = 1 AND update_id = :u"
            ),
            {"u": update_id},
        ).first()
    return None if found is None else tuple(found)


class Probe(Instance):
    """An instance whose handler reads its row through a pooled connection (as the ORM's
    paths do) and fails on the ids in `failing`."""

    def __init__(self, engine: sa.Engine, log: list[str]) -> None:
        super().__init__("a", engine, log, {})
        self.engine = engine
        self.seen: dict[int, tuple[Any, ...] | None] = {}
        self.failing: set[int] = set()
        self.reads = True
        self.on_loop = False  # read on the event loop itself (as some handlers do)
        self.pause: dict[int, float] = {}  # seconds before its first use of the database

    async def holding_chat_42(self) -> InboxProcessor:
        """Open, and answer chat 42's first message (stored, then answered): the chat is
        then held here and quiet."""
        processor = await self.open()
        await processor.accept([_update(1, 42)])
        await processor.idle()
        return processor

    async def handle(self, update: Update, _context: Any) -> None:
        self.log.append(f"a start {update.update_id}")
        if update.update_id in self.pause:
            await asyncio.sleep(self.pause[update.update_id])
            self.log.append(f"a waited {update.update_id}")
        if self.reads and self.on_loop:
            self.seen[update.update_id] = _row(self.engine, update.update_id)
        elif self.reads:
            self.seen[update.update_id] = await asyncio.to_thread(
                _row, self.engine, update.update_id
            )
        if update.update_id in self.failing:
            raise RuntimeError("a bug")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """SQLite: answering first is for one instance (several need PostgreSQL, tested below)."""
    url = f"sqlite:///{tmp_path / 'beian.db'}"
    migrate.upgrade(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()


def _stored_alone(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The updates stored on their own before being answered (`inbox.ingest_one`)."""
    stored: list[int] = []
    ingest_one = inbox.ingest_one

    def counting(raw: Any, **kwargs: Any) -> Any:
        stored.append(kwargs["update"].update_id)
        return ingest_one(raw, **kwargs)

    monkeypatch.setattr(inbox, "ingest_one", counting)
    return stored


def test_a_quiet_held_chats_message_is_stored_with_its_turn_not_before(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []
    a = Probe(engine, log)
    stored_alone = _stored_alone(monkeypatch)

    async def play() -> None:
        p = await a.holding_chat_42()
        assert stored_alone == [1]
        await p.accept([_update(2, 42)])  # held here and quiet: answered first
        assert _row(engine, 2) is not None  # acknowledged only once stored
        await p.idle()
        done = _row(engine, 2)
        assert done is not None and done[0] is not None and done[1] == "{}"
        assert stored_alone == [1], "the second message was stored before it was answered"
        assert await p.accept([_update(2, 42)]) == ([], 0)  # a redelivery: refused
        await p.idle()
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1", "a start 2"]
    # The handler reads the database through a pooled connection: the row was stored first
    # (waiting), so every path finds the row it always did.
    assert a.seen[2] is not None and a.seen[2][0] is None


def test_a_message_answered_first_whose_handler_fails_is_stored_done_before_its_ack(
    engine: sa.Engine,
) -> None:
    log: list[str] = []
    a = Probe(engine, log)
    a.failing.add(2)
    a.reads = False  # its handler fails before it touches the database

    async def play() -> None:
        p = await a.holding_chat_42()
        await p.accept([_update(2, 42)])
        done = _row(engine, 2)
        assert done is not None and done[0] is not None  # stored done before the ack
        assert done[1] == "{}"  # its JSON never written
        await p.idle()
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1", "a start 2"]


def test_a_message_answered_first_is_stored_as_usual_when_its_chat_is_lost(
    engine: sa.Engine,
) -> None:
    log: list[str] = []
    a = Probe(engine, log)

    async def play() -> None:
        p = await a.holding_chat_42()

        async def lost(_chat_id: int, _now: Any) -> bool:
            return False  # another instance took the chat meanwhile

        p._claims.still_held = lost  # type: ignore[method-assign,assignment]
        assert await p.accept([_update(2, 42)]) == ([2], 0)
        waiting = _row(engine, 2)
        assert waiting is not None and waiting[0] is None  # stored before the ack, waiting
        await p.idle()
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1"]  # not answered here: its holder answers it


def test_a_message_answered_first_is_acknowledged_without_waiting_for_a_slow_handler(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answer_first, "ACK_WITHIN", 0.1)
    log: list[str] = []
    a = Probe(engine, log)
    a.pause[2] = 1.0  # a handler that waits before it writes (a 429's retry_after, say)

    async def play() -> None:
        p = await a.holding_chat_42()
        assert await p.accept([_update(2, 42)]) == ([2], 0)
        assert log == ["a start 1", "a start 2"]  # acknowledged while its handler waits
        waiting = _row(engine, 2)
        assert waiting is not None and waiting[0] is None  # stored waiting: acknowledged
        await p.idle()
        done = _row(engine, 2)
        assert done is not None and done[0] is not None  # then marked done as any other
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1", "a start 2", "a waited 2"]


def test_a_read_on_the_event_loop_does_not_write_the_message_answered_first(
    engine: sa.Engine,
) -> None:
    """A write there could hold the whole loop for SQLite's busy_timeout (another writer)."""
    log: list[str] = []
    a = Probe(engine, log)
    a.on_loop = True

    async def play() -> None:
        p = await a.holding_chat_42()
        await p.accept([_update(2, 42)])
        await p.idle()
        await a.close()

    asyncio.run(play())
    assert a.seen[2] is None  # read on the loop: not stored by it
    done = _row(engine, 2)
    assert done is not None and done[0] is not None  # stored done once answered
    assert log == ["a start 1", "a start 2"]


def test_a_message_answered_first_keeps_its_arrival_time(engine: sa.Engine) -> None:
    log: list[str] = []
    a = Probe(engine, log)
    a.reads = False
    a.pause[2] = 0.02

    async def play() -> None:
        p = await a.holding_chat_42()
        await p.accept([_update(2, 42)])
        await p.idle()
        await a.close()

    asyncio.run(play())
    done = _row(engine, 2)
    assert done is not None and done[0] is not None
    assert done[2] < done[0]  # received before it was done (not stamped when done)


def test_a_burst_for_a_chat_whose_work_has_not_begun_is_answered_without_the_sweep(
    engine: sa.Engine,
) -> None:
    log: list[str] = []
    a = Probe(engine, log)
    a.reads = False

    async def play() -> None:
        p = await a.holding_chat_42()
        await asyncio.gather(*(p.accept([_update(i, 42)]) for i in range(2, 8)))
        await p.idle()  # no sweep: the chat's first look reads what arrived before it began
        await a.close()

    asyncio.run(play())
    assert log == [f"a start {i}" for i in range(1, 8)]


def test_a_cancelled_acknowledgement_leaves_nothing_behind(engine: sa.Engine) -> None:
    log: list[str] = []
    a = Probe(engine, log)

    async def play() -> None:
        p = await a.holding_chat_42()

        async def lost(_chat_id: int, _now: Any) -> bool:
            return False  # another instance took the chat: its work ends without the message

        p._claims.still_held = lost  # type: ignore[method-assign,assignment]
        waiting = asyncio.ensure_future(p.accept([_update(2, 42)]))
        await asyncio.sleep(0)
        waiting.cancel()  # the webhook's client went away
        await p.idle()
        assert p._first.unstored == {}
        assert p._kept.items == {}
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1"]


@pytest.mark.postgres
def test_on_postgresql_a_handlers_first_work_stores_the_message_answered_first(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other instances may store a message of the chat at any moment: answered first all the
    same, it is stored (checked for order, `tests/bot/test_answer_first_pg.py`) by its
    handler's first other work, which then finds its row as it always did."""
    migrate.upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    log: list[str] = []
    a = Probe(engine, log)
    stored_alone = _stored_alone(monkeypatch)

    async def play() -> None:
        p = await a.holding_chat_42()
        await p.accept([_update(2, 42)])
        await p.idle()
        await a.close()

    try:
        asyncio.run(play())
        done = _row(engine, 2)
        assert done is not None and done[0] is not None
    finally:
        engine.dispose()
    assert stored_alone == [1]  # the second was not stored before it was answered
    assert a.seen[2] is not None and a.seen[2][0] is None  # waiting while answered
    assert log == ["a start 1", "a start 2"]
