"""The inbox processor: a chat's updates one at a time and in order on whichever instance
holds the chat; different chats at once; a dead holder's chats taken over; crashed updates
given up after three tries. Two real `Application`s (one per "instance") share a database."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.tg.inbox import InboxProcessor, current_ticket
from models import inbox
from models.database import Database
from models.db import Raw
from rules.clock import system_clock
from tests.fakes.driver import TOKEN
from tests.fakes.recording import RecordingRequest


def _update(update_id: int, chat_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "测"},
            "text": f"#{update_id}",
        },
    }


class Instance:
    """One bot instance: an Application whose handler records what it did, and its processor."""

    def __init__(self, name: str, engine: sa.Engine, log: list[str], slow: dict[int, float]):
        self.name, self.log, self.slow = name, log, slow
        request = RecordingRequest()
        self.app = Application.builder().token(TOKEN).request(request).updater(None).build()
        self.app.add_handler(TypeHandler(Update, self.handle))
        self.db = Database(engine=engine)
        self.processor: InboxProcessor | None = None
        self.apologies: list[int] = []
        # Uses the database before anything else (as every real handler does before it sends
        # or writes): where a message answered first is checked for order (PostgreSQL).
        self.reads_first = False

    async def open(self) -> InboxProcessor:
        await self.app.initialize()

        async def apologise(chat_id: int) -> None:
            self.apologies.append(chat_id)

        self.processor = InboxProcessor(
            self.app, self.db, bot_id=1, holder=self.name, clock=system_clock, apologise=apologise
        )
        return self.processor

    async def handle(self, update: Update, _context: Any) -> None:
        ticket = current_ticket()
        assert ticket is not None
        assert ticket.key == (1, update.update_id)
        if self.reads_first:
            await self.db.run(partial(inbox.backlog, bot_id=1))
        self.log.append(f"{self.name} start {update.update_id}")
        await asyncio.sleep(self.slow.get(update.update_id, 0))
        self.log.append(f"{self.name} end {update.update_id}")

    async def close(self) -> None:
        await self.app.shutdown()


Two = tuple[Instance, Instance, list[str], dict[int, float]]


@pytest.fixture
def instances(engine: sa.Engine) -> Two:
    log: list[str] = []
    slow: dict[int, float] = {}
    return Instance("a", engine, log, slow), Instance("b", engine, log, slow), log, slow


def test_a_chat_is_processed_in_order_by_the_instance_holding_it(
    instances: Two,
) -> None:
    a, b, log, slow = instances
    slow[1] = 0.3  # the first update takes a while (documents rendering, say)

    async def play() -> None:
        pa, pb = await a.open(), await b.open()
        await pa.accept([_update(1, 42)])
        await asyncio.sleep(0.05)  # a is inside update 1
        await pb.accept([_update(2, 42)])  # the next message lands on b
        await pb.idle()  # b cannot take the chat: a holds it
        assert log == ["a start 1"]
        await pa.idle()
        await pa.sweep()  # a finds the row b stored for its chat
        await pa.idle()
        await a.close()
        await b.close()

    asyncio.run(play())
    assert log == ["a start 1", "a end 1", "a start 2", "a end 2"]


def test_different_chats_are_processed_at_once(
    instances: Two,
) -> None:
    a, _, log, slow = instances
    slow[1] = 0.3

    async def play() -> None:
        pa = await a.open()
        await pa.accept([_update(1, 42)])
        await asyncio.sleep(0.05)
        await pa.accept([_update(2, 43)])
        await pa.idle()
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1", "a start 2", "a end 2", "a end 1"]


def test_every_update_is_marked_done_and_a_redelivery_is_skipped(
    instances: Two, engine: sa.Engine
) -> None:
    a, _, log, _ = instances

    async def play() -> list[int]:
        pa = await a.open()
        new, _ = await pa.accept([_update(1, 42), _update(2, 42)])
        await pa.idle()
        again, _ = await pa.accept([_update(2, 42)])  # Telegram sends it again
        await pa.idle()
        await a.close()
        return new + again

    assert asyncio.run(play()) == [1, 2]
    assert log == ["a start 1", "a end 1", "a start 2", "a end 2"]
    with engine.connect() as conn:
        assert inbox.pending_ids(Raw(conn), bot_id=1, chat_id=42) == []


def test_a_burst_waits_in_the_database_not_in_memory_and_none_is_lost(
    instances: Two, engine: sa.Engine
) -> None:
    """Past `max_local` parsed updates and `max_chats` chats in hand, the rest of a burst is
    stored only: read back when its turn comes (not counted as a crash's attempt), each chat
    still in order, nothing lost."""
    a, _, log, _ = instances
    chats = (41, 42, 43, 44, 45)
    burst = [_update(10 * n + k, chat) for n in range(1, 4) for k, chat in enumerate(chats)]
    in_hand: list[int] = []

    async def play() -> tuple[int, int]:
        pa = await a.open()
        pa.max_local, pa.max_chats = 3, 2
        original = a.handle

        async def watched(update: Update, context: Any) -> None:
            in_hand.append(len(pa._chats))
            await original(update, context)

        a.app.handlers[0][0].callback = watched
        await pa.accept(burst)
        kept = len(pa._kept.items)
        queued = len(pa._queued)
        await pa.idle()
        await a.close()
        return kept, queued

    kept, queued = asyncio.run(play())
    assert kept == 3 and queued == 3  # 2 chats in hand, 3 waiting by id only
    assert max(in_hand) <= 2
    for chat in chats:
        ids = [u["update_id"] for u in burst if u["message"]["chat"]["id"] == chat]
        mine = [e for e in log if int(e.split()[-1]) in ids]
        assert mine == [f"a {what} {i}" for i in ids for what in ("start", "end")]
    assert len(log) == 2 * len(burst)
    with engine.connect() as conn:
        raw = Raw(conn)
        for update in burst:
            found = inbox.stored_update(raw, bot_id=1, update_id=update["update_id"])
            assert found is not None and found[1] == 0  # no attempt counted: not a crash
        assert all(inbox.pending_ids(raw, bot_id=1, chat_id=c) == [] for c in chats)


def test_a_dead_holders_chat_is_taken_over_when_its_claim_runs_out(
    instances: Two, engine: sa.Engine
) -> None:
    _, b, log, _ = instances
    now = system_clock()
    with engine.connect() as conn:
        raw = Raw(conn)
        inbox.ingest(raw, bot_id=1, updates=[inbox.Received(7, 42, _update(7, 42))], now=now)
        # Instance "dead" stored it, claimed the chat, and was killed.
        lease = dt.timedelta(seconds=30)
        claim = {"bot_id": 1, "chat_id": 42, "holder": "dead", "lease": lease}
        assert inbox.claim_chat(raw, now=now, **claim)

    async def play(later: dt.datetime) -> None:
        pb = await b.open()
        pb.clock = lambda: later
        await pb.sweep()
        await pb.idle()
        await b.close()

    asyncio.run(play(now + dt.timedelta(seconds=5)))
    assert log == []  # the claim still runs
    asyncio.run(play(now + dt.timedelta(seconds=31)))
    assert log == ["b start 7", "b end 7"]


def test_a_holder_whose_claim_ran_out_mid_batch_leaves_the_rest_to_the_new_holder(
    instances: Two,
) -> None:
    """An overloaded instance's batch outlives its lease and another instance takes the chat:
    the first does not go on with the updates it had read (they would be answered twice and
    out of order), it hands them over."""
    a, b, log, slow = instances
    slow[1] = 0.6  # longer than a's lease

    async def play() -> None:
        pa, pb = await a.open(), await b.open()
        pa.lease = dt.timedelta(seconds=0.4)
        await pa.accept([_update(1, 42), _update(2, 42)])  # a holds the chat, reads 1 and 2
        await asyncio.sleep(0.5)  # a is still inside 1; its claim has run out
        await pb.accept([_update(3, 42)])  # b takes the chat: 2 and 3 are b's
        await pb.idle()
        await pa.idle()
        await a.close()
        await b.close()

    asyncio.run(play())
    assert sorted(e for e in log if e.startswith("a ")) == ["a end 1", "a start 1"]
    # b took 1 over too (a's claim ran out while a was inside it: what a lease means), then 2
    # and 3, in order; a did not touch 2.
    assert [e for e in log if e.startswith("b ")][-4:] == [
        "b start 2",
        "b end 2",
        "b start 3",
        "b end 3",
    ]


def test_an_update_that_crashed_the_bot_three_times_is_given_up_with_an_apology(
    instances: Two, engine: sa.Engine
) -> None:
    a, _, log, _ = instances
    with engine.connect() as conn:
        raw = Raw(conn)
        inbox.ingest(
            raw, bot_id=1, updates=[inbox.Received(9, 42, _update(9, 42))], now=system_clock()
        )
        for _ in range(inbox.MAX_ATTEMPTS):
            inbox.count_attempt(raw, bot_id=1, update_id=9)

    async def play() -> None:
        pa = await a.open()
        await pa.sweep()
        await pa.idle()
        await a.close()

    asyncio.run(play())
    assert log == []
    assert a.apologies == [42]
    with engine.connect() as conn:
        assert inbox.pending_ids(Raw(conn), bot_id=1, chat_id=42) == []


@pytest.mark.postgres
def test_the_holder_is_woken_at_once_with_the_update_another_instance_stored(
    postgres_schema_url: str,
) -> None:
    """Round-robin: b stores the next message of a's chat and tells a (NOTIFY, with the
    update's JSON); a processes it from memory — no sweep runs here, and a reads nothing back."""
    from models import migrate
    from models.db import make_engine

    migrate.upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    log: list[str] = []
    a, b = Instance("a", engine, log, {}), Instance("b", engine, log, {})

    async def play() -> None:
        pa, pb = await a.open(), await b.open()
        listeners = [asyncio.create_task(p.listen_forever()) for p in (pa, pb)]
        for _ in range(100):
            if pa._channel and pb._channel:
                break
            await asyncio.sleep(0.02)
        await pa.accept([_update(1, 42)])
        await pa.idle()
        await pb.accept([_update(2, 42)])
        await pb.idle()  # b could not take the chat, and told a
        assert not pb._kept.items
        for _ in range(100):
            if "a end 2" in log:
                break
            await asyncio.sleep(0.02)
        await pa.idle()
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await a.close()
        await b.close()

    asyncio.run(play())
    engine.dispose()
    assert log == ["a start 1", "a end 1", "a start 2", "a end 2"]
    with engine.connect() as conn:
        attempts = conn.execute(sa.text("SELECT attempts FROM inbox WHERE update_id = 2")).one()
    assert attempts[0] == 0  # processed from the note, not read back from the row


def test_a_held_chats_waiting_rows_read_with_an_insert_are_answered_in_order(
    instances: Two, engine: sa.Engine
) -> None:
    """The ids an insert reads back (one trip less a step) include what another instance
    stored for the chat meanwhile: the older row is answered first, not left to the sweep.
    (Answered first, the later one is checked when its handler first uses the database.)"""
    a, _, log, _ = instances
    a.reads_first = True

    async def play() -> None:
        pa = await a.open()
        await pa.accept([_update(1, 42)])  # a holds the chat now
        await pa.idle()
        with engine.connect() as conn:  # stored elsewhere, nobody told a
            raw = Raw(conn)
            inbox.ingest(raw, bot_id=1, updates=[inbox.Received(2, 42, _update(2, 42))],
                         now=system_clock())  # fmt: skip
        await pa.accept([_update(3, 42)])
        await pa.idle()
        await a.close()

    asyncio.run(play())
    assert log == ["a start 1", "a end 1", "a start 2", "a end 2", "a start 3", "a end 3"]
    with engine.connect() as conn:
        assert inbox.pending_ids(Raw(conn), bot_id=1, chat_id=42) == []


def test_waiting_ids_read_while_the_chats_work_ran_are_not_trusted(
    instances: Two, caplog: pytest.LogCaptureFixture
) -> None:
    """An insert that waited (in a worker thread, the database busy) while the chat's work
    answered what it had read: those ids are done by then; the chat reads them afresh (not
    taken up again, each answered once, no done row read back as a broken update)."""
    a, _, log, _ = instances

    async def play() -> None:
        pa = await a.open()
        await pa.accept([_update(1, 42)])  # a holds the chat
        await pa.idle()
        stored_alone = pa._writer.insert_one

        async def insert_then_wait(row: inbox.Received) -> tuple[bool, list[int]]:
            found = await stored_alone(row)  # 2 and 3 waiting, as read with 3's insert
            await pa.idle()  # meanwhile the chat's work answers both and ends
            return found

        await pa.accept([_update(2, 42)])  # the chat's work starts (it reads 2 and 3)
        pa._writer.insert_one = insert_then_wait  # type: ignore[method-assign]
        await pa.accept([_update(3, 42)])
        await pa.idle()
        await a.close()

    with caplog.at_level(logging.INFO, logger="bot.chat_inbox"):
        asyncio.run(play())
    assert log == ["a start 1", "a end 1", "a start 2", "a end 2", "a start 3", "a end 3"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []


def test_an_update_whose_waiting_ids_could_not_be_read_is_stored_once_and_answered(
    instances: Two, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite busy at the read that follows the insert: the work is run again (in a thread)
    and must find the update new, not "a duplicate" left to the sweep."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores the update and reads the ids in one statement")
    a, _, log, _ = instances
    fetch = Raw.fetch
    failed: list[str] = []

    def busy_once(raw: Raw, prepared: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        if not failed and "done_at IS NULL ORDER BY" in prepared.sql:
            failed.append(prepared.sql)
            raise raw.errors.OperationalError("database is locked")
        return fetch(raw, prepared, values)

    async def play() -> list[int]:
        pa = await a.open()
        monkeypatch.setattr(Raw, "fetch", busy_once)
        new, _ = await pa.accept([_update(1, 42)])
        await pa.idle()
        await a.close()
        return new

    assert asyncio.run(play()) == [1]
    assert log == ["a start 1", "a end 1"]
    assert failed  # the read did fail once
