"""Quick turns: the same conversation as whole turns, without the ORM and without reads.

`Conversations` remembers each interview after a turn and writes the next state checked
against its version (the fast store). These tests hold it to the ORM store: identical
transcripts and rows, a change made elsewhere never overwritten, an update whose inbox row is
done never taken again, a locked SQLite file never blocking the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.conversation import Conversations, Turn, Who, take_turn_in_session
from bot.deliveries import prepare_documents, render_in_process
from bot.submission import Submitted, submission_writer
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models import inbox, migrate, sealed
from models.database import Database
from models.db import Raw, make_engine, session_scope
from models.tables import Applicant, Filing, InboxUpdate, Interview
from rules.enums import InterviewStatus
from tests.dialogs.conftest import TODAY, shown
from tests.dialogs.transcripts import SUBMITTING

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
BOT = 1


@pytest.fixture
def ctx(pack: Any, cal: Any) -> Context:
    return Context(pack=pack, calendar=cal, today=TODAY)


def _expected(ctx: Context, said: list[str]) -> list[str]:
    step = begin(ctx)
    texts = [shown(step)]
    for text in said[1:]:
        step = handle(step.state, Input.typed(text), ctx)
        texts.append(shown(step))
    return texts


def _store_updates(engine: sa.Engine, chat: int, *update_ids: int) -> None:
    """Put updates in the inbox, as ingestion does before acknowledging them."""
    with engine.connect() as conn:
        received = [inbox.Received(i, chat, {"update_id": i}) for i in update_ids]
        inbox.ingest(Raw(conn), bot_id=BOT, updates=received, now=NOW)


async def _say(
    conversations: Conversations,
    who: Who,
    text: str,
    ctx: Context,
    update_id: int | None = None,
) -> Turn | None:
    return await conversations.turn(
        who,
        inp=Input.typed(text),
        ctx=Context(pack=ctx.pack, calendar=ctx.calendar, today=ctx.today),  # one per turn
        now=NOW,
        inbox=(BOT, update_id) if update_id is not None else None,
        effect_writer=submission_writer(ctx, "test", None),
    )


def _whole(engine: sa.Engine, external_id: str, text: str, ctx: Context) -> Turn | None:
    """Take a turn on the ORM store (what the bot does when the fast store gives way)."""
    with session_scope(engine) as session:
        return take_turn_in_session(
            session,
            Who("terminal", external_id),
            Input.typed(text),
            ctx,
            NOW,
            effect_writer=submission_writer(ctx, "test", None),
        )


def _interview_of(engine: sa.Engine, external_id: str) -> Interview:
    with Session(engine) as session:
        return session.exec(
            select(Interview)
            .join(Applicant, col(Applicant.id) == col(Interview.applicant_id))
            .where(Applicant.external_id == external_id)
            .order_by(col(Interview.id).desc())
        ).first()  # type: ignore[return-value]


@pytest.mark.parametrize("subject", sorted(SUBMITTING))
def test_quick_turns_give_the_whole_turns_transcript_and_rows(
    engine: sa.Engine, ctx: Context, subject: str
) -> None:
    said = ["/start"] + [text for text, _ in SUBMITTING[subject]]
    expected = _expected(ctx, said)
    _store_updates(engine, 1, *range(1, len(said) + 1))

    async def play() -> tuple[list[str], list[str], Conversations]:
        remembering = Conversations(Database(engine=engine))
        quick = [
            shown(t.step)
            for i, s in enumerate(said)
            if (t := await _say(remembering, Who("terminal", "quick"), s, ctx, update_id=i + 1))
        ]
        # A process restarted before every turn: nothing remembered, each turn reads the row.
        restarted = []
        for s in said:
            fresh = Conversations(Database(engine=engine))
            turn = await _say(fresh, Who("terminal", "restarted"), s, ctx)
            assert turn is not None
            restarted.append(shown(turn.step))
        return quick, restarted, remembering

    quick, restarted, remembering = asyncio.run(play())
    assert quick == expected
    assert restarted == expected
    # Answers went the quick way; the submission (the filing and its delivery) the whole way.
    assert remembering.counts["quick"] >= len(said) - 2
    assert remembering.counts["whole"] + remembering.counts["missed"] >= 1

    # The same rows as a conversation taken entirely on the ORM store.
    for text in said:
        _whole(engine, "whole", text, ctx)
    rows = {who: _interview_of(engine, who) for who in ("quick", "restarted", "whole")}
    for who in ("quick", "restarted"):
        for column in ("question", "answers", "history", "flow", "language", "status"):
            assert getattr(rows[who], column) == getattr(rows["whole"], column), (who, column)
    with Session(engine) as session:
        filings = session.exec(select(Filing)).all()
        assert len(filings) == 3
        assert len({f.data["website"]["name"] for f in filings}) == 1
        # Every update the quick conversation answered is done, in the turn that answered it.
        done = session.exec(select(InboxUpdate).where(col(InboxUpdate.done_at).is_not(None)))
        assert len(done.all()) == len(said)


def test_a_change_made_elsewhere_is_not_overwritten(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "42")

    async def play() -> tuple[Conversations, Turn | None]:
        here = Conversations(Database(engine=engine))
        there = Conversations(Database(engine=engine))
        for text in ("/start", "企业"):
            await _say(here, who, text, ctx)
        await _say(there, who, "本市", ctx)  # another instance answers the maintenance question
        # `here` still remembers the interview waiting for the maintenance answer; "外地" is
        # the answer to the server question now, read from the row.
        turn = await _say(here, who, "外地", ctx)
        return here, turn

    here, turn = asyncio.run(play())
    assert here.counts["missed"] == 1
    assert turn is not None
    assert "服务器在哪个城市" in shown(turn.step)
    answers = _interview_of(engine, "42").answers
    assert answers["maintenance"] == "local"
    assert answers["server"] == "elsewhere"


def test_an_update_already_done_changes_nothing(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "7")
    _store_updates(engine, 7, 10, 11, 12)

    async def play() -> list[Turn | None]:
        conversations = Conversations(Database(engine=engine))
        turns = [
            await _say(conversations, who, "/start", ctx, update_id=10),
            await _say(conversations, who, "企业", ctx, update_id=11),
            await _say(conversations, who, "企业", ctx, update_id=11),  # taken again
            await _say(conversations, who, "本市", ctx, update_id=12),
        ]
        after = Conversations(Database(engine=engine))  # a restart: nothing remembered
        turns.append(await _say(after, who, "本市", ctx, update_id=12))
        return turns

    turns = asyncio.run(play())
    assert turns[2] is None
    assert turns[4] is None
    assert turns[3] is not None
    assert "网站服务器放在哪里" in shown(turns[3].step)
    interview = _interview_of(engine, "7")
    assert interview.answers == {"subject_type": "enterprise", "maintenance": "local"}
    assert interview.history.count("subject_type") == 1


def test_a_turn_that_fails_leaves_its_update_waiting(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "8")
    _store_updates(engine, 8, 20)

    def broken(*_args: Any) -> Any:
        raise RuntimeError("the disk is full")

    async def play() -> None:
        conversations = Conversations(Database(engine=engine))
        said = ["/start"] + [text for text, _ in SUBMITTING["individual"]]
        for text in said[:-1]:
            await _say(conversations, who, text, ctx)
        with pytest.raises(RuntimeError):
            await conversations.turn(
                who,
                inp=Input.typed(said[-1]),
                ctx=ctx,
                now=NOW,
                inbox=(BOT, 20),
                effect_writer=broken,
            )

    asyncio.run(play())
    with engine.connect() as conn:
        assert inbox.pending_ids(Raw(conn), bot_id=BOT, chat_id=8) == [20]  # processed again later
    assert _interview_of(engine, "8").status is InterviewStatus.ACTIVE
    with Session(engine) as session:
        assert session.exec(select(Filing)).all() == []


def test_first_contact_and_language_are_stored(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "99", lang="en", display_name="Ada L.\x00" + "x" * 300)

    async def play() -> Conversations:
        conversations = Conversations(Database(engine=engine))
        await _say(conversations, who, "/start", ctx)
        await _say(conversations, who, "/lang", ctx)  # switch to Chinese
        return conversations

    conversations = asyncio.run(play())
    assert conversations.counts["quick"] == 2
    with Session(engine) as session:
        applicant = session.exec(select(Applicant).where(Applicant.external_id == "99")).one()
        assert applicant.display_name is not None
        assert applicant.display_name.startswith("Ada L.x")  # NUL dropped, cut to 200
        assert len(applicant.display_name) == 200
        assert applicant.language == "zh"
    interview = _interview_of(engine, "99")
    assert interview.status is InterviewStatus.ACTIVE
    assert interview.language == "zh"


def test_memory_keeps_the_most_recent_interviews(engine: sa.Engine, ctx: Context) -> None:
    async def play() -> tuple[Conversations, Turn | None]:
        conversations = Conversations(Database(engine=engine), capacity=2)
        for name in ("a", "b", "c"):
            await _say(conversations, Who("telegram", name), "/start", ctx)
        assert conversations.known("telegram", "a") is None  # the least recent went first
        assert conversations.known("telegram", "b") is not None
        assert conversations.known("telegram", "c") is not None
        turn = await _say(conversations, Who("telegram", "a"), "企业", ctx)  # read back
        return conversations, turn

    conversations, turn = asyncio.run(play())
    assert turn is not None
    assert "网站系统在哪里维护" in shown(turn.step)
    assert conversations.counts["quick"] == 4


def test_a_locked_sqlite_file_does_not_block_the_event_loop(tmp_path: Path, ctx: Context) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    migrate.upgrade(url)
    db = Database(url)
    who = Who("telegram", "5")
    holder = sqlite3.connect(tmp_path / "locked.db", check_same_thread=False)
    released = threading.Event()

    def release() -> None:
        holder.rollback()
        released.set()

    async def play() -> Turn | None:
        conversations = Conversations(db)
        await _say(conversations, who, "/start", ctx)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        # Only the event loop can release it: if the turn waited for the lock on the loop,
        # the release would never run in time and wait_for would give up.
        asyncio.get_running_loop().call_later(0.2, release)
        return await asyncio.wait_for(_say(conversations, who, "企业", ctx), timeout=3)

    try:
        turn = asyncio.run(play())
    finally:
        holder.close()
        db.close()
    assert released.is_set()
    assert db.counts["busy"] == 1  # the loop gave the turn to a worker thread, which waited
    assert turn is not None
    assert "网站系统在哪里维护" in shown(turn.step)


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "wal.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db = Database(url)
    db.CHECKPOINT_EVERY = 4
    said = ["/start", "企业", "本市", "外地", "杭州"]

    async def play() -> None:
        conversations = Conversations(db)
        for text in said:
            await _say(conversations, Who("telegram", "8"), text, ctx)
        await db.settle()

    try:
        asyncio.run(play())
    finally:
        db.close()
    assert db.counts["checkpoints"] == 1
    # The database file itself, read without its WAL, has the turns up to the checkpoint.
    plain = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        (answers,) = plain.execute("SELECT answers FROM interview").fetchone()
    finally:
        plain.close()
    opened = sealed.open_json(answers, context="interview.answers")  # sealed (issue 26)
    assert opened["maintenance"] == "local"


def test_documents_render_while_others_can_write(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "render.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    said = ["/start"] + [text for text, _ in SUBMITTING["individual"]]
    writes_while_rendering: list[str] = []

    def render_set(kinds: Any, answers: Any, doc_ctx: Any) -> Any:
        # Another applicant writes while these documents render: it must not find the file
        # locked (busy_timeout 0: a held lock fails at once).
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("UPDATE applicant SET display_name = 'other' WHERE id = -1")
            other.commit()
            writes_while_rendering.append("written")
        except sqlite3.OperationalError as exc:
            writes_while_rendering.append(str(exc))
        finally:
            other.close()
        return render_in_process(kinds, answers, doc_ctx)

    try:
        for text in said:
            turn = _whole(engine, "r", text, ctx)
        assert turn is not None
        assert isinstance(turn.effects, Submitted)
        documents = prepare_documents(engine, turn.effects.delivery_id, render_set, ctx, NOW)
    finally:
        engine.dispose()
    assert documents is not None
    assert len(documents.documents) == 4
    assert writes_while_rendering == ["written"]


@pytest.mark.postgres
def test_a_quick_turn_on_postgresql_leaves_later_commits_synced(
    postgres_schema_url: str, ctx: Context
) -> None:
    """The turn's one statement commits without waiting for the disk (`TURN_COMMIT`, for
    that transaction only): the loop's connection, which also stores the next updates before
    Telegram is answered, still syncs every other commit."""
    migrate.upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    who = Who("telegram", "9")
    try:
        _store_updates(engine, 9, 30, 31, 32)

        async def play() -> tuple[list[Turn | None], str, Database, int]:
            db = Database(engine=engine)
            conversations = Conversations(db)
            turns = [
                await _say(conversations, who, "/start", ctx, update_id=30),
                await _say(conversations, who, "企业", ctx, update_id=31),
                await _say(conversations, who, "本市", ctx, update_id=32),
            ]

            def setting(raw: Raw) -> str:
                cursor = raw.dbapi.cursor()
                cursor.execute("SHOW synchronous_commit")
                (value,) = cursor.fetchone()
                cursor.close()
                raw.rollback()
                return str(value)

            return turns, await db.run(setting), db, conversations.counts["quick"]

        turns, after, db, quick = asyncio.run(play())
        assert all(turn is not None for turn in turns)
        assert db.inline and not db.counts  # every turn ran on the loop's connection
        assert quick == 3
        assert after == "on"
        with Session(engine) as session:
            done = session.exec(select(InboxUpdate).where(col(InboxUpdate.done_at).is_not(None)))
            assert sorted(row.update_id for row in done) == [30, 31, 32]
        assert _interview_of(engine, "9").answers == {
            "subject_type": "enterprise",
            "maintenance": "local",
        }
    finally:
        engine.dispose()


def test_new_after_a_filing_is_offered_its_unit_on_the_bots_path(
    engine: sa.Engine, ctx: Context
) -> None:
    said = ["/start"] + [text for text, _ in SUBMITTING["enterprise"]] + ["/new", "企业"]

    async def play() -> tuple[Turn | None, Conversations]:
        conversations = Conversations(Database(engine=engine))
        turn = None
        for text in said:
            turn = await _say(conversations, Who("telegram", "7"), text, ctx)
        return turn, conversations

    turn, conversations = asyncio.run(play())
    assert turn is not None
    offer = shown(turn.step)
    assert "沿用上次备案的开办主体和联系人信息吗？" in offer
    assert "法定代表人：林云帆（居民身份证 **************0015）" in offer
    assert conversations.counts["quick"] >= len(said) - 3  # /new and the filing: the ORM way
