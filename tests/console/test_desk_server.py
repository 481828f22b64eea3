"""The desk's server without a browser, on SQLite and PostgreSQL: sessions end when idle or
when their reviewer is removed, the queue's columns follow every change without moving the
optimistic lock, the queue pages and searches, a spreadsheet never runs a site's name."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.console import queue
from bot.console.app import Desk, build_app
from bot.console.auth import IDLE, create_link_token
from bot.console.derived import refresh
from bot.filing_actions import Reviewers
from models.db import session_scope
from models.filings import add_reviewer, remove_reviewer
from models.tables import ConsoleSession, Filing, FilingQueue
from rules.lifecycle import FilingEvent as E
from tests.console.desk import REVIEWER, SECOND, TODAY, moment, seed
from tests.fakes.filings import answers, context, make_filing, move


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _desk(engine: sa.Engine, clock: Clock) -> Desk:
    ctx = context(TODAY)
    return Desk(engine=engine, context=lambda: ctx, clock=clock, reviewers=Reviewers())


def serve(
    engine: sa.Engine, clock: Clock, body: Callable[[TestClient[Any, Any]], Awaitable[None]]
) -> None:
    """Run `body` against the desk's application in this process."""

    async def main() -> None:
        async with TestClient(TestServer(build_app(_desk(engine, clock)))) as client:
            await body(client)

    asyncio.run(main())


async def sign_in(client: TestClient[Any, Any], engine: sa.Engine, clock: Clock) -> str:
    """Sign in through a link; return the session's CSRF token (from a page's form)."""
    token = create_link_token(engine, REVIEWER, clock())
    page = await (await client.get(f"/console/login/{token}")).text()
    pre = re.search(r'name="csrf" value="([^"]+)"', page)
    assert pre is not None
    answer = await client.post(f"/console/login/{token}", data={"csrf": pre.group(1)})
    text = await answer.text()
    assert answer.status == 200 and "待办队列" in text
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def _reviewer(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        add_reviewer(session, REVIEWER, "王警官", moment("2026-11-01"))


def test_a_session_ends_after_8_hours_idle_not_before(engine: sa.Engine) -> None:
    _reviewer(engine)
    clock = Clock()

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        clock.now += IDLE - dt.timedelta(minutes=5)
        assert "待办队列" in await (await client.get("/console")).text()  # and idle anew
        clock.now += IDLE - dt.timedelta(minutes=5)
        assert "待办队列" in await (await client.get("/console")).text()
        clock.now += IDLE + dt.timedelta(minutes=1)
        answer = await client.get("/console")
        assert answer.status == 401 and "请先登录" in await answer.text()

    serve(engine, clock, body)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ConsoleSession)).scalar() == 0


def test_a_removed_reviewer_s_session_ends_and_a_link_is_only_for_reviewers(
    engine: sa.Engine,
) -> None:
    _reviewer(engine)
    clock = Clock()
    assert create_link_token(engine, 4242, clock()) is None  # not a reviewer: no link

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        with session_scope(engine) as session:
            assert remove_reviewer(session, REVIEWER)
        answer = await client.get("/console")
        assert answer.status == 401

    serve(engine, clock, body)


def test_a_post_without_the_session_s_token_is_refused_and_changes_nothing(
    engine: sa.Engine,
) -> None:
    _reviewer(engine)
    clock = Clock()
    ids = seed(engine).ids

    async def body(client: TestClient[Any, Any]) -> None:
        csrf = await sign_in(client, engine, clock)
        url = f"/console/filings/{ids['race']}/act"
        form = {"version": "2", "action": "pass"}
        assert (await client.post(url, data=form)).status == 403
        elsewhere = {"Sec-Fetch-Site": "cross-site"}
        answer = await client.post(url, data={**form, "csrf": csrf}, headers=elsewhere)
        assert answer.status == 403
        assert (await client.post("/console/logout", data={})).status == 403
        answer = await client.post(url, data={**form, "csrf": csrf})
        assert answer.status == 200 and "已记录：初审通过" in await answer.text()

    serve(engine, clock, body)


def test_the_queue_columns_follow_each_change_and_leave_the_version_alone(
    engine: sa.Engine,
) -> None:
    ids = seed(engine).ids
    ctx = context(TODAY)
    assert refresh(engine, ctx.pack, ctx.calendar) == len(ids)
    assert refresh(engine, ctx.pack, ctx.calendar) == 0  # nothing changed since
    race = ids["race"]
    with session_scope(engine) as session:
        filing, row = session.get(Filing, race), session.get(FilingQueue, race)
        assert filing is not None and row is not None
        version = filing.version
        assert filing.queue_version == version and row.due_on == dt.date(2026, 12, 3)
        assert row.needs and row.due_kind == "initial_review"
    from tests.fakes.filings import move

    move(engine, ctx, race, E.PASS_INITIAL_REVIEW, at=moment("2026-11-27"), reviewer=REVIEWER)
    assert refresh(engine, ctx.pack, ctx.calendar) == 1
    with session_scope(engine) as session:
        filing, row = session.get(Filing, race), session.get(FilingQueue, race)
        assert filing is not None and row is not None
        assert filing.version == version + 1 == filing.queue_version  # derived: not a change
        assert row.due_kind == "materials" and row.status == "initial_review_passed"
        person = session.get(FilingQueue, ids["prepared"])  # an individual's name stays inside
        assert person is not None and person.unit == "" and "note.example.cn" in person.search


def test_the_queue_pages_filters_and_searches_on_both_databases(engine: sa.Engine) -> None:
    ids = seed(engine).ids
    ctx = context(TODAY)
    refresh(engine, ctx.pack, ctx.calendar)
    read = queue.Filters.read
    with session_scope(engine) as session:

        def sites(**query: str) -> list[str]:
            return [r.site_name for r in queue.listing(session, read(query), TODAY)[1]]

        assert sites() == ["示例市政务公开网", "星河商城", "云帆科技官网", "双子星书店"]
        assert sites(q="Shop.XINGHE") == ["星河商城"]
        assert sites(q="星河") == ["星河商城"] and sites(q="河商") == ["星河商城"]  # two: pairs
        # one character: not searched (no index holds it; every row would be read), said
        assert sites(q="星") == sites() and queue.short_words("星 河商") == ["星"]
        assert sites(q="星河 shop") == ["星河商城"] and sites(q="星河 books") == []
        assert sites(q="云帆_") == [] and sites(q="%%") == []  # LIKE's wildcards: typed, literal
        assert sites(status="all", q="公网安备1101") == ["明月茶社"]
        assert sites(status="all", subject="individual") == ["小𠮷的笔记"]
        assert sites(overdue="1") == ["示例市政务公开网"]
        assert sites(status="all", bureau="outside") == ["明月茶社"]  # step 2: Hangzhou
        assert queue.listing(session, read({"status": "all"}), TODAY)[0] == len(ids)
        assert queue.listing(session, read({"status": "all", "q": "example"}), TODAY)[0] == len(ids)
        assert sites(page="2") == []
        # a search counts up to SEARCH_COUNTED, +1 for "more" (the page says 1000+)
        counted = queue.SEARCH_COUNTED
        try:
            queue.SEARCH_COUNTED = 2
            total, rows = queue.listing(session, read({"status": "all", "q": "example"}), TODAY)
            assert total == 3 and len(rows) == min(len(ids), queue.PAGE_SIZE)
        finally:
            queue.SEARCH_COUNTED = counted
        rows = list(queue.every(session, read({}), TODAY))
        lines = list(queue.csv_lines(iter(rows), TODAY, str))
    assert lines[0].startswith("\ufeff编号 ID") and len(lines) == 5


def test_a_change_awaiting_this_city_is_listed_by_it_while_another_step_is_in_progress(
    engine: sa.Engine,
) -> None:
    """Certified here, step 2 (杭州) in progress, a change reported: the queue row showed step
    2's status and bureau, so 已报告变更 and 本市 did not list what this city must review."""
    ids = seed(engine).ids
    ctx = context(TODAY)
    tea = ids["certified"]
    move(engine, ctx, tea, E.REPORT_CHANGE, at=moment("2026-11-20"), applicant="8101",
         reason="更换服务器")  # fmt: skip
    refresh(engine, ctx.pack, ctx.calendar)
    with session_scope(engine) as session:
        row = session.get(FilingQueue, tea)
        assert row is not None
        assert (row.status, row.local, row.step) == ("change_reported", True, 1)
        listed = queue.listing(session, queue.Filters.read({"status": "change_reported"}), TODAY)
        assert tea in [r.id for r in listed[1]]
        here = queue.listing(session, queue.Filters.read({"status": "all", "bureau": "local"}),
                             TODAY)  # fmt: skip
        assert tea in [r.id for r in here[1]]


def test_a_site_name_that_looks_like_a_formula_is_text_in_the_csv() -> None:
    assert queue.cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert queue.cell("+1") == "'+1" and queue.cell("云帆") == "云帆" and queue.cell(None) == ""


def test_a_reported_change_is_accepted_at_the_desk_with_its_own_buttons(engine: sa.Engine) -> None:
    _reviewer(engine)
    clock = Clock()
    ids = seed(engine).ids
    from tests.fakes.filings import move

    tea = ids["certified"]  # step 1 certified; step 2 (Hangzhou) in progress
    move(engine, context(TODAY), tea, E.REPORT_CHANGE, at=moment("2026-11-20"),
         applicant="8101", reason="更换服务器")  # fmt: skip

    async def body(client: TestClient[Any, Any]) -> None:
        csrf = await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{tea}")).text()
        assert "变更审核通过" in page and "退回变更" in page and "复审通过，发证" not in page
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version is not None
        form = {"csrf": csrf, "version": version.group(1), "action": "change_ok"}
        answer = await client.post(f"/console/filings/{tea}/act", data=form)
        assert "已记录：变更审核通过" in await answer.text()

    serve(engine, clock, body)
    with session_scope(engine) as session:
        filing = session.get(Filing, tea)
        assert filing is not None and filing.steps[0]["status"] == "certified"
        assert filing.psb_number == "京公网安备11010502030143号"  # the change keeps its number


def test_the_desk_says_who_is_told_of_a_decision_and_marks_an_estimated_deadline(
    engine: sa.Engine,
) -> None:
    """The desk said 「申请人（及审核群）会收到通知」 after every decision, though an applicant
    who filed in the terminal has no chat and no review chat was set; and it showed a 2027
    deadline as firm (2027's holidays are not published: /status marks it （估算）)."""
    _reviewer(engine)
    clock = Clock()
    ctx = context(TODAY)
    chat = make_filing(engine, ctx, answers("enterprise", "有聊天", "chat.example.cn"),
                       applicant="8201", now=moment("2026-11-20"))  # fmt: skip
    local = make_filing(engine, ctx, answers("enterprise", "终端填写", "term.example.cn"),
                        applicant="t", now=moment("2026-11-20"), channel="terminal")  # fmt: skip
    move(engine, ctx, chat, E.SUBMIT, at=moment("2026-11-26"), applicant="8201")
    move(engine, ctx, local, E.SUBMIT, at=moment("2026-11-26"), applicant="t")
    late = make_filing(engine, ctx, answers("enterprise", "年底提交", "dec.example.cn"),
                       applicant="8202", now=moment("2026-11-20"))  # fmt: skip
    move(engine, context(dt.date(2026, 12, 30)), late, E.SUBMIT, at=moment("2026-12-28"),
         applicant="8202")  # fmt: skip

    async def body(client: TestClient[Any, Any]) -> None:
        csrf = await sign_in(client, engine, clock)
        said = {}
        for filing in (chat, local):
            page = await (await client.get(f"/console/filings/{filing}")).text()
            version = re.search(r'name="version" value="(\d+)"', page)
            assert version is not None
            answer = await client.post(
                f"/console/filings/{filing}/act",
                data={"csrf": csrf, "version": version.group(1), "action": "pass"},
            )
            said[filing] = await answer.text()
            assert "已记录：初审通过" in said[filing]
        assert "会收到通知：申请人" in said[chat] and "不会收到" not in said[chat]
        assert "审核群" not in said[chat]  # no review chat is set
        assert "申请人不会收到这次的通知" in said[local] and "会收到通知：申请人" not in said[local]
        page = await (await client.get(f"/console/filings/{late}")).text()
        assert "2027-01-05（估算）" in page, page
        queue_page = await (await client.get("/console?status=all")).text()
        assert "2027-01-05（估算）" in queue_page
        assert "（估算）" not in page.split("2027-01-05")[0]  # only the 2027 date

    serve(engine, clock, body)


def test_the_statistics_count_the_recorded_days_of_this_city_s_steps(engine: sa.Engine) -> None:
    """「初审通过 — 中位数0天」 for a filing submitted on 11-16 and passed on 11-28: the days
    were counted between the moments the events were typed in, not the days recorded; and
    the other city's bureau's outcomes of a two-step filing were counted as this city's."""
    from bot.filing_actions import act
    from models.tables import FilingOutcome
    from rules.filing_life import Actor, Role, make_event

    ctx = context(TODAY)
    operator = Actor(Role.OPERATOR, "test")

    def record(filing: int, event: E, day: str, **data: Any) -> None:
        done = act(engine, filing, make_event(event, operator, dt.date.fromisoformat(day), **data),
                   ctx=ctx, clock=lambda: moment("2026-11-28"),
                   reviewers=Reviewers())  # fmt: skip
        assert done.done, done.refusal

    here_first = make_filing(engine, ctx, answers("enterprise", "本市先", "a.example.cn"),
                             applicant="8301", now=moment("2026-11-01"))  # fmt: skip
    record(here_first, E.SUBMIT, "2026-11-16")
    record(here_first, E.PASS_INITIAL_REVIEW, "2026-11-20")  # both typed in on 11-28
    there_first = make_filing(engine, ctx, answers("government", "外地先", "b.example.cn"),
                              applicant="8302", now=moment("2026-11-01"))  # fmt: skip
    record(there_first, E.SUBMIT, "2026-11-02")  # the other city's bureau: step 1
    record(there_first, E.PASS_INITIAL_REVIEW, "2026-11-03")
    record(there_first, E.RECEIVE_MATERIALS, "2026-11-04")
    record(there_first, E.CERTIFY, "2026-11-05", psb_number="沪公网安备31010102000001号")
    record(there_first, E.SUBMIT, "2026-11-20")  # this city's bureau: step 2
    record(there_first, E.RETURN, "2026-11-27", reasons=("材料不清晰",))
    assert refresh(engine, ctx.pack, ctx.calendar) >= 2
    with session_scope(engine) as session:
        rows = session.exec(sa.select(FilingOutcome)).scalars().all()  # type: ignore[call-overload]
        found = sorted((r.filing_id, r.outcome, r.days, r.decided_on) for r in rows)
    assert found == [
        (here_first, "initial_review_passed", 4, dt.date(2026, 11, 20)),
        (there_first, "returned", 7, dt.date(2026, 11, 27)),
    ]


def test_a_stale_page_is_told_as_a_page_and_another_decision_is_not_a_repeat(
    engine: sa.Engine,
) -> None:
    """After a second change from the command line, 变更审核通过 on the page opened before was
    told 「请发送 /status 查看最新状态」 (there is no /status on the web); a reviewer whose
    初审通过 came after another's 退回整改 was told 「无需重复操作」, as if it were theirs."""
    _reviewer(engine)
    clock = Clock()
    race = seed(engine).ids["race"]
    ctx = context(TODAY)
    tea = make_filing(engine, ctx, answers("individual", "一步之站", "one.example.cn"),
                      applicant="8401", now=moment("2026-11-01"))  # fmt: skip
    steps = ((E.SUBMIT, {}), (E.PASS_INITIAL_REVIEW, {}), (E.RECEIVE_MATERIALS, {}),
             (E.CERTIFY, {"psb_number": "京公网安备11010502030999号"}))  # fmt: skip
    for day, (event, data) in zip(("03", "05", "09", "11"), steps, strict=True):
        who = {"applicant": "8401"} if event is E.SUBMIT else {"reviewer": REVIEWER}
        move(engine, ctx, tea, event, at=moment(f"2026-11-{day}"), **who, **data)
    move(engine, ctx, tea, E.REPORT_CHANGE, at=moment("2026-11-20"), applicant="8401",
         reason="更换服务器")  # fmt: skip

    async def version_of(client: TestClient[Any, Any], filing: int) -> str:
        page = await (await client.get(f"/console/filings/{filing}")).text()
        found = re.search(r'name="version" value="(\d+)"', page)
        assert found is not None
        return found.group(1)

    async def body(client: TestClient[Any, Any]) -> None:
        csrf = await sign_in(client, engine, clock)
        seen = {tea: await version_of(client, tea), race: await version_of(client, race)}
        move(engine, ctx, tea, E.REPORT_CHANGE, at=moment("2026-11-21"), applicant="8401",
             reason="再换一次")  # fmt: skip
        move(engine, ctx, race, E.RETURN, at=moment("2026-11-27"), reviewer=SECOND,
             reasons=("材料不清晰",))  # fmt: skip
        said = {}
        for filing, action in ((tea, "change_ok"), (race, "pass")):
            form = {"csrf": csrf, "version": seen[filing], "action": action}
            said[filing] = await (
                await client.post(f"/console/filings/{filing}/act", data=form)
            ).text()
        assert "这个页面是旧的" in said[tea] and "/status" not in said[tea], said[tea]
        assert "已记录" not in said[tea]
        assert "你的操作没有记录" in said[race] and "无需重复" not in said[race], said[race]

    serve(engine, clock, body)


def test_the_measures_are_not_called_the_applicant_s_own_and_are_listed_by_clause(
    engine: sa.Engine,
) -> None:
    """The card said 「技术措施（自填）」 (the label of the question "write my own") for the
    suggested measures too, and joined the items with 、, which the items themselves hold."""
    _reviewer(engine)
    clock = Clock()
    race = seed(engine).ids["race"]

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{race}")).text()
        assert "（自填）" not in page and "技术措施内容" in page and "管理制度内容" in page
        with session_scope(engine) as session:
            filing = session.get(Filing, race)
            assert filing is not None
            items = filing.data["website"]["security_measures"]
        assert len(items) > 1 and "；".join(items) in page

    serve(engine, clock, body)


def test_an_id_no_database_can_hold_is_not_found_not_a_500(engine: sa.Engine) -> None:
    _reviewer(engine)
    clock = Clock()
    huge = "9" * 23  # over 64 bits: SQLite's OverflowError, a 500 and a traceback

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        for path in (f"/console/filings/{huge}", f"/console/filings/1/documents/{huge}"):
            assert (await client.get(path)).status == 404, path

    serve(engine, clock, body)


def test_a_two_step_filing_s_header_says_whose_step_its_status_is(engine: sa.Engine) -> None:
    """Certified here (step 1), the filing's header said 「已生成文件，待提交」: the status of
    the other city's step, as if nothing had been filed."""
    _reviewer(engine)
    clock = Clock()
    tea = seed(engine).ids["certified"]  # step 1 here certified; step 2 elsewhere prepared

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{tea}")).text()
        header = re.search(r'<span class="status">([^<]+)</span>', page)
        assert header is not None
        assert header.group(1).startswith("第2步（") and "：已生成文件，待提交" in header.group(1)

    serve(engine, clock, body)


def test_an_individual_s_card_has_no_unit_rows_and_says_the_document_type(
    engine: sa.Engine,
) -> None:
    """A person with a passport: the card showed 单位电话 and 法定代表人姓名/证件号码 (a
    person has none: the form's copy of themself), and their own number as *****5678
    without saying it is a passport (the copy said 护照 E12345678, masked at another length)."""
    _reviewer(engine)
    clock = Clock()
    raw = answers("individual", "约翰的博客", "john.example.cn")
    raw["subject"].update(
        {"name": "John Smith", "credential_type": "passport", "credential_number": "E12345678"}
    )
    filing = make_filing(engine, context(TODAY), raw, applicant="8501", now=moment("2026-11-20"))

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{filing}")).text()
        assert "法定代表人" not in page and "单位电话" not in page, page
        assert page.count("5678") == 1 and "护照 *****5678" in page
        assert "E12345678" not in page

    serve(engine, clock, body)


def test_a_form_sent_after_the_session_ended_says_so_and_that_nothing_was_recorded(
    engine: sa.Engine,
) -> None:
    """A return typed over 8 idle hours was answered 「表单已过期或来自其他网站，请返回刷新」
    in plain text: going back led to the sign-in page, and nothing said what had happened."""
    _reviewer(engine)
    clock = Clock()
    race = seed(engine).ids["race"]

    async def body(client: TestClient[Any, Any]) -> None:
        csrf = await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{race}")).text()
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version is not None
        clock.now += IDLE + dt.timedelta(minutes=1)
        form = {"csrf": csrf, "version": version.group(1), "action": "return",
                "reason_text": "首页无法打开"}  # fmt: skip
        answer = await client.post(f"/console/filings/{race}/act", data=form)
        text = await answer.text()
        assert answer.status == 403 and "登录已失效" in text and "没有记录" in text, text
        assert "/console" in text and answer.content_type == "text/html"

    serve(engine, clock, body)
    with session_scope(engine) as session:
        filing = session.get(Filing, race)
        assert filing is not None and filing.status.value == "submitted"  # nothing recorded


def test_the_english_desk_page_has_no_chinese_punctuation_of_its_own(engine: sa.Engine) -> None:
    """In English: 「submitted：2026-11-26」, 「(4 pages，65 KB）」, 「1 pages」."""
    _reviewer(engine)
    clock = Clock()
    ids = seed(engine).ids

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        for key in ("certify", "certified", "race"):
            page = await (await client.get(f"/console/filings/{ids[key]}?lang=en")).text()
            main = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])
            # the answers' values are the applicant's own (Chinese); the labels around them not
            labels = re.findall(r"(?:submitted|certified|due|PSB number|Reason)[：，（）。]", main)
            assert labels == [], labels
            assert " 1 pages" not in main and "，" not in re.sub(r"[\u4e00-\u9fff]，", "", main)

    serve(engine, clock, body)


def test_the_csv_has_numbers_as_numbers_and_subject_types_by_their_labels(
    engine: sa.Engine,
) -> None:
    """The CSV wrote an overdue filing's days as '-5 (text: the column would not sort) and the
    subject type as its code (enterprise) among Chinese cells."""
    import csv
    import io

    _reviewer(engine)
    clock = Clock()
    ids = seed(engine).ids

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        text = await (await client.get("/console/queue.csv?status=all")).text()
        table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        by_id = {row[0]: row for row in table[1:]}
        overdue = by_id[str(ids["overdue"])]
        assert overdue[5] == "企业" and int(overdue[9]) < 0, overdue  # a number, not '-…
        assert all(row[5] in ("企业", "个人", "政府机关、事业单位") for row in table[1:])

    serve(engine, clock, body)


def test_the_english_queue_and_dashboard_name_the_bureaus_in_english(engine: sa.Engine) -> None:
    """The queue's step column and the dashboard's table named the bureaus in Chinese on the
    English pages (the filing's page named them in English)."""
    _reviewer(engine)
    clock = Clock()
    seed(engine)

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        for path in ("/console?status=all&lang=en", "/console/dashboard?lang=en"):
            page = await (await client.get(path)).text()
            assert "示例市公安局" not in page and "Example City" in page, path
        chinese = await (await client.get("/console?status=all")).text()
        assert "示例市公安局" in chinese

    serve(engine, clock, body)


def test_the_history_shows_a_phone_as_the_answers_do_and_masks_an_id_number(
    engine: sa.Engine, db_url: str, tmp_path: Any
) -> None:
    """The history masked the mobile (*******9000 → *******2222) that the answers above show
    whole (the clerk calls it): the desk masks ID numbers only, in both."""
    from typer.testing import CliRunner

    from bot.cli import app

    _reviewer(engine)
    clock = Clock()
    tea = seed(engine).ids["certified"]
    change = tmp_path / "change.yaml"
    change.write_text(
        'reason: 换负责人电话\nset: {"subject.responsible.mobile": "13911112222", '
        '"subject.responsible.id_number": "330102199001010020"}\n',
        encoding="utf-8",
    )
    env = {"DATABASE_URL": db_url, "BEIAN_TODAY": TODAY.isoformat(), "BEIAN_PACK": "example"}
    done = CliRunner().invoke(app, ["filings", "change", str(tea), "--file", str(change)], env=env)
    assert done.exit_code == 0, done.output

    async def body(client: TestClient[Any, Any]) -> None:
        await sign_in(client, engine, clock)
        page = await (await client.get(f"/console/filings/{tea}")).text()
        history = page.split("信息变更历史", 1)[1] if "信息变更历史" in page else page
        assert "13911112222" in history and "*******2222" not in history
        assert "330102199001010020" not in page and "0020" in history

    serve(engine, clock, body)


def test_a_reviewer_does_not_decide_their_own_filing(engine: sa.Engine) -> None:
    """An applicant invited as a reviewer recorded 收到材料 on their own filing."""
    from bot.filing_actions import act
    from rules.filing_life import Actor, Role, make_event

    _reviewer(engine)
    ctx = context(TODAY)
    own = make_filing(engine, ctx, answers("enterprise", "自己的站", "own.example.cn"),
                      applicant=str(REVIEWER), now=moment("2026-11-20"))  # fmt: skip
    move(engine, ctx, own, E.SUBMIT, at=moment("2026-11-26"), applicant=str(REVIEWER))
    decided = act(engine, own, make_event(E.PASS_INITIAL_REVIEW, Actor(Role.REVIEWER,
                  str(REVIEWER)), TODAY), ctx=ctx, clock=lambda: moment("2026-11-28"),
                  reviewers=Reviewers())  # fmt: skip
    assert not decided.done and decided.refusal is not None
    assert "审核人员不能审核自己的备案" in decided.refusal.zh
    with session_scope(engine) as session:
        add_reviewer(session, SECOND, "另一位", moment("2026-11-01"))
    other = act(engine, own, make_event(E.PASS_INITIAL_REVIEW, Actor(Role.REVIEWER,
                str(SECOND)), TODAY), ctx=ctx, clock=lambda: moment("2026-11-28"),
                reviewers=Reviewers())  # fmt: skip
    assert other.done, other.refusal


def test_a_reviewer_without_a_registered_name_is_named_by_their_number(
    engine: sa.Engine,
) -> None:
    """A late press was told 「这份备案已由另一位审核人员处理」 when the faster reviewer was
    seeded from BEIAN_REVIEWERS (no name): the README says the faster reviewer is named."""
    from bot.filing_actions import actor_name

    with session_scope(engine) as session:
        add_reviewer(session, 9300, "", moment("2026-11-01"))
        add_reviewer(session, REVIEWER, "王警官", moment("2026-11-01"))
        assert actor_name(session, "reviewer:9300").zh == "审核人员（9300）"
        assert actor_name(session, f"reviewer:{REVIEWER}").zh == "审核人员王警官"
