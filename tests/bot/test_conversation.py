"""Interviews stored after every step: a restarted process carries on exactly where it was."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.conversation import Turn, Who, take_turn_in_session
from bot.deliveries import finish_delivery, prepare_documents, render_in_process
from bot.submission import SUBMISSION_KINDS, Submitted, submission_writer
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models.db import make_engine, session_scope
from models.repo import events_of
from models.tables import Filing, GeneratedDocument, Interview, OutboxMessage
from rules.enums import DocumentKind, FilingStatus, InterviewStatus, OutboxStatus
from tests.dialogs.conftest import TODAY, shown
from tests.dialogs.transcripts import ENTERPRISE
from tests.documents.pdf_text import page_texts, squeeze

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def _turn(url: str, ctx: Context, said: str, who: str = "u1") -> tuple[str, Turn]:
    """Take one turn in a freshly started 'process': a new engine, state only from the DB."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            result = take_turn_in_session(
                session,
                Who("terminal", who),
                Input.typed(said),
                ctx,
                NOW,
                effect_writer=submission_writer(ctx, "test", None),
            )
    finally:
        engine.dispose()
    assert result is not None
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
    assert isinstance(result.effects, Submitted)
    with Session(engine) as session:  # the confirmation wrote the filing and its delivery
        delivery = session.get(OutboxMessage, result.effects.delivery_id)
        assert delivery is not None
        assert delivery.status is OutboxStatus.PENDING
        assert delivery.filing_id == result.effects.filing_id
        assert session.exec(select(GeneratedDocument)).all() == []  # rendered after the commit
    documents = prepare_documents(engine, result.effects.delivery_id, render_in_process, ctx, NOW)
    assert documents is not None
    # maintained here, server in 杭州: a filing form for each bureau
    assert [d.kind for d in documents.documents] == [DocumentKind.FILING_FORM, *SUBMISSION_KINDS]
    assert "云帆科技官网" in squeeze("".join(page_texts(documents.documents[0].pdf)))
    again = prepare_documents(engine, result.effects.delivery_id, render_in_process, ctx, NOW)
    assert again is not None
    assert [d.id for d in again.documents] == [d.id for d in documents.documents]  # not twice
    finish_delivery(engine, result.effects.delivery_id, NOW)
    assert (
        prepare_documents(engine, result.effects.delivery_id, render_in_process, ctx, NOW) is None
    )
    with Session(engine) as session:
        filing = session.exec(select(Filing)).one()
        assert filing.status is FilingStatus.PREPARED  # nothing is sent to a bureau yet
        assert filing.site_name == "云帆科技官网"
        assert filing.data["website"]["domains"][-1] == "m.yunfan.example.cn"
        assert filing.route["steps"][1]["where"] == "server"
        assert [e.to_status for e in events_of(session=session, filing_id=filing.id)] == [
            FilingStatus.PREPARED
        ]
        stored = session.exec(select(GeneratedDocument)).all()
        assert sorted(d.kind for d in stored) == sorted(
            [DocumentKind.FILING_FORM, *SUBMISSION_KINDS]
        )
        assert all(d.content[:5] == b"%PDF-" for d in stored)
        interview = session.exec(select(Interview)).one()
        assert interview.status is InterviewStatus.DONE
        sent = session.get(OutboxMessage, result.effects.delivery_id)
        assert sent is not None
        assert sent.status is OutboxStatus.SENT


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


def _enterprise_confirmed(engine: sa.Engine, db_url: str, ctx: Context) -> tuple[int, int]:
    """The enterprise example confirmed turn by turn (maintained here, server in 杭州): its
    filing's id and number of steps."""
    _turn(db_url, ctx, "/start")
    for said, _ in ENTERPRISE:
        _turn(db_url, ctx, said)
    with Session(engine) as session:
        (filing,) = session.exec(select(Filing)).all()
        return filing.id or 0, len(filing.steps)


def test_a_filing_not_submitted_yet_takes_the_route_of_its_amended_answers(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    """Before anything is submitted, /amend fixes the answers and, when the server moved, where
    it is filed: the steps are worked out again (a returned filing keeps its own)."""
    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    _, steps = _enterprise_confirmed(engine, db_url, ctx)
    assert steps == 2
    for said in ("/amend", "/edit 服务器存放地址", "示例市示例区数据港路1号",
                 "/edit 服务器所在地", "本市"):  # fmt: skip
        _turn(db_url, ctx, said)
    text, result = _turn(db_url, ctx, "确认")
    assert "已按修改生成新的文件" in text and "整改后重新提交”" not in text
    assert isinstance(result.effects, Submitted)
    first = result.effects.first  # what the channels say: for a filing not submitted yet
    assert first is not None and "还没有向任何网安部门提交" in first.zh
    assert "被退回" not in first.zh and "resubmit" not in first.en
    with Session(engine) as session:
        (filing,) = session.exec(select(Filing)).all()
        assert len(filing.steps) == 1 and filing.status is FilingStatus.PREPARED
        assert [s["local"] for s in filing.steps] == [True]
        filing_id, version = filing.id or 0, filing.version
    # The status message sent before the amendment still shows 已在备案系统提交 (version 1):
    # its press was answered 「你已经处理过这份备案…无需重复操作」, nothing recorded.
    from bot.filing_actions import Reviewers, act
    from rules.filing_life import Actor, Role, make_event
    from rules.lifecycle import FilingEvent as E

    submit = make_event(E.SUBMIT, Actor(Role.APPLICANT, "applicant"), TODAY)
    stale = act(engine, filing_id, submit, ctx=ctx, clock=lambda: NOW, reviewers=Reviewers(),
                applicant_external_id="u1", expected_version=1)  # fmt: skip
    assert version != 1 and not stale.done and stale.refusal is not None
    assert "这个按钮（链接）是旧的" in stale.refusal.zh and "无需重复" not in stale.refusal.zh


def test_a_submitted_filing_s_amendment_cannot_move_it_to_other_bureaus(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    """Returned by the bureau it was filed with, an amendment moved the server here: the new
    drafts named a bureau the filing was never submitted to, the steps still the old ones."""
    from bot.filing_actions import Reviewers, act
    from rules.filing_life import Actor, Role, make_event
    from rules.lifecycle import FilingEvent as E

    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    filing_id, _ = _enterprise_confirmed(engine, db_url, ctx)
    with Session(engine) as session:
        stored = session.get(Filing, filing_id)
        assert stored is not None
        before = dict(stored.data)
    operator = Actor(Role.OPERATOR, "test")
    for event, extra in ((E.SUBMIT, {}), (E.RETURN, {"reasons": ("信息有误",)})):
        done = act(engine, filing_id, make_event(event, operator, TODAY, **extra), ctx=ctx,
                   clock=lambda: NOW, reviewers=Reviewers())  # fmt: skip
        assert done.done, done.refusal
    for said in ("/amend", "/edit 服务器存放地址", "示例市示例区数据港路1号",
                 "/edit 服务器所在地", "本市"):  # fmt: skip
        _turn(db_url, ctx, said)
    _, result = _turn(db_url, ctx, "确认")
    assert isinstance(result.effects, Submitted) and result.effects.refusal is not None
    assert "修改不能改变备案地点" in result.effects.refusal.zh  # said instead of the replies
    assert result.effects.delivery_id is None  # no drafts made
    with Session(engine) as session:
        filing = session.get(Filing, filing_id)
        assert filing is not None and len(filing.steps) == 2 and filing.data == before
        interview = session.exec(select(Interview)).one()
        assert interview.answers["server"] == "elsewhere"  # the amendment's edits taken back


def test_amend_of_a_filing_under_review_says_its_status_not_the_general_rule(
    engine: sa.Engine, db_url: str, pack: object, cal: object
) -> None:
    """/amend of a submitted filing said only 「只有尚未提交或被退回时才可以」, not where the
    filing is; of a certified one, the same, not that a change is reported with /change."""
    from bot.filing_actions import Reviewers, act
    from bot.reopening import reopening
    from rules.filing_life import Actor, Role, make_event
    from rules.lifecycle import FilingEvent as E

    ctx = Context(pack=pack, calendar=cal, today=TODAY)  # type: ignore[arg-type]
    filing_id, _ = _enterprise_confirmed(engine, db_url, ctx)
    operator = Actor(Role.OPERATOR, "test")
    said = {}
    for event in (E.SUBMIT, E.PASS_INITIAL_REVIEW, E.RECEIVE_MATERIALS, E.CERTIFY):
        event_made = make_event(event, operator, TODAY, psb_number="京公网安备11010502030143号")
        done = act(engine, filing_id, event_made, ctx=ctx, clock=lambda: NOW,
                   reviewers=Reviewers())  # fmt: skip
        assert done.done, done.refusal
        refusal = reopening(engine, "terminal", "u1", "amend").refusal
        assert refusal is not None
        said[event] = refusal
    assert "“已提交，待初审”" in said[E.SUBMIT].zh and "被退回整改时" in said[E.SUBMIT].zh
    assert "“submitted, awaiting initial review”" in said[E.SUBMIT].en
    assert "“材料已收到，待复审”" in said[E.RECEIVE_MATERIALS].zh
    assert "/change" in said[E.CERTIFY].zh and "已取得公安备案号" in said[E.CERTIFY].zh
    assert "被退回" not in said[E.CERTIFY].zh
