"""Interviews stored after every step: a restarted process carries on exactly where it was."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.conversation import SUBMISSION_KINDS, render_in_process, take_turn
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models.db import make_engine
from models.repo import events_of
from models.tables import Filing, GeneratedDocument, Interview
from rules.enums import FilingStatus, InterviewStatus
from tests.dialogs.conftest import TODAY, shown
from tests.dialogs.transcripts import ENTERPRISE
from tests.documents.pdf_text import page_texts, squeeze

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def _turn(url: str, ctx: Context, said: str, who: str = "u1") -> tuple[str, object]:
    """Take one turn in a freshly started 'process': a new engine, state only from the DB."""
    engine = make_engine(url)
    try:
        result = take_turn(
            engine=engine,
            channel="terminal",
            external_id=who,
            inp=Input.typed(said),
            ctx=ctx,
            now=NOW,
            render_set=render_in_process,
        )
    finally:
        engine.dispose()
    return shown(result.step), result


def test_restarting_between_every_two_steps_gives_the_same_transcript(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    step = begin(ctx)
    expected = [shown(step)]
    for said, _ in ENTERPRISE:
        step = handle(step.state, Input.typed(said), ctx)
        expected.append(shown(step))

    got = [_turn(db_url, ctx, "/start")[0]]
    result = None
    for said, _ in ENTERPRISE:
        text, result = _turn(db_url, ctx, said)
        got.append(text)
    assert got == expected

    assert result is not None
    documents = result.documents  # type: ignore[attr-defined]
    assert [d.kind for d in documents] == list(SUBMISSION_KINDS)
    assert "云帆科技官网" in squeeze("".join(page_texts(documents[0].pdf)))
    with Session(engine) as session:
        filing = session.exec(select(Filing)).one()
        assert filing.status is FilingStatus.SUBMITTED
        assert filing.site_name == "云帆科技官网"
        assert filing.data["website"]["domains"][-1] == "m.yunfan.example.cn"
        assert filing.route["steps"][1]["where"] == "server"
        assert [e.to_status for e in events_of(session=session, filing_id=filing.id)] == [
            FilingStatus.SUBMITTED
        ]
        stored = session.exec(select(GeneratedDocument)).all()
        assert sorted(d.kind for d in stored) == sorted(SUBMISSION_KINDS)
        assert all(d.content[:5] == b"%PDF-" for d in stored)
        interview = session.exec(select(Interview)).one()
        assert interview.status is InterviewStatus.DONE


def test_cancel_keeps_the_interview_30_days_and_start_resumes_it(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    for said in ["/start", "企业", "本市", "本市", "/cancel", "1"]:
        _turn(db_url, ctx, said, who="c1")
    with Session(engine) as session:
        interview = session.exec(select(Interview)).one()
        assert interview.status is InterviewStatus.CANCELLED
        assert interview.purge_after == NOW + dt.timedelta(days=30)
        assert interview.answers["server"] == "local"
    text, _ = _turn(db_url, ctx, "/start", who="c1")
    assert "继续上次的填写" in text
    text, _ = _turn(db_url, ctx, "继续", who="c1")
    assert "哪天开通" in text
    with Session(engine) as session:
        assert session.exec(select(Interview)).one().status is InterviewStatus.ACTIVE


def test_cancel_with_delete_wipes_the_answers(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    for said in ["/start", "企业", "本市", "/cancel", "2"]:
        _turn(db_url, ctx, said, who="d1")
    with Session(engine) as session:
        interview = session.exec(select(Interview)).one()
        assert interview.answers == {}
        assert interview.status is InterviewStatus.CANCELLED
    text, _ = _turn(db_url, ctx, "你好", who="d1")
    assert "网站是以什么身份开办的" in text


def test_two_applicants_do_not_share_an_interview(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    _turn(db_url, ctx, "/start", who="a")
    _turn(db_url, ctx, "/start", who="b")
    _turn(db_url, ctx, "企业", who="a")
    text, _ = _turn(db_url, ctx, "个人", who="b")
    assert "✔ 个人" in text
    with Session(engine) as session:
        rows = session.exec(select(Interview).order_by(Interview.id)).all()  # type: ignore[arg-type]
        assert [r.answers["subject_type"] for r in rows] == ["enterprise", "individual"]
