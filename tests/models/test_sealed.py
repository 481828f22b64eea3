"""Personal data sealed at rest (issue 26, item 3): values, columns, the migration, rotation.

Every sealed column round-trips through the ORM and the hot path's prepared statements alike,
and its raw value in the database holds none of what was stored; an altered value or one moved
to another column does not open (one line, naming the column and the key id); migration
0018_sealed seals plain rows of an older database and its downgrade opens them again; a
rotation seals every value under the new key while the old one still opens what is not done.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot import keys
from bot.settings import Settings
from models import inbox, migrate, resealing, sealed
from models.db import Raw, make_engine, session_scope
from models.sealed import Keyring, SealError
from models.tables import (
    Applicant,
    Filing,
    FilingVersion,
    GeneratedDocument,
    InboxUpdate,
    Interview,
    LifecycleEvent,
    OutboxMessage,
)
from rules.enums import DocumentKind, FilingStatus, Location, SubjectType

NOW = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)
ID_NUMBER = "330106198506120015"
MOBILE = "13800138000"
EMAIL = "xiaoji@example.cn"
NAME = "林小𠮷"
SECRETS = (ID_NUMBER, MOBILE, EMAIL, NAME)
ANSWERS: dict[str, Any] = {
    "subject_type": "individual",
    "subject.name": NAME,
    "subject.id_number": ID_NUMBER,
    "subject.mobile": MOBILE,
    "subject.email": EMAIL,
    "note": "\ud800 a lone surrogate, «quoted», 𠮷",
}
# As an older database holds them (PostgreSQL's JSONB refuses a lone surrogate in the clear).
PLAIN = {k: v for k, v in ANSWERS.items() if k != "note"}
PDF = b"%PDF-1.7\n" + f"({NAME} {ID_NUMBER} {MOBILE})".encode() + bytes(range(256))


def _forms(text: str) -> list[bytes]:
    """`text` as a database or a file may hold it: UTF-8, JSON's \\u escapes, UTF-16."""
    escaped = json.dumps(text).strip('"')
    return [text.encode(), escaped.encode(), text.encode("utf-16-le"), text.encode("utf-16-be")]


def found_in(blob: bytes, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    """Return the secrets `blob` holds in any of their forms."""
    return [s for s in secrets if any(form in blob for form in _forms(s))]


def test_the_search_finds_what_it_looks_for() -> None:
    plain = json.dumps({"a": ANSWERS["subject.name"], "b": ID_NUMBER}).encode()
    assert found_in(plain) == [ID_NUMBER, NAME]  # the name JSON-escaped, the number as is
    assert found_in(NAME.encode("utf-16-le")) == [NAME]


# --- values ------------------------------------------------------------------------------------


def test_values_round_trip_and_hide_what_they_hold() -> None:
    stored = sealed.seal_json(ANSWERS, context="filing.data")
    assert set(stored) == {"k", "v"} and stored["k"] == sealed.active().current
    assert not found_in(json.dumps(stored).encode())
    assert sealed.open_json(stored, context="filing.data") == ANSWERS
    assert sealed.open_json(json.dumps(stored), context="filing.data") == ANSWERS  # as text
    assert sealed.open_json({}, context="inbox.payload") == {}  # a processed update
    again = sealed.seal_json(ANSWERS, context="filing.data")
    assert again["v"] != stored["v"]  # a new nonce each time

    blob = sealed.seal_bytes(PDF, context="generated_document.content")
    assert blob.startswith(b"s1:" + stored["k"].encode() + b":") and not found_in(blob)
    assert sealed.open_bytes(blob, context="generated_document.content") == PDF
    assert sealed.open_bytes(memoryview(blob), context="generated_document.content") == PDF

    text = sealed.seal_text(NAME, context="applicant.display_name")
    assert text.startswith("s1:") and not found_in(text.encode())
    assert sealed.open_text(text, context="applicant.display_name") == NAME
    assert sealed.sealed_key_id(stored) == sealed.sealed_key_id(blob) == stored["k"]
    assert sealed.sealed_key_id(text) == stored["k"]
    assert sealed.sealed_key_id({"k": "x"}) is None and sealed.sealed_key_id(b"%PDF") is None


def test_an_altered_or_moved_value_does_not_open() -> None:
    stored = sealed.seal_json(ANSWERS, context="filing.data")
    flipped = stored["v"][:20] + ("A" if stored["v"][20] != "A" else "B") + stored["v"][21:]
    with pytest.raises(SealError, match=r"filing\.data: a value sealed under key \w{8} does "
                                        r"not open: it was altered"):  # fmt: skip
        sealed.open_json({**stored, "v": flipped}, context="filing.data")
    with pytest.raises(SealError, match=r"interview\.answers: .* does not open"):
        sealed.open_json(stored, context="interview.answers")  # moved to another column
    with pytest.raises(SealError, match="not sealed"):
        sealed.open_json({"subject.name": NAME}, context="filing.data")
    with pytest.raises(SealError, match="which this process does not hold"):
        sealed.open_json({**stored, "k": "00000000"}, context="filing.data")
    blob = bytearray(sealed.seal_bytes(PDF, context="generated_document.content"))
    blob[-1] ^= 1
    with pytest.raises(SealError, match="does not open"):
        sealed.open_bytes(bytes(blob), context="generated_document.content")
    with pytest.raises(SealError, match="not sealed"):
        sealed.open_bytes(PDF, context="generated_document.content")
    try:
        sealed.open_json({**stored, "v": flipped}, context="filing.data")
    except SealError as exc:  # one line, never the value or the key
        message = str(exc)
    assert "\n" not in message and not found_in(message.encode())
    assert keys_text() not in message


def keys_text() -> str:
    return sealed.active().written().strip()


def test_keys_are_read_in_either_base64_alphabet_and_a_bad_one_is_one_line() -> None:
    key = bytes(range(32))
    urlsafe = sealed.encode_key(key)
    standard = urlsafe.replace("-", "+").replace("_", "/")
    assert sealed.parse_keys(urlsafe, origin="x") == [key]
    assert sealed.parse_keys(standard.rstrip("="), origin="x") == [key]
    other = sealed.new_key()
    text = f"# a comment\n{sealed.encode_key(other)} , {urlsafe}\n"
    assert sealed.parse_keys(text, origin="x") == [other, key]
    for bad, why in (("c2hvcnQ=", "5 bytes"), ("not-base64!!", "not base64"), ("", "no key")):
        with pytest.raises(SealError) as caught:
            sealed.parse_keys(bad, origin="BEIAN_DATA_KEY")
        assert why in str(caught.value) and str(caught.value).startswith("BEIAN_DATA_KEY: ")
        if bad:
            assert bad not in str(caught.value)


def test_no_keyring_is_a_clear_error() -> None:
    sealed.install(None)
    with pytest.raises(SealError, match="no data key is loaded"):
        sealed.seal_json({}, context="filing.data")


def test_a_key_file_changed_by_a_rotation_elsewhere_is_taken_up(tmp_path: Path) -> None:
    path = tmp_path / "beian.key"
    old, new = sealed.new_key(), sealed.new_key()
    keys.write_file(path, [old])
    ring = Keyring(keys.read_file(path), reload=keys._watch(path))
    first = sealed.seal_json({"a": 1}, context="c", keyring=ring)
    keys.write_file(path, [new, old])  # `beian keys rotate` in another process
    other = Keyring([new, old])
    second = sealed.seal_json({"b": 2}, context="c", keyring=other)
    # A value under a key not held here makes the keyring look at its file at once.
    assert sealed.open_json(second, context="c", keyring=ring) == {"b": 2}
    assert sealed.open_json(first, context="c", keyring=ring) == {"a": 1}
    assert ring.current == sealed.key_id(new)


# --- columns -----------------------------------------------------------------------------------


def _raw_rows(engine: sa.Engine) -> bytes:
    """Every row of every table as the database holds it (PostgreSQL: `row::text`)."""
    parts: list[str] = []
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())  # an older database has fewer
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in present:
                continue
            if engine.dialect.name == "postgresql":
                rows = conn.execute(sa.text(f'SELECT t::text FROM "{table.name}" t'))
                parts += [str(r[0]) for r in rows]
            else:
                for row in conn.execute(sa.text(f'SELECT * FROM "{table.name}"')):
                    parts += [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row]
    return "\n".join(parts).encode("utf-8", "surrogatepass")


def _everything(s: Session) -> int:
    applicant = Applicant(channel="telegram", external_id="7", display_name=NAME)
    s.add(applicant)
    s.flush()
    assert applicant.id is not None
    interview = Interview(
        applicant_id=applicant.id, question="mobile", answers=ANSWERS, flow={"pending_text": EMAIL}
    )
    s.add(interview)
    s.flush()
    filing = Filing(
        applicant_id=applicant.id,
        interview_id=interview.id,
        subject_type=SubjectType.INDIVIDUAL,
        maintenance=Location.LOCAL,
        server=Location.LOCAL,
        data=ANSWERS,
        site_name="小𠮷的笔记",
    )
    s.add(filing)
    s.flush()
    assert filing.id is not None
    s.add(
        FilingVersion(
            filing_id=filing.id,
            number=1,
            kind="changed",
            actor="applicant:1",
            reason=f"负责人手机改为{MOBILE}",
            changes=[{"field": "subject.mobile", "old": "13900139000", "new": MOBILE}],
            answers=ANSWERS,
        )
    )
    s.add(
        LifecycleEvent(
            filing_id=filing.id,
            actor="reviewer:9",
            to_status=FilingStatus.RETURNED,
            reason=f"身份证号{ID_NUMBER}与姓名不符",
        )
    )
    s.add(
        OutboxMessage(
            kind="notice",
            dedupe_key="n1",
            filing_id=filing.id,
            chat_id=7,
            due_at=NOW,
            payload={"text": {"zh": f"{NAME}，你好", "en": EMAIL}},
        )
    )
    s.add(
        GeneratedDocument(
            filing_id=filing.id,
            kind=DocumentKind.FILING_FORM,
            filename="备案表.pdf",
            sha256="0" * 64,
            pages=1,
            size=len(PDF),
            content=PDF,
        )
    )
    return filing.id


def test_every_sealed_column_round_trips_and_holds_nothing_plain(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        filing_id = _everything(s)
    raw = _raw_rows(engine)
    assert not found_in(raw), "a sealed column holds plain text"
    assert "小𠮷的笔记".encode() in raw or json.dumps("小𠮷的笔记").strip('"').encode() in raw
    with Session(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None and filing.data == ANSWERS
        assert s.exec(select(Applicant)).one().display_name == NAME
        assert s.exec(select(Interview)).one().flow == {"pending_text": EMAIL}
        version = s.exec(select(FilingVersion)).one()
        assert version.answers == ANSWERS and version.changes[0]["new"] == MOBILE
        assert version.reason == f"负责人手机改为{MOBILE}"
        assert ID_NUMBER in (s.exec(select(LifecycleEvent)).one().reason or "")
        assert s.exec(select(OutboxMessage)).one().payload["text"]["en"] == EMAIL
        assert s.exec(select(GeneratedDocument)).one().content == PDF
    counted = keys.counts(engine)
    current = sealed.active().current
    assert counted["filing.data"] == {current: 1}
    assert counted["generated_document.content"] == {current: 1}
    assert counted["applicant.display_name"] == {current: 1}


def test_a_sealed_json_value_is_stored_as_a_json_object(engine: sa.Engine) -> None:
    """The envelope goes to the database as JSON text (PostgreSQL: cast `::JSONB`): stored as
    an object {"k", "v"}, not as a JSON string holding that text."""
    with session_scope(engine) as s:
        _everything(s)
    kind = "jsonb_typeof" if engine.dialect.name == "postgresql" else "json_type"
    columns = [
        column
        for column in sealed.sealed_columns(SQLModel.metadata)
        if isinstance(column.type, sealed.SealedJSON)
    ]
    seen = 0
    with engine.connect() as conn:
        for column in columns:
            query = f"SELECT {kind}({column.name}) FROM {column.table.name} "
            query += f"WHERE {column.name} IS NOT NULL"
            for (found,) in conn.execute(sa.text(query)):
                assert found == "object", f"{column.table.name}.{column.name}: {found}"
                seen += 1
    assert seen >= 5


def test_the_hot_path_seals_and_a_processed_update_keeps_only_its_ids(engine: sa.Engine) -> None:
    from models.fast_store import FastStore
    from models.interviews import Content, Write

    update = {"update_id": 5, "message": {"text": f"{ID_NUMBER} {MOBILE}", "chat": {"id": 7}}}
    with engine.connect() as conn:
        raw = Raw(conn)
        assert inbox.ingest(raw, bot_id=1, updates=[inbox.Received(5, 7, update)], now=NOW) == [5]
        assert not found_in(_raw_rows(engine))  # sealed while it waits
        assert inbox.stored_update(raw, bot_id=1, update_id=5) == (update, 0)
        store = FastStore(raw)
        content = Content("mobile", ANSWERS, ["subject_type"], {"pending_text": MOBILE}, "zh")
        saved = store.save("telegram", "7", NAME, None, Write(content, inbox=(1, 5)), NOW)
        assert saved is not None
        loaded = store.load("telegram", "7")
        assert loaded is not None and loaded.content == content
    assert not found_in(_raw_rows(engine))
    with engine.connect() as conn:
        row = conn.execute(sa.select(InboxUpdate.__table__)).one()  # type: ignore[attr-defined]
        assert (row.bot_id, row.update_id) == (1, 5) and row.done_at is not None
        stored = conn.execute(sa.text("SELECT payload FROM inbox")).scalar_one()
    assert stored in ({}, "{}")  # the update's JSON is gone; its ids refuse a redelivery
    with engine.connect() as conn:
        assert inbox.ingest(Raw(conn), bot_id=1, updates=[inbox.Received(5, 7, update)],
                            now=NOW) == []  # fmt: skip


def test_an_altered_row_is_one_clear_error(engine: sa.Engine) -> None:
    with session_scope(engine) as s:
        filing_id = _everything(s)
    with engine.begin() as conn:
        stored = conn.execute(sa.text("SELECT data FROM filing")).scalar_one()
        envelope = json.loads(stored) if isinstance(stored, str) else stored
        v = envelope["v"]
        envelope["v"] = v[:30] + ("A" if v[30] != "A" else "B") + v[31:]
        conn.execute(
            sa.update(sa.table("filing", sa.column("id"), sa.column("data", sa.JSON)))
            .where(sa.column("id") == filing_id)
            .values(data=envelope)
        )
    with Session(engine) as s, pytest.raises(SealError, match=r"filing\.data: .* altered"):
        s.get(Filing, filing_id)


# --- the migration -----------------------------------------------------------------------------


def _plain_rows(url: str) -> None:
    """Rows as a database at 0013_console holds them: everything in the clear."""
    engine = make_engine(url)
    js = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

    def table(name: str, *columns: Any) -> sa.TableClause:
        return sa.table(name, *columns)

    with engine.begin() as conn:
        applicant = table(
            "applicant", sa.column("id"), sa.column("channel"), sa.column("external_id"),
            sa.column("display_name"), sa.column("language"), sa.column("created_at"),
        )  # fmt: skip
        conn.execute(applicant.insert().values(
            id=1, channel="telegram", external_id="7", display_name=NAME, language="zh",
            created_at=NOW))  # fmt: skip
        conn.execute(
            table("interview", *(sa.column(c) for c in (
                "id", "applicant_id", "status", "question", "language", "version", "created_at",
                "updated_at")), sa.column("answers", js), sa.column("history", js),
                sa.column("flow", js)).insert().values(
                id=1, applicant_id=1, status="active", question="mobile", language="zh",
                version=1, created_at=NOW, updated_at=NOW, answers=PLAIN, history=["a"],
                flow={"pending_text": EMAIL}))  # fmt: skip
        conn.execute(
            table("filing", *(sa.column(c) for c in (
                "id", "applicant_id", "subject_type", "maintenance", "server", "current_step",
                "status", "site_name", "version", "created_at", "updated_at")),
                sa.column("route", js), sa.column("steps", js), sa.column("data", js)).insert(
                ).values(id=1, applicant_id=1, subject_type="individual", maintenance="local",
                         server="local", current_step=1, status="prepared", site_name="小𠮷的笔记",
                         version=1, created_at=NOW, updated_at=NOW, route={}, steps=[],
                         data=PLAIN))  # fmt: skip
        conn.execute(
            table("filing_version", *(sa.column(c) for c in (
                "id", "filing_id", "number", "kind", "actor", "reason", "at")),
                sa.column("changes", js), sa.column("answers", js)).insert().values(
                id=1, filing_id=1, number=1, kind="changed", actor="a", at=NOW,
                reason=f"手机{MOBILE}", changes=[{"new": MOBILE}], answers=PLAIN))  # fmt: skip
        conn.execute(
            table("lifecycle_event", *(sa.column(c) for c in (
                "id", "filing_id", "actor", "to_status", "reason", "at"))).insert().values(
                id=1, filing_id=1, actor="r", to_status="returned", at=NOW,
                reason=f"身份证{ID_NUMBER}"))  # fmt: skip
        conn.execute(
            table("outbox", *(sa.column(c) for c in (
                "id", "kind", "dedupe_key", "filing_id", "chat_id", "due_at", "status",
                "attempts", "created_at")), sa.column("payload", js)).insert().values(
                id=1, kind="notice", dedupe_key="n", filing_id=1, chat_id=7, due_at=NOW,
                status="pending", attempts=0, created_at=NOW,
                payload={"text": {"zh": NAME}}))  # fmt: skip
        inbox_table = table("inbox", *(sa.column(c) for c in (
            "bot_id", "update_id", "chat_id", "received_at", "done_at", "attempts")),
            sa.column("payload", js))  # fmt: skip
        for update_id, done in ((1, NOW), (2, None)):
            conn.execute(inbox_table.insert().values(
                bot_id=9, update_id=update_id, chat_id=7, received_at=NOW, done_at=done,
                attempts=0, payload={"update_id": update_id, "text": MOBILE}))  # fmt: skip
        conn.execute(
            table("generated_document", *(sa.column(c) for c in (
                "id", "filing_id", "kind", "filename", "format", "sha256", "pages", "size",
                "created_at")), sa.column("content", sa.LargeBinary)).insert().values(
                id=1, filing_id=1, kind="filing-form", filename="f.pdf", format="pdf",
                sha256="0" * 64, pages=1, size=len(PDF), created_at=NOW,
                content=PDF))  # fmt: skip
    engine.dispose()


def _files(url: str) -> bytes:
    path = Path(sa.engine.make_url(url).database or "")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_the_migration_seals_plain_rows_and_its_downgrade_opens_them(db_url: str) -> None:
    migrate.upgrade(db_url, "0013_console")
    _plain_rows(db_url)
    engine = make_engine(db_url)
    assert found_in(_raw_rows(engine)) == list(SECRETS)  # the old database: all in the clear
    engine.dispose()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    assert not found_in(_raw_rows(engine)), "a value left plain"
    if engine.dialect.name == "sqlite":  # nor in a free page or the WAL: the file rewritten
        assert not found_in(_files(db_url)), "plain text left in the file"
    with Session(engine) as s:
        assert s.exec(select(Filing)).one().data == PLAIN
        assert s.exec(select(Interview)).one().flow == {"pending_text": EMAIL}
        assert s.exec(select(Applicant)).one().display_name == NAME
        version = s.exec(select(FilingVersion)).one()
        assert (version.answers, version.changes, version.reason) == (
            PLAIN, [{"new": MOBILE}], f"手机{MOBILE}")  # fmt: skip
        assert s.exec(select(LifecycleEvent)).one().reason == f"身份证{ID_NUMBER}"
        assert s.exec(select(OutboxMessage)).one().payload == {"text": {"zh": NAME}}
        assert s.exec(select(GeneratedDocument)).one().content == PDF
        updates = {u.update_id: u.payload for u in s.exec(select(InboxUpdate))}
    assert updates == {1: {}, 2: {"update_id": 2, "text": MOBILE}}  # processed: ids only
    engine.dispose()
    migrate.upgrade(db_url)  # again at the head: nothing to do
    migrate.downgrade(db_url, "0013_console")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        data = conn.execute(sa.text("SELECT data FROM filing")).scalar_one()
        name = conn.execute(sa.text("SELECT display_name FROM applicant")).scalar_one()
        content = conn.execute(sa.text("SELECT content FROM generated_document")).scalar_one()
    assert (json.loads(data) if isinstance(data, str) else data) == PLAIN
    assert name == NAME and bytes(content) == PDF
    engine.dispose()


def test_a_database_with_nothing_to_seal_needs_no_key(tmp_path: Path) -> None:
    sealed.install(None)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)  # no row: nothing sealed, no key asked for
    assert migrate.current_revision(url) == migrate.head_revision()


def test_the_migration_in_a_child_process_gets_the_keys_on_its_stdin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0013_console")
    _plain_rows(url)
    migrate.upgrade_apart(url, sealed.active())
    engine = make_engine(url)
    assert not found_in(_raw_rows(engine))
    with Session(engine) as s:
        assert s.exec(select(Filing)).one().data == PLAIN
    engine.dispose()


# --- rotation ----------------------------------------------------------------------------------


def _settings(url: str, path: Path, data_key: str | None = None) -> Settings:
    return Settings(
        database_url=url,
        beian_key_file=path,
        beian_data_key=data_key,
        _env_file=None,  # type: ignore[call-arg]
    )


def test_a_rotation_seals_everything_again_and_the_old_key_opens_until_done(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "beian.key"
    old = sealed.new_key()
    keys.write_file(path, [old])
    sealed.install(Keyring([old]))
    with session_scope(engine) as s:
        for n in range(3):
            _everything_again(s, n)
    url = engine.url.render_as_string(hide_password=False)
    settings = _settings(url, path)
    seen: list[tuple[str, int]] = []

    def halfway(column: str, written: int) -> None:
        """Mid-rotation, a bot reading with the key file as it is now opens every value."""
        ring = Keyring(keys.read_file(path))
        assert ring.ids[1:] == (sealed.key_id(old),)  # the old key is still there
        for place in resealing.places(SQLModel.metadata):
            with engine.connect() as conn:
                table = sa.table(place.table, sa.column(place.column))
                for (value,) in conn.execute(sa.select(table.c[place.column])):
                    _open(place, value, ring)
        seen.append((column, written))

    done = keys.rotate(settings, engine, lambda _line: None, after_batch=halfway)
    assert done.new_key and done.retired == [sealed.key_id(old)]
    assert len(seen) >= 5  # checked after each batch of several columns
    new = keys.read_file(path)
    assert len(new) == 1 and sealed.key_id(new[0]) == done.current != sealed.key_id(old)
    assert keys.file_mode(path) == 0o600
    assert done.resealed >= 3 * 9
    per_key = keys.counts(engine)
    assert all(set(c) <= {done.current, None} for c in per_key.values()), per_key
    sealed.install(Keyring(new))  # the new key alone opens everything
    with Session(engine) as s:
        assert len(s.exec(select(Filing)).all()) == 3
        assert all(f.data == ANSWERS for f in s.exec(select(Filing)))
        assert all(d.content == PDF for d in s.exec(select(GeneratedDocument)))


def _open(place: resealing.Place, value: Any, ring: Keyring) -> None:
    if value is None:
        return
    if place.kind == "json":
        sealed.open_json(value, context=place.context, keyring=ring)
    elif place.kind == "bytes":
        sealed.open_bytes(value, context=place.context, keyring=ring)
    else:
        sealed.open_text(value, context=place.context, keyring=ring)


def _everything_again(s: Session, n: int) -> None:
    applicant = Applicant(channel="telegram", external_id=f"r{n}", display_name=NAME)
    s.add(applicant)
    s.flush()
    filing = Filing(
        applicant_id=applicant.id or 0,
        subject_type=SubjectType.INDIVIDUAL,
        maintenance=Location.LOCAL,
        server=Location.LOCAL,
        data=ANSWERS,
    )
    s.add(filing)
    s.add(Interview(applicant_id=applicant.id or 0, question="q", answers=ANSWERS))
    s.flush()
    s.add(FilingVersion(filing_id=filing.id or 0, number=1, kind="created", actor="a",
                        answers=ANSWERS, reason="r"))  # fmt: skip
    s.add(LifecycleEvent(filing_id=filing.id or 0, actor="a", to_status=FilingStatus.PREPARED,
                         reason="x"))  # fmt: skip
    s.add(OutboxMessage(kind="notice", dedupe_key=f"d{n}", filing_id=filing.id, due_at=NOW,
                        payload={"n": NAME}))  # fmt: skip
    s.add(GeneratedDocument(filing_id=filing.id or 0, kind=DocumentKind.CHECKLIST, filename="n.pdf",
                            sha256="0" * 64, pages=1, size=len(PDF), content=PDF))  # fmt: skip


def test_a_rotation_cut_short_is_taken_up_without_a_third_key(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "beian.key"
    old, new = sealed.new_key(), sealed.new_key()
    sealed.install(Keyring([old]))
    with session_scope(engine) as s:
        _everything_again(s, 1)
        _everything_again(s, 2)
    keys.write_file(path, [new, old])  # the first run wrote its key, then was killed
    sealed.install(Keyring([new, old]))
    with session_scope(engine) as s:  # some rows already sealed under the new key
        first = s.exec(select(Filing).order_by(col(Filing.id))).first()
        assert first is not None
        first.data = {**ANSWERS, "x": 1}
        s.add(first)
    url = engine.url.render_as_string(hide_password=False)
    done = keys.rotate(_settings(url, path), engine, lambda _line: None)
    assert not done.new_key and done.current == sealed.key_id(new)
    assert keys.read_file(path) == [new]
    assert keys.not_current(engine, done.current) == 0


def test_a_rotation_with_beian_data_key_seals_under_its_first_key(
    engine: sa.Engine, tmp_path: Path
) -> None:
    old, new = sealed.new_key(), sealed.new_key()
    sealed.install(Keyring([old]))
    with session_scope(engine) as s:
        _everything_again(s, 1)
    url = engine.url.render_as_string(hide_password=False)
    both = f"{sealed.encode_key(new)},{sealed.encode_key(old)}"
    done = keys.rotate(_settings(url, tmp_path / "none.key", both), engine, lambda _l: None)
    assert done.current == sealed.key_id(new) and done.retired == [sealed.key_id(old)]
    assert keys.not_current(engine, done.current) == 0
    assert not (tmp_path / "none.key").exists()  # BEIAN_DATA_KEY: no file involved
    only_new = _settings(url, tmp_path / "none.key", sealed.encode_key(new))
    with pytest.raises(keys.KeySetupError, match="nothing to rotate"):
        keys.rotate(only_new, engine, lambda _l: None)
    only_old = _settings(url, tmp_path / "none.key", sealed.encode_key(old))
    with pytest.raises(keys.KeySetupError, match="does not hold it: nothing rotated"):
        keys.rotate(only_old, engine, lambda _l: None)


def test_the_sqlite_file_keeps_no_value_of_a_retired_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    path = tmp_path / "beian.key"
    old = sealed.new_key()
    keys.write_file(path, [old])
    sealed.install(Keyring([old]))
    with session_scope(engine) as s:
        _everything_again(s, 1)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT data FROM filing")).scalar_one()
    old_v = json.loads(before)["v"].encode()
    keys.rotate(_settings(url, path), engine, lambda _l: None)
    assert keys.wipe_free_pages(engine)
    engine.dispose()
    with sqlite3.connect(tmp_path / "r.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert old_v[:40] not in _files(url)


def test_instances_starting_at_once_make_one_key_file(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "data" / "beian.key"
    settings = _settings(f"sqlite:///{tmp_path / 'fresh.db'}", path)
    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _n: keys.load(settings), range(8)))
    assert len({ring.current for ring in rings}) == 1
    assert [sealed.key_id(k) for k in keys.read_file(path)] == [rings[0].current]
    assert keys.file_mode(path) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["beian.key"]  # no leftovers
    with pytest.raises(FileExistsError):
        keys.write_file(path, [sealed.new_key()], new=True)
