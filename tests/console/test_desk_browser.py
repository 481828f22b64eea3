"""The bureau's desk in Debian's Chromium (issue 28): sign-in links, the queue, a filing's
actions reaching the applicant's Telegram chat through a bot in another process, CSRF, two
clerks at once, and nothing for a stranger. One browser and one set of servers per module."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bot.console.auth import create_link_token
from models.db import session_scope
from models.filings import add_reviewer
from tests.console.desk import (
    APPLICANT,
    CHROMIUM_ARGS,
    OTHER,
    REVIEWER,
    SECOND,
    Console,
    Seeded,
    chromium,
    migrated,
    seed,
)
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess, message_text


class Desk:
    """What the tests share: the servers, the database, the browser."""

    def __init__(self, console: Console, engine: sa.Engine, seeded: Seeded, fake: FakeBotAPI,
                 browser: Browser) -> None:  # fmt: skip
        self.console, self.engine, self.seeded, self.fake = console, engine, seeded, fake
        self.browser = browser

    @property
    def base(self) -> str:
        return self.console.base

    def signed_in(self, reviewer: int = REVIEWER) -> tuple[BrowserContext, Page]:
        """Return a browser context signed in with a fresh link, on the queue."""
        context = self.browser.new_context(locale="zh-CN")
        page = context.new_page()
        token = create_link_token(self.engine, reviewer, dt.datetime.now(dt.UTC))
        page.goto(f"{self.base}/console/login/{token}")
        page.get_by_role("button", name="登录审核台").click()
        expect(page.get_by_role("heading", name=re.compile("待办队列"))).to_be_visible()
        return context, page

    def rows(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("desk")
    database = folder / "bot.db"
    engine = migrated(database)
    with session_scope(engine) as session:
        add_reviewer(session, REVIEWER, "王警官", dt.datetime.now(dt.UTC))
        add_reviewer(session, SECOND, "李警官", dt.datetime.now(dt.UTC))
    fake = FakeBotAPI(TOKEN).start()
    console = Console(database, folder / "console.log")
    bot_env = {"BEIAN_REVIEWERS": f"{REVIEWER},{SECOND}", "BEIAN_CONSOLE_URL": console.base}
    bot = BotProcess(fake, folder, env=bot_env).start()
    try:
        fake.push(fake.text_update(APPLICANT, "/start"))  # the applicant has written to the bot
        fake.wait_until(lambda: fake.chat_messages(APPLICANT))
        seeded = seed(engine)
        console.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                yield Desk(console, engine, seeded, fake, browser)
            finally:
                browser.close()
    finally:
        console.stop()
        bot.stop()
        fake.stop()
        engine.dispose()


def test_a_one_time_link_signs_in_once_with_a_strict_http_only_cookie(desk: Desk) -> None:
    link = desk.console.link()
    context = desk.browser.new_context()
    page = context.new_page()
    page.goto(link)  # a preview or a scanner fetching the link does not use it up
    page.goto(link)
    page.get_by_role("button", name="登录审核台").click()
    expect(page).to_have_url(f"{desk.base}/console")
    expect(page.get_by_text("云帆科技官网")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "beian_desk")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    other = desk.browser.new_context()
    again = other.new_page()
    again.goto(link)  # used: refused
    expect(again.get_by_text("登录链接无效、已使用或已过期")).to_be_visible()
    assert not again.get_by_role("button", name="登录审核台").is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.goto(f"{desk.base}/console")
    expect(page).to_have_url(re.compile("/console/signin"))
    context.close()
    other.close()


def test_an_expired_link_is_refused(desk: Desk) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    token = create_link_token(desk.engine, REVIEWER, old)
    context = desk.browser.new_context()
    page = context.new_page()
    response = page.goto(f"{desk.base}/console/login/{token}")
    assert response is not None and response.status == 410
    expect(page.get_by_text("登录链接无效、已使用或已过期")).to_be_visible()
    context.close()


def test_a_stranger_without_a_session_sees_no_filing(desk: Desk) -> None:
    context = desk.browser.new_context()
    page = context.new_page()
    ids = desk.seeded.ids
    filing = f"/console/filings/{ids['return']}"
    for path in ("/console", filing, "/console/dashboard", "/console/queue.csv",
                 f"{filing}/documents/1"):  # fmt: skip
        answer = context.request.get(desk.base + path)
        assert answer.status == 401 and "云帆" not in answer.text(), path  # the sign-in page
    page.goto(f"{desk.base}/console/filings/{ids['return']}")
    expect(page.get_by_text("请先登录")).to_be_visible()
    assert "云帆" not in page.content()
    context.close()


def test_the_queue_sorts_by_deadline_filters_and_searches(desk: Desk) -> None:
    context, page = desk.signed_in()
    sites = page.locator("table.queue tbody tr td:nth-child(2) a")
    expect(sites).to_have_text(["示例市政务公开网", "星河商城", "云帆科技官网", "双子星书店"])
    expect(page.locator("tr.overdue")).to_contain_text("已逾期")  # 11-09 was its last day
    page.get_by_label("搜索").fill("YUNFAN")
    page.get_by_role("button", name="筛选").click()
    expect(sites).to_have_text(["云帆科技官网"])
    page.get_by_label("搜索").fill("11010502030143")  # a 公安备案号's digits: certified, not due
    page.get_by_label("状态").select_option("all")
    page.get_by_role("button", name="筛选").click()
    expect(sites).to_have_text(["明月茶社"])
    page.goto(f"{desk.base}/console?q=%E6%98%9F")  # one character (星): said, not searched
    expect(page.get_by_role("status")).to_contain_text("单个字太短，没有用于搜索：星")
    expect(sites).to_have_text(["示例市政务公开网", "星河商城", "云帆科技官网", "双子星书店"])
    page.goto(f"{desk.base}/console?status=all&subject=individual")
    expect(sites).to_have_text(["小𠮷的笔记"])
    page.goto(f"{desk.base}/console?overdue=1")
    expect(sites).to_have_text(["示例市政务公开网"])
    page.goto(f"{desk.base}/console?within=3")
    expect(sites).to_have_text(["示例市政务公开网", "星河商城"])
    with page.expect_download() as download:
        page.goto(f"{desk.base}/console")
        page.get_by_role("link", name="导出CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("编号 ID,网站名称 Site") and "星河商城" in text
    page.get_by_role("link", name="统计").click()
    expect(page.locator("figure.chart svg")).to_have_count(4)
    context.close()


def test_a_return_with_two_reasons_reaches_the_applicant_on_telegram(desk: Desk) -> None:
    context, page = desk.signed_in()
    filing = desk.seeded.ids["return"]
    page.goto(f"{desk.base}/console/filings/{filing}")
    form = page.locator("#act-return")
    form.get_by_label("网站名称与ICP备案不一致").check()
    form.get_by_label("网站无法访问").check()
    form.get_by_role("button", name="退回整改").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：退回整改")
    expect(page.locator("h1 .status")).to_have_text("第1步（本市）：被退回整改")
    expected = "退回整改，原因：网站名称与ICP备案不一致；网站无法访问"
    desk.fake.wait_until(  # sent by the bot's sweep: the desk runs in another process
        lambda: any(expected in message_text(m) for m in desk.fake.chat_messages(APPLICANT)), 30
    )
    actor = desk.rows(f"select actor from lifecycle_event where filing_id={filing} "
                      "order by id desc limit 1")  # fmt: skip
    assert actor == [(f"reviewer:{REVIEWER}",)]
    context.close()


def test_certifying_checks_the_psb_number_then_tells_the_applicant(desk: Desk) -> None:
    context, page = desk.signed_in()
    filing = desk.seeded.ids["certify"]
    page.goto(f"{desk.base}/console/filings/{filing}")
    form = page.locator("#act-certify")
    form.get_by_label("公安备案号").fill("京公网安备123号")
    form.get_by_label("备案证编号").fill("SL-2026-009")
    form.get_by_role("button", name="复审通过，发证").click()
    expect(page.get_by_role("alert")).to_be_visible()  # refused: the number is checked
    expect(page.locator("h1 .status")).to_have_text("第1步（本市）：材料已收到，待复审")
    form = page.locator("#act-certify")
    expect(form.get_by_label("公安备案号")).to_have_value("京公网安备123号")  # kept to fix
    form.get_by_label("公安备案号").fill("京公网安备11010502030144号")
    form.get_by_role("button", name="复审通过，发证").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：复审通过")
    expect(page.locator("ol.steps li").first).to_contain_text("已备案")  # step 2 (Hangzhou) next
    desk.fake.wait_until(
        lambda: any("京公网安备11010502030144号" in message_text(m)
                    for m in desk.fake.chat_messages(APPLICANT)), 30)  # fmt: skip
    context.close()


def test_a_form_without_its_csrf_token_or_from_another_site_changes_nothing(desk: Desk) -> None:
    context, page = desk.signed_in()
    filing = desk.seeded.ids["race"]
    page.goto(f"{desk.base}/console/filings/{filing}")
    token = page.locator("#act-pass input[name=csrf]").get_attribute("value")
    version = page.locator("#act-pass input[name=version]").get_attribute("value")
    url = f"{desk.base}/console/filings/{filing}/act"
    form = {"version": version or "", "action": "pass"}
    assert context.request.post(url, form=form).status == 403  # no token
    assert context.request.post(url, form={**form, "csrf": "forged"}).status == 403
    from_elsewhere = context.request.post(
        url, form={**form, "csrf": token or ""}, headers={"Origin": "https://evil.example"}
    )
    assert from_elsewhere.status == 403
    assert desk.rows(f"select status from filing where id={filing}") == [("submitted",)]
    context.close()


def test_two_clerks_at_once_one_wins_and_the_other_is_told_who(desk: Desk) -> None:
    first, one = desk.signed_in(REVIEWER)
    second, two = desk.signed_in(SECOND)
    filing = desk.seeded.ids["race"]
    for page in (one, two):
        page.goto(f"{desk.base}/console/filings/{filing}")
    one.locator("#act-pass").get_by_role("button", name="初审通过").click()
    expect(one.get_by_role("status")).to_contain_text("已记录：初审通过")
    late = two.locator("#act-return")
    late.get_by_label("材料不清晰").check()
    late.get_by_role("button", name="退回整改").click()
    expect(two.get_by_role("alert")).to_contain_text("已由审核人员王警官处理")
    expect(two.locator("h1 .status")).to_have_text("第1步（本市）：初审通过，待送材料")  # now
    assert desk.rows(f"select status from filing where id={filing}") == [("initial_review_passed",)]
    first.close()
    second.close()


def test_an_id_number_is_shown_by_a_click_that_is_logged(desk: Desk) -> None:
    context, page = desk.signed_in()
    filing = desk.seeded.ids["overdue"]
    page.goto(f"{desk.base}/console/filings/{filing}")
    assert "330106198506120015" not in page.content()
    page.get_by_role("button", name="显示 法定代表人证件号码").click()
    expect(page.locator(".revealed").first).to_contain_text("330106198506120015")
    logged = desk.rows(f"select reviewer_id, field from console_reveal where filing_id={filing}")
    assert logged == [(REVIEWER, "subject.responsible.id_number")]
    with page.expect_download() as download:
        page.get_by_role("link", name="下载").first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    # the Word copies (issue 31): made from the same context as the PDFs, listed beside them
    page.get_by_role("button", name="生成Word版（可编辑）").click()
    word = page.locator("ul.docs li", has_text=".docx")
    expect(word.first).to_contain_text("Word版，可编辑")
    with page.expect_download() as download:
        word.first.get_by_role("link", name="下载").click()
    from docx import Document

    text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
    assert "预填稿" in text
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    context.close()


def test_console_in_the_bot_sends_a_reviewer_a_link_without_a_preview(desk: Desk) -> None:
    fake = desk.fake
    fake.push(fake.text_update(SECOND, "/console"))
    sent = fake.wait_until(lambda: next((c for c in fake.calls_of("sendMessage", SECOND)
                                         if "/console/login/" in str(c.params.get("text"))),
                                        None))  # fmt: skip
    assert (sent.params.get("link_preview_options") or {}).get("is_disabled") is True
    link = str(sent.params["text"]).split()[-1]
    assert link.startswith(f"{desk.base}/console/login/")
    context = desk.browser.new_context()
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name="登录审核台").click()
    expect(page.locator("header .who")).to_have_text("李警官")
    context.close()
    fake.push(fake.text_update(OTHER, "/console"))  # not a reviewer: no link
    fake.wait_until(lambda: any("不能登录审核台" in message_text(m)
                                for m in fake.chat_messages(OTHER)))  # fmt: skip
