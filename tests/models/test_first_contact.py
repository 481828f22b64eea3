"""A first contact's turn on the fast store (`models.fast_store.FastStore.save`): the
applicant, the interview and the inbox row marked done are written together, or nothing is;
on PostgreSQL in one statement that commits alone (`models.first_contact`)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import sqlalchemy as sa

from models import inbox
from models.db import Raw
from models.fast_store import FastStore
from models.interviews import Content, Write

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
CONTENT = Content("subject_type", {"site_name": "云帆"}, ["subject_type"], {"stage": "x"}, "zh")


def _stored_update(raw: Raw, update_id: int) -> None:
    update = {"update_id": update_id, "message": {"text": "/start", "chat": {"id": 7}}}
    inbox.ingest(raw, bot_id=1, updates=[inbox.Received(update_id, 7, update)], now=NOW)


class _Counting:
    """The cursor the prepared statements run on, naming each statement it runs."""

    def __init__(self, cursor: Any, sent: list[str]) -> None:
        self._cursor, self._sent = cursor, sent

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self._sent.append(str(query).split()[0])
        return self._cursor.execute(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def _counted(raw: Raw) -> list[str]:
    """The statements `raw`'s prepared statements send from now on."""
    sent: list[str] = []
    raw._cursor = _Counting(raw._cursor, sent)
    return sent


def _applicant_without_interview(conn: sa.Connection, external_id: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO applicant (channel, external_id, language, created_at) "
            "VALUES ('telegram', :external_id, 'zh', :now)"
        ),
        {"external_id": external_id, "now": NOW},
    )
    conn.commit()


def _rows(engine: sa.Engine) -> tuple[int, int, list[Any]]:
    with engine.connect() as conn:
        applicants = conn.execute(sa.text("SELECT count(*) FROM applicant")).scalar_one()
        interviews = conn.execute(sa.text("SELECT count(*) FROM interview")).scalar_one()
        done = conn.execute(sa.text("SELECT done_at FROM inbox ORDER BY update_id")).all()
    return int(applicants), int(interviews), [row[0] is not None for row in done]


def test_a_first_contact_writes_applicant_interview_and_done_mark_together(
    engine: sa.Engine,
) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        _stored_update(raw, 5)
        store = FastStore(raw)
        sent = _counted(raw)
        write = Write(CONTENT, inbox=(1, 5), reply=lambda _ids: [{"text": "你好"}])
        saved = store.save("telegram", "7", "小云", None, write, NOW)
        assert saved is not None and saved.version == 1
        if engine.dialect.name == "postgresql":
            # One statement, run alone in autocommit (`Raw.fetch_one`: no BEGIN, no COMMIT).
            assert sent == ["WITH"], sent
        loaded = store.load("telegram", "7")
        assert loaded is not None
        assert (loaded.applicant_id, loaded.interview_id) == (saved.applicant_id,
                                                               saved.interview_id)  # fmt: skip
        assert loaded.content == CONTENT and loaded.version == 1
    assert _rows(engine) == (1, 1, [True])
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT display_name FROM applicant")).scalar_one()
        reply = conn.execute(sa.text("SELECT reply FROM inbox")).scalar_one()
    assert "小云" not in str(name) and "你好" not in str(reply)  # sealed, as the ORM seals
    with engine.connect() as conn:
        assert inbox.unsent(Raw(conn), bot_id=1, holder="h", now=NOW, chat_id=7)[0].update_id == 5


def test_nothing_is_written_for_an_update_done_already(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        _stored_update(raw, 5)
        inbox.finish(raw, bot_id=1, update_id=5, now=NOW)  # processed meanwhile
        store = FastStore(raw)
        assert store.save("telegram", "7", None, None, Write(CONTENT, inbox=(1, 5)), NOW) is None
    assert _rows(engine) == (0, 0, [True])


def test_an_applicant_created_meanwhile_makes_the_turn_take_it_again(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        _stored_update(raw, 5)
        _stored_update(raw, 6)
        store = FastStore(raw)
        assert store.save("telegram", "7", None, None, Write(CONTENT, inbox=(1, 5)), NOW)
        # Another writer's turn that found no applicant either: nothing written, None.
        assert store.save("telegram", "7", None, None, Write(CONTENT, inbox=(1, 6)), NOW) is None
        assert _rows(engine) == (1, 1, [True, False])
        stored = store.load("telegram", "7")
        assert stored is not None
        moved = store.save("telegram", "7", None, stored, Write(CONTENT, inbox=(1, 6)), NOW)
        assert moved is not None and moved.version == 2
    assert _rows(engine) == (1, 1, [True, True])


def test_an_applicant_without_an_interview_gets_one(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        _stored_update(raw, 5)
        _stored_update(raw, 6)
        _applicant_without_interview(conn, "8")
        store = FastStore(raw)
        stored = store.load("telegram", "8")
        assert stored is not None and stored.interview_id is None
        saved = store.save("telegram", "8", None, stored, Write(CONTENT, inbox=(1, 5)), NOW)
        assert saved is not None and saved.applicant_id == stored.applicant_id
    assert _rows(engine) == (1, 1, [True, False])


def test_an_update_marked_done_by_another_writer_meanwhile_writes_nothing(
    engine: sa.Engine,
) -> None:
    """Two instances on one update (a claim ran out): the other marks the row done while this
    turn's statement waits for the row; once it commits, this one writes nothing at all (its
    snapshot still saw the row waiting: without the row locked first, the interview was
    written and the turn counted)."""
    for new_applicant in (False, True):
        external = "9" if new_applicant else "8"
        with engine.connect() as conn:
            raw = Raw(conn)
            _stored_update(raw, 20 + new_applicant)
            if not new_applicant:
                _applicant_without_interview(conn, "8")
            stored = FastStore(raw).load("telegram", external)
        update_id = 20 + new_applicant
        result: list[Any] = []

        def turn(
            stored: Any = stored,
            update_id: int = update_id,
            external: str = external,
            result: list[Any] = result,
        ) -> None:
            with engine.connect() as conn:
                write = Write(CONTENT, inbox=(1, update_id))
                result.append(FastStore(Raw(conn)).save("telegram", external, None, stored,
                                                        write, NOW))  # fmt: skip

        with engine.connect() as other:
            other.execute(
                sa.text("UPDATE inbox SET done_at = :now WHERE update_id = :id"),
                {"now": NOW, "id": update_id},
            )
            thread = threading.Thread(target=turn)
            thread.start()
            time.sleep(0.5)  # the turn's statement waits for the row
            assert thread.is_alive()
            other.commit()
        thread.join(10)
        assert result == [None]
        with engine.connect() as conn:
            interviews = conn.execute(sa.text("SELECT count(*) FROM interview")).scalar_one()
            applicants = conn.execute(
                sa.text("SELECT count(*) FROM applicant WHERE external_id = :e"), {"e": external}
            ).scalar_one()
        assert interviews == 0
        assert applicants == (0 if new_applicant else 1)
