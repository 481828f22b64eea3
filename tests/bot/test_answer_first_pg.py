"""A quiet chat's message answered before it is stored, on PostgreSQL (`bot.answer_first`):
its turn and its row written done in one statement; behind an earlier message of its chat
(another instance stored one) nothing is written and it waits its turn; a redelivery of a
message done already moves nothing. Real conversations and a real inbox processor over a
real server (skipped without `TEST_DATABASE_URL`; CI sets it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.conversation import Conversations, Turn, Who
from bot.tg.effects import StoredBeforeSending
from dialogs.model import Context
from models import inbox, migrate
from models.database import Database
from models.db import Raw, make_engine
from tests.bot.test_answer_first import Probe, _row, _stored_alone
from tests.bot.test_inbox_processor import TOKEN, _update
from tests.bot.test_quick_turns import NOW, _interview_of, _say, _store_updates
from tests.dialogs.conftest import TODAY
from tests.fakes.recording import RecordingRequest

pytestmark = pytest.mark.postgres
WHO = Who("telegram", "9")


@pytest.fixture
def ctx(pack: Any, cal: Any) -> Context:
    return Context(pack=pack, calendar=cal, today=TODAY)


@pytest.fixture
def engine(postgres_schema_url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(postgres_schema_url)
    eng = make_engine(postgres_schema_url)
    yield eng
    eng.dispose()


def _payload_written(engine: sa.Engine, update_id: int) -> bool:
    row = _row(engine, update_id)
    assert row is not None
    return row[1] not in ("{}", {})


async def _two_turns(db: Database, ctx: Context) -> Conversations:
    """An applicant two answers in (updates 30 and 31 stored first, as usual)."""
    conversations = Conversations(db)
    assert await _say(conversations, WHO, "/start", ctx, update_id=30) is not None
    assert await _say(conversations, WHO, "企业", ctx, update_id=31) is not None
    return conversations


async def _answer_first(
    conversations: Conversations, ctx: Context, update_id: int
) -> tuple[inbox.Unstored, Turn | BaseException | None]:
    """Take update `update_id`'s turn (本市) as the processor does for one answered first."""
    record = inbox.Unstored(1, inbox.Received(update_id, 9, {"update_id": update_id}), NOW)
    held = inbox.hold_unstored(record)
    try:
        return record, await _say(conversations, WHO, "本市", ctx, update_id=update_id)
    except inbox.StoreFirst as exc:
        return record, exc
    finally:
        inbox.release_unstored(held, record)


def test_a_turn_answered_first_writes_its_update_done_in_its_one_statement(
    engine: sa.Engine, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_updates(engine, 9, 30, 31)
    stored_alone = _stored_alone(monkeypatch)
    runs: list[str] = []

    async def play() -> tuple[inbox.Unstored, Turn | BaseException | None, Database, int]:
        db = Database(engine=engine)
        conversations = await _two_turns(db, ctx)
        fetch_one = Raw.fetch_one

        def counting(raw: Raw, prepared: Any, values: dict[str, Any]) -> Any:
            runs.append(prepared.sql.split()[0])
            return fetch_one(raw, prepared, values)

        monkeypatch.setattr(Raw, "fetch_one", counting)
        record, turn = await _answer_first(conversations, ctx, 32)
        return record, turn, db, conversations.counts["quick"]

    record, turn, db, quick = asyncio.run(play())
    assert isinstance(turn, Turn)
    assert record.stored and not record.requeue
    assert quick == 3 and not db.counts  # the quick turn, on the loop's connection
    assert len(runs) == 1  # the turn and the update's row: one statement, one trip
    assert stored_alone == []  # never stored on its own
    done = _row(engine, 32)
    assert done is not None and done[0] is not None  # written done with the turn
    assert not _payload_written(engine, 32), _row(engine, 32)  # its JSON never written
    assert _interview_of(engine, "9").answers == {
        "subject_type": "enterprise",
        "maintenance": "local",
    }


def test_behind_an_earlier_message_of_its_chat_nothing_is_written_and_it_waits(
    engine: sa.Engine, ctx: Context
) -> None:
    _store_updates(engine, 9, 30, 31)

    async def play() -> tuple[inbox.Unstored, Turn | BaseException | None]:
        conversations = await _two_turns(Database(engine=engine), ctx)
        _store_updates(engine, 9, 32)  # another instance stored the chat's next message
        return await _answer_first(conversations, ctx, 33)

    record, outcome = asyncio.run(play())
    assert isinstance(outcome, inbox.StoreFirst)  # its handler is stopped
    assert record.stored and record.requeue  # stored, waiting, to be processed after 32
    waiting = _row(engine, 33)
    assert waiting is not None and waiting[0] is None and _payload_written(engine, 33)
    earlier = _row(engine, 32)
    assert earlier is not None and earlier[0] is None  # still waiting: it goes first
    assert _interview_of(engine, "9").answers == {"subject_type": "enterprise"}  # not moved


def test_a_redelivery_of_a_message_done_already_moves_nothing(
    engine: sa.Engine, ctx: Context
) -> None:
    _store_updates(engine, 9, 30, 31)

    async def play() -> tuple[inbox.Unstored, Turn | BaseException | None]:
        conversations = await _two_turns(Database(engine=engine), ctx)
        return await _answer_first(conversations, ctx, 31)

    record, outcome = asyncio.run(play())
    assert isinstance(outcome, inbox.StoreFirst)  # answered before: its handler is stopped
    assert record.stored and record.repeated and not record.requeue
    assert _interview_of(engine, "9").answers == {"subject_type": "enterprise"}


def _note(engine: sa.Engine, update_id: int) -> None:
    """A handler's own write, through a pooled connection (as the ORM's paths write)."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO note (update_id) VALUES (:u)"), {"u": update_id})


def _notes(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT update_id FROM note ORDER BY id")).scalars())


class Worker(Probe):
    """A handler whose first work is `first`: a read on the loop (`Database.run`, as the bot's
    handlers read), a write in a worker thread (the ORM's sessions) or one on the loop itself
    (a few handlers'); after `pause` seconds (past ACK_WITHIN: the message is then stored by
    its acknowledgement, checked, before that work)."""

    def __init__(self, engine: sa.Engine, log: list[str], first: str, pause: float) -> None:
        super().__init__(engine, log)
        self.first, self.wait = first, pause
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE note (id serial PRIMARY KEY, update_id int)"))

    async def handle(self, update: Update, _context: Any) -> None:
        key = update.update_id
        self.log.append(f"a start {key}")
        await asyncio.sleep(self.wait if key > 1 else 0)
        if self.first == "read on the loop":
            await self.db.run(partial(inbox.backlog, bot_id=1))
        elif self.first == "write in a thread":
            await asyncio.to_thread(_note, self.engine, key)
        else:
            _note(self.engine, key)
        self.log.append(f"a end {key}")


@pytest.mark.parametrize(
    ("first", "pause"),
    [
        ("read on the loop", 0.0),
        ("write in a thread", 0.0),
        ("write on the loop", 0.0),
        ("read on the loop", 0.2),  # stored by its acknowledgement first (ACK_WITHIN)
        ("write in a thread", 0.2),
    ],
)
def test_the_processor_answers_the_earlier_message_first_then_the_one_stopped(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, first: str, pause: float
) -> None:
    log: list[str] = []
    a = Worker(engine, log, first, pause)
    stored_alone = _stored_alone(monkeypatch)

    async def play() -> None:
        p = await a.holding_chat_42()
        with engine.connect() as conn:  # another instance stores the chat's message 2
            inbox.ingest(Raw(conn), bot_id=1, updates=[_received(2)], now=NOW)
        assert await p.accept([_update(3, 42)]) == ([3], 0)  # answered first
        await p.idle()
        await p.sweep()  # (nothing left: found by the chat's own look)
        await p.idle()
        await a.close()

    asyncio.run(play())
    assert stored_alone == [1]  # 3 was stored by its handler's first work, not before
    assert log == [
        "a start 1", "a end 1",
        "a start 3",  # stopped at its first work: 2 waits
        "a start 2", "a end 2",
        "a start 3", "a end 3",
    ]  # fmt: skip
    if first != "read on the loop":
        assert _notes(engine) == [1, 2, 3]  # each written once, in order
    for update_id in (1, 2, 3):
        row = _row(engine, update_id)
        assert row is not None and row[0] is not None
    assert a.apologies == []  # not a failure


def _received(update_id: int) -> inbox.Received:
    return inbox.Received(update_id, 42, _update(update_id, 42))


class Sender(Probe):
    """A handler that sends before it uses the database (a refusal, a group's hint): the bot's
    Bot API calls go through `bot.tg.effects.StoredBeforeSending`, as `build_application`
    sets it up on PostgreSQL."""

    def __init__(self, engine: sa.Engine, log: list[str]) -> None:
        super().__init__(engine, log)
        self.request = RecordingRequest()
        self.app = (
            Application.builder()
            .token(TOKEN)
            .request(self.request)
            .rate_limiter(StoredBeforeSending())
            .updater(None)
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self.handle))

    async def handle(self, update: Update, context: Any) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, f"re {update.update_id}")
        self.log.append(f"a sent {update.update_id}")


def test_a_handler_that_sends_first_is_stopped_before_it_sends_behind_an_earlier_message(
    engine: sa.Engine,
) -> None:
    log: list[str] = []
    a = Sender(engine, log)

    async def play() -> tuple[int, int]:
        p = await a.holding_chat_42()
        sent_before = a.request.calls
        with engine.connect() as conn:  # another instance stores the chat's message 2
            inbox.ingest(Raw(conn), bot_id=1, updates=[_received(2)], now=NOW)
        assert await p.accept([_update(3, 42)]) == ([3], 0)  # answered first
        await p.idle()
        again = await p.accept([_update(3, 42)])  # Telegram sends it once more
        await p.idle()
        await a.close()
        assert again == ([], 0)  # refused: stored, and done
        return sent_before, a.request.calls

    before, after = asyncio.run(play())
    assert log == ["a sent 1", "a sent 2", "a sent 3"]  # 3 stopped before its message went out
    assert after - before == 2  # one message each for 2 and 3: none twice
    assert a.apologies == []
