"""Quick turns: the same conversation as whole turns, without the ORM and without reads.

`Conversations` remembers each interview after a turn and writes the next state checked
against its version. These tests hold it to the whole-turn path: identical transcripts and
rows, a change made elsewhere never overwritten, a redelivered update ignored, a locked SQLite
file never blocking the event loop.
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

from bot.conversation import (
    RECENT_UPDATES,
    Conversations,
    Turn,
    Who,
    render_in_process,
    take_turn,
)
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models import migrate
from models.db import make_engine
from models.tables import Applicant, Filing, Interview, ProcessedUpdate
from rules.enums import InterviewStatus
from tests.dialogs.conftest import TODAY, shown
from tests.dialogs.transcripts import SUBMITTING

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


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
        render_set=render_in_process,
        update_key=(1, update_id) if update_id is not None else None,
    )


def _whole(
    engine: sa.Engine,
    external_id: str,
    text: str,
    ctx: Context,
    update_key: tuple[int, int] | None = None,
    render_set: Any = render_in_process,
    channel: str = "terminal",
) -> Turn | None:
    """Take a whole turn (take_turn), as the bot does after a miss."""
    return take_turn(
        engine=engine,
        channel=channel,
        external_id=external_id,
        inp=Input.typed(text),
        ctx=ctx,
        now=NOW,
        render_set=render_set,
        update_key=update_key,
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

    async def play() -> tuple[list[str], list[str], Conversations]:
        remembering = Conversations(engine)
        quick = [
            shown(t.step)
            for i, s in enumerate(said)
            if (t := await _say(remembering, Who("terminal", "quick"), s, ctx, update_id=i + 1))
        ]
        # A process restarted before every turn: nothing remembered, each turn reads the row.
        restarted = []
        for i, s in enumerate(said):
            fresh = Conversations(engine)
            turn = await _say(fresh, Who("terminal", "restarted"), s, ctx, update_id=1000 + i)
            assert turn is not None
            restarted.append(shown(turn.step))
            fresh.close()
        remembering.close()
        return quick, restarted, remembering

    quick, restarted, remembering = asyncio.run(play())
    assert quick == expected
    assert restarted == expected
    # Answers went the quick way; the submission (rendering, filing) the whole way.
    assert remembering.counts["quick"] >= len(said) - 2
    assert remembering.counts["whole"] + remembering.counts["missed"] >= 1

    # The same rows as a conversation taken entirely through take_turn.
    for text in said:
        _whole(engine, "whole", text, ctx)
    rows = {who: _interview_of(engine, who) for who in ("quick", "restarted", "whole")}
    for who in ("quick", "restarted"):
        for column in ("state", "answers", "history", "flow", "language", "status"):
            assert getattr(rows[who], column) == getattr(rows["whole"], column), (who, column)
    with Session(engine) as session:
        filings = session.exec(select(Filing)).all()
        assert len(filings) == 3
        assert len({f.data["website"]["name"] for f in filings}) == 1
        # Only whole turns (the two submissions) write a processed_update row; every update id
        # is in its interview's recent_updates, the last RECENT_UPDATES of them.
        assert len(session.exec(select(ProcessedUpdate)).all()) == 2
    assert rows["quick"].recent_updates == [[1, i + 1] for i in range(len(said))][-RECENT_UPDATES:]


def test_a_change_made_elsewhere_is_not_overwritten(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "42")

    async def play() -> tuple[Conversations, Turn | None]:
        here, there = Conversations(engine), Conversations(engine)
        for text in ("/start", "企业"):
            await _say(here, who, text, ctx)
        await _say(there, who, "本市", ctx)  # another instance answers the maintenance question
        # `here` still remembers the interview waiting for the maintenance answer; "外地" is
        # the answer to the server question now, read from the row.
        turn = await _say(here, who, "外地", ctx)
        here.close()
        there.close()
        return here, turn

    here, turn = asyncio.run(play())
    assert here.counts["missed"] == 1
    assert turn is not None
    assert "服务器在哪个城市" in shown(turn.step)
    answers = _interview_of(engine, "42").answers
    assert answers["maintenance"] == "local"
    assert answers["server"] == "elsewhere"


def test_a_redelivered_update_changes_nothing(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "7")

    async def play() -> list[Turn | None]:
        conversations = Conversations(engine)
        turns = [
            await _say(conversations, who, "/start", ctx, update_id=10),
            await _say(conversations, who, "企业", ctx, update_id=11),
            await _say(conversations, who, "企业", ctx, update_id=11),  # delivered again
            await _say(conversations, who, "本市", ctx, update_id=12),
        ]
        conversations.close()
        return turns

    turns = asyncio.run(play())
    assert turns[2] is None
    assert turns[3] is not None
    assert "网站服务器放在哪里" in shown(turns[3].step)
    interview = _interview_of(engine, "7")
    assert interview.answers["maintenance"] == "local"
    assert interview.history.count("subject_type") == 1


def test_a_redelivery_after_a_restart_or_to_a_whole_turn_changes_nothing(
    engine: sa.Engine, ctx: Context
) -> None:
    who = Who("telegram", "17")

    async def play() -> list[Turn | None]:
        before = Conversations(engine)
        for i, text in enumerate(["/start", "企业", "本市"]):
            await _say(before, who, text, ctx, update_id=100 + i)
        before.close()
        after = Conversations(engine)  # the process restarted: nothing remembered
        turns = [
            await _say(after, who, "企业", ctx, update_id=101),  # Telegram sends these again
            await _say(after, who, "本市", ctx, update_id=102),
            await _say(after, who, "本市", ctx, update_id=103),  # and then a new one
        ]
        after.close()
        return turns

    turns = asyncio.run(play())
    assert turns[:2] == [None, None]
    assert turns[2] is not None
    assert "服务器在哪个城市" not in shown(turns[2].step)
    answers = _interview_of(engine, "17").answers
    assert answers == {"subject_type": "enterprise", "maintenance": "local", "server": "local"}
    # A whole turn (here a direct take_turn) knows the quick turns' update ids too.
    repeated = _whole(engine, "17", "外地", ctx, update_key=(1, 103), channel="telegram")
    assert repeated is None
    assert _interview_of(engine, "17").answers["server"] == "local"


def test_update_ids_carry_over_to_the_next_interview(engine: sa.Engine, ctx: Context) -> None:
    said = ["/start"] + [text for text, _ in SUBMITTING["individual"]]
    who = Who("telegram", "23")

    async def play() -> tuple[Turn | None, Turn | None]:
        conversations = Conversations(engine)
        for i, text in enumerate(said):
            await _say(conversations, who, text, ctx, update_id=i + 1)
        new = await _say(conversations, who, "/start", ctx, update_id=500)  # a new interview
        conversations.close()
        again = await _say(Conversations(engine), who, said[-2], ctx, update_id=len(said) - 1)
        return new, again

    new, again = asyncio.run(play())
    assert new is not None
    assert again is None  # an update of the finished interview, redelivered: still known
    latest = _interview_of(engine, "23")
    assert latest.status is InterviewStatus.ACTIVE
    assert latest.answers == {}
    assert [1, 500] in latest.recent_updates
    assert [1, len(said) - 1] in latest.recent_updates


def test_first_contact_and_language_are_stored(engine: sa.Engine, ctx: Context) -> None:
    who = Who("telegram", "99", lang="en", display_name="Ada L.")

    async def play() -> Conversations:
        conversations = Conversations(engine)
        await _say(conversations, who, "/start", ctx)
        await _say(conversations, who, "/lang", ctx)  # switch to Chinese
        conversations.close()
        return conversations

    conversations = asyncio.run(play())
    assert conversations.counts["quick"] == 2
    with Session(engine) as session:
        applicant = session.exec(select(Applicant).where(Applicant.external_id == "99")).one()
        assert applicant.display_name == "Ada L."
        assert applicant.language == "zh"
    interview = _interview_of(engine, "99")
    assert interview.status is InterviewStatus.ACTIVE
    assert interview.language == "zh"


def test_memory_keeps_the_most_recent_interviews(engine: sa.Engine, ctx: Context) -> None:
    async def play() -> tuple[Conversations, Turn | None]:
        conversations = Conversations(engine, capacity=2)
        for name in ("a", "b", "c"):
            await _say(conversations, Who("telegram", name), "/start", ctx)
        assert conversations.known("telegram", "a") is None  # the least recent went first
        assert conversations.known("telegram", "b") is not None
        assert conversations.known("telegram", "c") is not None
        turn = await _say(conversations, Who("telegram", "a"), "企业", ctx)  # read back
        conversations.close()
        return conversations, turn

    conversations, turn = asyncio.run(play())
    assert turn is not None
    assert "网站系统在哪里维护" in shown(turn.step)
    assert conversations.counts["quick"] == 4


def test_a_locked_sqlite_file_does_not_block_the_event_loop(tmp_path: Path, ctx: Context) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    who = Who("telegram", "5")
    holder = sqlite3.connect(tmp_path / "locked.db", check_same_thread=False)
    released = threading.Event()

    def release() -> None:
        holder.rollback()
        released.set()

    async def play() -> tuple[Conversations, Turn | None]:
        conversations = Conversations(engine)
        await _say(conversations, who, "/start", ctx)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        # Only the event loop can release it: if the turn waited for the lock on the loop,
        # the release would never run in time and wait_for would give up.
        asyncio.get_running_loop().call_later(0.2, release)
        turn = await asyncio.wait_for(_say(conversations, who, "企业", ctx), timeout=3)
        conversations.close()
        return conversations, turn

    try:
        conversations, turn = asyncio.run(play())
    finally:
        holder.close()
        engine.dispose()
    assert released.is_set()
    assert conversations.counts["missed"] == 1  # the quick turn gave way to a whole turn
    assert turn is not None
    assert "网站系统在哪里维护" in shown(turn.step)


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "wal.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    conversations = Conversations(engine)
    conversations.CHECKPOINT_EVERY = 4
    said = ["/start", "企业", "本市", "外地", "杭州"]

    async def play() -> None:
        for text in said:
            await _say(conversations, Who("telegram", "8"), text, ctx)
        await conversations.settle()
        conversations.close()

    try:
        asyncio.run(play())
    finally:
        engine.dispose()
    assert conversations.counts["checkpoints"] == 1
    # The database file itself, read without its WAL, has the turns up to the checkpoint.
    plain = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        (answers,) = plain.execute("SELECT answers FROM interview").fetchone()
    finally:
        plain.close()
    assert '"maintenance": "local"' in answers or '"maintenance":"local"' in answers


def test_documents_render_before_the_write_lock_is_taken(tmp_path: Path, ctx: Context) -> None:
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
        for i, text in enumerate(said):
            turn = _whole(engine, "r", text, ctx, update_key=(1, i + 1), render_set=render_set)
    finally:
        engine.dispose()
    assert turn is not None
    assert len(turn.documents) == 4
    assert writes_while_rendering == ["written"]
