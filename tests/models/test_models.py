"""Models round-trip on SQLite and PostgreSQL, migrations match the tables, locking holds."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel

from models import inbox, migrate, outbox, repo
from models.db import Raw, make_engine, session_scope
from models.tables import (
    Filing,
    GeneratedDocument,
    Interview,
    OutboxMessage,
    Reviewer,
)
from rules.enums import (
    DocumentKind,
    FilingStatus,
    InterviewStatus,
    Location,
    OutboxStatus,
    SubjectType,
)
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

NOW = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)


def _not_search_index(name: str | None, kind: str, _parent: object) -> bool:
    """The desk's search indexes (migration 0013_console: SQLite's FTS5 table, PostgreSQL's
    pg_trgm index) are no model's."""
    found = name or ""
    return not found.startswith("filing_search") and found != "ix_filing_queue_search_trgm"


def test_migrations_create_exactly_the_tables_the_code_declares(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _not_search_index}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrations_go_down_and_up_again(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    eng = make_engine(db_url)
    assert "filing" not in sa.inspect(eng).get_table_names()
    migrate.upgrade(db_url)
    assert "filing" in sa.inspect(eng).get_table_names()
    eng.dispose()


def _filing(applicant_id: int) -> Filing:
    return Filing(
        applicant_id=applicant_id,
        subject_type=SubjectType.ENTERPRISE,
        maintenance=Location.LOCAL,
        server=Location.ELSEWHERE,
        server_city="杭州",
        route={"in_scope": True, "steps": [{"order": 1, "where": "local"}]},
        connection_date=dt.date(2026, 11, 20),
        data={"site_name": "示例网站", "domains": ["例子.中国"], "note": "𠮷 «quoted»"},
        site_name="示例网站",
    )


def test_a_filing_with_its_applicant_interview_and_audit_round_trips(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(
            session=s, channel="telegram", external_id="42", display_name="张三"
        )
        assert applicant.id is not None
        interview = Interview(applicant_id=applicant.id, question="subject_type")
        s.add(interview)
        s.flush()
        repo.save_interview(
            session=s,
            interview=interview,
            question="website",
            answers={"subject_type": "enterprise", "名称": "示例"},
            history=["welcome", "subject_type"],
            now=NOW,
        )
        filing = repo.create_filing(
            session=s, filing=_filing(applicant.id), actor=f"applicant:{applicant.id}", now=NOW
        )
        filing_id = filing.id

    with Session(engine) as s:
        again = repo.get_or_create_applicant(session=s, channel="telegram", external_id="42")
        assert again.id == applicant.id and again.display_name == "张三"
        stored_interview = repo.active_interview(session=s, applicant_id=applicant.id)
        assert stored_interview is not None
        assert stored_interview.question == "website"
        assert stored_interview.answers == {"subject_type": "enterprise", "名称": "示例"}
        assert stored_interview.history == ["welcome", "subject_type"]
        assert stored_interview.status is InterviewStatus.ACTIVE
        stored = s.get(Filing, filing_id)
        assert stored is not None
        assert stored.status is FilingStatus.PREPARED  # nothing is sent to a bureau yet
        assert stored.subject_type is SubjectType.ENTERPRISE
        assert stored.data["domains"] == ["例子.中国"] and stored.data["note"] == "𠮷 «quoted»"
        assert stored.connection_date == dt.date(2026, 11, 20)
        assert stored.submitted_at is None
        assert stored.created_at == NOW and stored.created_at.tzinfo is not None
        events = repo.events_of(session=s, filing_id=stored.id or 0)
        assert [(e.from_status, e.to_status) for e in events] == [(None, FilingStatus.PREPARED)]


def test_every_transition_is_audited_with_who_when_and_why(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(session=s, channel="terminal", external_id="me")
        filing = repo.create_filing(
            session=s, filing=_filing(applicant.id or 0), actor="a", now=NOW
        )
        repo.record_transition(
            session=s, filing=filing, to_status=FilingStatus.SUBMITTED, actor="a", now=NOW
        )
        later = NOW + dt.timedelta(days=2)
        repo.record_transition(
            session=s,
            filing=filing,
            to_status=FilingStatus.RETURNED,
            actor="reviewer:1",
            now=later,
            reason="网站名称与ICP备案不一致",
        )
    with Session(engine) as s:
        events = repo.events_of(session=s, filing_id=filing.id or 0)
        last = events[-1]
        assert (last.from_status, last.to_status) == (FilingStatus.SUBMITTED, FilingStatus.RETURNED)
        assert last.actor == "reviewer:1" and last.reason == "网站名称与ICP备案不一致"
        assert last.at == NOW + dt.timedelta(days=2)


def test_a_stale_filing_version_is_refused(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(session=s, channel="terminal", external_id="x")
        filing_id = repo.create_filing(
            session=s, filing=_filing(applicant.id or 0), actor="a", now=NOW
        ).id

    first, second = Session(engine), Session(engine)
    try:
        a, b = first.get(Filing, filing_id), second.get(Filing, filing_id)
        assert a is not None and b is not None and a.version == b.version == 1
        repo.record_transition(
            session=first,
            filing=a,
            to_status=FilingStatus.INITIAL_REVIEW_PASSED,
            actor="reviewer:1",
            now=NOW,
        )
        first.commit()
        with pytest.raises(StaleDataError):
            repo.record_transition(
                session=second,
                filing=b,
                to_status=FilingStatus.RETURNED,
                actor="reviewer:2",
                now=NOW,
            )
        second.rollback()
    finally:
        first.close()
        second.close()
    with Session(engine) as s:
        stored = s.get(Filing, filing_id)
        assert stored is not None
        assert stored.status is FilingStatus.INITIAL_REVIEW_PASSED and stored.version == 2


def test_an_outbox_row_is_claimed_once_and_reclaimed_after_its_lease(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(session=s, channel="telegram", external_id="7")
        for key, due in (
            ("due", NOW - dt.timedelta(minutes=1)),
            ("later", NOW + dt.timedelta(days=1)),
        ):
            added = outbox.add(
                s,
                OutboxMessage(
                    applicant_id=applicant.id,
                    kind="filing_deadline",
                    dedupe_key=key,
                    due_at=due,
                    payload={"days_left": 3},
                    created_at=NOW,
                ),
            )
            assert added is not None
        duplicate = outbox.add(
            s,
            OutboxMessage(
                applicant_id=applicant.id, kind="x", dedupe_key="due", due_at=NOW, created_at=NOW
            ),
        )
        assert duplicate is None  # planned twice, stored once

    with session_scope(engine) as s:
        claimed = outbox.claim_due(s, worker="w1", now=NOW)
        assert [r.dedupe_key for r in claimed] == ["due"]
        assert claimed[0].claimed_by == "w1"
        assert claimed[0].attempts == 1
    with session_scope(engine) as s:
        assert outbox.claim_due(s, worker="w2", now=NOW) == []
    after_lease = NOW + dt.timedelta(minutes=6)
    with session_scope(engine) as s:
        reclaimed = outbox.claim_due(s, worker="w2", now=after_lease)
        assert [r.claimed_by for r in reclaimed] == ["w2"]
        assert reclaimed[0].id is not None
        outbox.finish(s, reclaimed[0].id, status=OutboxStatus.SENT, now=after_lease)
    with session_scope(engine) as s:
        later = NOW + dt.timedelta(days=2)
        assert [r.dedupe_key for r in outbox.claim_due(s, worker="w3", now=later)] == ["later"]
        sent = s.exec(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == "due")  # type: ignore[call-overload]
        ).scalar_one()
        assert sent.status is OutboxStatus.SENT
        assert sent.sent_at == after_lease


def test_an_update_is_stored_once_and_a_chat_is_held_by_one_instance(engine: sa.Engine) -> None:
    def updates(*ids: int) -> list[inbox.Received]:
        return [inbox.Received(i, 42, {"update_id": i}) for i in ids]

    big = 2**40  # update ids are 64-bit
    lease = dt.timedelta(seconds=30)
    with engine.connect() as conn:
        raw = Raw(conn)
        assert inbox.ingest(raw, bot_id=1, updates=updates(big, big + 1), now=NOW) == [
            big,
            big + 1,
        ]
        assert inbox.ingest(raw, bot_id=1, updates=updates(big), now=NOW) == []  # again
        assert inbox.ingest(raw, bot_id=2, updates=updates(big), now=NOW) == [big]
        assert inbox.pending_ids(raw, bot_id=1, chat_id=42) == [big, big + 1]
        claim = {"bot_id": 1, "chat_id": 42, "lease": lease}
        assert inbox.claim_chat(raw, holder="a", now=NOW, **claim)
        assert not inbox.claim_chat(raw, holder="b", now=NOW, **claim)  # a holds it
        assert inbox.claim_chat(raw, holder="a", now=NOW, **claim)  # renewing is fine
        assert inbox.waiting_chats(raw, bot_id=1, holder="b", now=NOW) == []
        assert inbox.waiting_chats(raw, bot_id=1, holder="a", now=NOW) == [42]
        later = NOW + lease + dt.timedelta(seconds=1)
        assert inbox.waiting_chats(raw, bot_id=1, holder="b", now=later) == [42]
        assert inbox.claim_chat(raw, holder="b", now=later, **claim)  # a's lease ran out
        assert inbox.mark_done(raw, bot_id=1, update_id=big, now=NOW)
        assert not inbox.mark_done(raw, bot_id=1, update_id=big, now=NOW)  # done once
        raw.commit()
        assert inbox.pending_ids(raw, bot_id=1, chat_id=42) == [big + 1]
        assert inbox.stored_update(raw, bot_id=1, update_id=big + 1) == ({"update_id": big + 1}, 0)
        inbox.count_attempt(raw, bot_id=1, update_id=big + 1)
        assert inbox.stored_update(raw, bot_id=1, update_id=big + 1) == ({"update_id": big + 1}, 1)
        inbox.release_chat(raw, bot_id=1, chat_id=42, holder="b")
        assert inbox.claim_chat(raw, holder="a", now=later, **claim)
        assert inbox.backlog(raw, bot_id=1) == (1, NOW)
        assert inbox.purge_done(raw, now=NOW + inbox.KEEP_DONE + dt.timedelta(seconds=1)) == 1
        assert inbox.ingest(raw, bot_id=1, updates=updates(big + 1), now=NOW) == []


def test_reviewers_and_documents_are_stored(engine: sa.Engine) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 10
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(session=s, channel="telegram", external_id="9")
        filing = repo.create_filing(
            session=s, filing=_filing(applicant.id or 0), actor="a", now=NOW
        )
        s.add(Reviewer(telegram_chat_id=-1001234567890, name="王警官", bureau="示例市网安"))
        s.add(
            GeneratedDocument(
                filing_id=filing.id or 0,
                kind=DocumentKind.FILING_FORM,
                filename="备案表-示例网站.pdf",
                sha256="0" * 64,
                pages=2,
                size=len(pdf),
                content=pdf,
            )
        )
    with Session(engine) as s:
        reviewer = s.exec(sa.select(Reviewer)).scalar_one()  # type: ignore[call-overload]
        assert reviewer.telegram_chat_id == -1001234567890 and reviewer.active is True
        document = s.exec(sa.select(GeneratedDocument)).scalar_one()  # type: ignore[call-overload]
        assert document.content == pdf and document.kind is DocumentKind.FILING_FORM


def test_naive_datetimes_are_refused(engine: sa.Engine) -> None:
    with Session(engine) as s:
        s.add(Reviewer(telegram_chat_id=1, name="x", created_at=dt.datetime(2026, 1, 1)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            s.flush()


def test_a_sweep_leaves_a_notice_just_written_to_its_writer(engine: sa.Engine) -> None:
    """The delivery sweep sent a notice its writer was about to send; killed between the
    notice's text and its mark, the applicant got it twice after the restart. A sweep claims
    only notices due a while ago (`due_before`); the writer claims its own at once."""
    with session_scope(engine) as s:
        applicant = repo.get_or_create_applicant(session=s, channel="telegram", external_id="8")
        outbox.add(s, OutboxMessage(applicant_id=applicant.id, kind="notice", dedupe_key="n1",
                                    due_at=NOW, payload={}, created_at=NOW))  # fmt: skip
    settled = NOW - dt.timedelta(seconds=3)
    with session_scope(engine) as s:
        assert outbox.claim_due(s, worker="sweep", now=NOW, due_before=settled) == []
    with session_scope(engine) as s:
        later = NOW + dt.timedelta(seconds=4)
        swept = outbox.claim_due(s, worker="sweep", now=later, due_before=later - (NOW - settled))
        assert [r.dedupe_key for r in swept] == ["n1"]  # not sent by its writer: swept


def test_sqlite_connections_get_the_pragmas(tmp_path: object) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/nested/dir/p.db")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    eng.dispose()


def test_a_new_sqlite_file_opened_while_another_connection_holds_it_still_gets_wal(
    tmp_path: object,
) -> None:
    """SQLite refuses a journal-mode change that meets another connection's lock at once
    ("database is locked", its busy handler not asked): instances starting together on a new
    database failed (CI, issue 26). The switch is retried until the lock is gone."""
    import sqlite3
    import threading

    path = f"{tmp_path}/fresh.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # a write lock, in the rollback journal: the switch's
    holder.execute("INSERT INTO t VALUES (1)")  # lock on the file cannot wait for it
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    eng = make_engine(f"sqlite:///{path}")
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        eng.dispose()
        release.join()
        holder.close()


@pytest.mark.postgres
def test_postgres_claims_skip_rows_another_instance_holds(postgres_schema_url: str) -> None:
    migrate.upgrade(postgres_schema_url)
    eng = make_engine(postgres_schema_url)
    with session_scope(eng) as s:
        for i in range(4):
            outbox.add(
                s,
                OutboxMessage(
                    kind="k",
                    dedupe_key=f"r{i}",
                    due_at=NOW - dt.timedelta(minutes=i),
                    created_at=NOW,
                ),
            )
    holder, other = Session(eng), Session(eng)
    try:
        held = outbox.claim_due(holder, worker="a", now=NOW, limit=2)
        assert len(held) == 2  # the transaction stays open: its rows are locked
        other.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        mine = outbox.claim_due(other, worker="b", now=NOW, limit=10)
        assert {r.id for r in mine}.isdisjoint({r.id for r in held})
        assert len(mine) == 2
        other.commit()
        holder.commit()
    finally:
        holder.close()
        other.close()
        eng.dispose()


def test_the_head_read_from_the_files_is_alembics_head(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(db_url))
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.current_revision(db_url) is None
    migrate.upgrade(db_url)
    assert migrate.current_revision(db_url) == migrate.head_revision()
    migrate.upgrade(db_url)  # at the head already: nothing to do
    migrate.downgrade(db_url, "0003")
    assert migrate.current_revision(db_url) == "0003"
    migrate.upgrade(db_url)
    assert migrate.current_revision(db_url) == migrate.head_revision()


def test_serve_migrates_in_a_child_process_and_keeps_no_alembic(db_url: str) -> None:
    """`beian serve` runs for months: Alembic, Mako and Pygments stay in the child that
    migrated (issue 16's memory)."""
    code = (
        "import sys; from models import migrate; migrate.upgrade_apart(sys.argv[1]); "
        "print('alembic' in sys.modules, 'mako' in sys.modules)"
    )
    run = [sys.executable, "-c", code, db_url]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout.split() == [
        "False",
        "False",
    ]
    assert migrate.current_revision(db_url) == migrate.head_revision()


def test_a_migration_failing_in_the_child_process_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "beian.db"
    with sqlite3.connect(path) as conn:  # a revision no migration file knows
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    with pytest.raises(RuntimeError, match="failed"):
        migrate.upgrade_apart(f"sqlite:///{path}")


def test_an_interview_in_progress_is_carried_across_the_rebuilt_interview(
    db_url: str, pack: Pack
) -> None:
    """0005 renames interview.state and moves old answer keys and flow flags to the new shape."""
    from dialogs.engine import handle
    from dialogs.model import Context, Input, InterviewState, Mode, Stage

    migrate.upgrade(db_url, "0004")
    eng = make_engine(db_url)
    old_answers = {
        "subject_type": "enterprise",
        "subject.name": "示例云帆科技有限公司",
        "responsible.name": "张三",
        "responsible.mobile": "13800138000",
        "officer.same": True,
    }
    with eng.begin() as conn:
        applicant_id = conn.execute(
            sa.text(
                "INSERT INTO applicant (channel, external_id, language, created_at) "
                "VALUES ('telegram', '7', 'zh', :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        interview = sa.table(
            "interview",
            sa.column("applicant_id"),
            sa.column("status"),
            sa.column("state"),
            sa.column("answers", sa.JSON),
            sa.column("history", sa.JSON),
            sa.column("flow", sa.JSON),
            sa.column("language"),
            sa.column("version"),
            sa.column("created_at"),
            sa.column("updated_at"),
        )
        conn.execute(
            interview.insert().values(
                applicant_id=applicant_id,
                status="active",
                state="contact_same",
                answers=old_answers,
                history=["subject_type", "officer_same"],
                flow={"stage": "people", "pending": "cancel", "editing": True, "paused": False},
                language="zh",
                version=3,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    migrate.upgrade(db_url)
    with Session(eng) as s:
        stored = s.exec(sa.select(Interview)).scalars().one()  # type: ignore[call-overload]
        assert stored.question == "contact_same"
        assert stored.answers["subject.responsible.name"] == "张三"
        assert stored.answers["_officer_same"] is True
        assert "responsible.name" not in stored.answers and "officer.same" not in stored.answers
        state = InterviewState.restore(
            question=stored.question,
            answers=stored.answers,
            history=stored.history,
            lang=stored.language,
            flow=stored.flow,
        )
    assert state.state is Stage.PEOPLE and state.mode is Mode.CONFIRMING_CANCEL
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 30))
    going_on = handle(state, Input.typed("继续填写"), ctx)  # the pending cancel, answered "go on"
    assert going_on.state.mode is Mode.ANSWERING
    assert going_on.state.question == "contact_same"
    migrate.downgrade(db_url, "0004")
    with eng.connect() as conn:
        answers, flow = conn.execute(sa.text("SELECT answers, flow FROM interview")).one()
    if isinstance(answers, str):  # SQLite hands JSON back as text to a raw query
        answers, flow = json.loads(answers), json.loads(flow)
    assert answers == old_answers
    assert flow["pending"] == "cancel"
    eng.dispose()


def test_confirmed_filings_stored_as_submitted_become_prepared(db_url: str) -> None:
    """0006: a filing nobody moved since the interview was never submitted to a bureau."""
    migrate.upgrade(db_url, "0005")
    eng = make_engine(db_url)
    with eng.begin() as conn:
        applicant_id = conn.execute(
            sa.text(
                "INSERT INTO applicant (channel, external_id, language, created_at) "
                "VALUES ('telegram', '8', 'zh', :now) RETURNING id"
            ),
            {"now": NOW},
        ).scalar_one()
        ids = []
        for moved in (False, True):
            filing_id = conn.execute(
                sa.text(
                    "INSERT INTO filing (applicant_id, status, subject_type, maintenance, server,"
                    " route, data, site_name, version, created_at, updated_at, submitted_at)"
                    " VALUES (:a, 'submitted', 'enterprise', 'local', 'local', '{}', '{}', 'x',"
                    " 1, :now, :now, :now) RETURNING id"
                ),
                {"a": applicant_id, "now": NOW},
            ).scalar_one()
            ids.append(filing_id)
            statuses = [(None, "submitted")]
            if moved:  # a filing a reviewer moved on: it was submitted for real
                statuses.append(("submitted", "initial_review_passed"))
            for before, after in statuses:
                conn.execute(
                    sa.text(
                        "INSERT INTO lifecycle_event (filing_id, actor, from_status, to_status, at)"
                        " VALUES (:f, 'x', :b, :t, :now)"
                    ),
                    {"f": filing_id, "b": before, "t": after, "now": NOW},
                )
    migrate.upgrade(db_url)
    with eng.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, status FROM filing")).all())
        first = conn.execute(
            sa.text("SELECT to_status FROM lifecycle_event WHERE filing_id = :f"), {"f": ids[0]}
        ).scalar_one()
        cleared = conn.execute(
            sa.text("SELECT submitted_at FROM filing WHERE id = :f"), {"f": ids[0]}
        ).scalar_one()
    assert rows == {ids[0]: "prepared", ids[1]: "submitted"}
    assert first == "prepared" and cleared is None
    migrate.downgrade(db_url, "0005")
    with eng.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, status FROM filing")).all())
    assert rows == {ids[0]: "submitted", ids[1]: "submitted"}
    eng.dispose()
