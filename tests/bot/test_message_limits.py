"""Every text the bot writes from the longest answers the interview accepts fits Telegram
(issue 25 item 9), checked without a bot: the interview's replies (the lists as they are
collected, the summary, a list's edit menu, the change's diff), the status, the reviewers'
card, the change notice and the reminders. A message is split into parts of at most 4,096
UTF-16 code units at line boundaries only (no line is cut); a text edited in place (a status,
a card) fits one message; every button has a label and at most 64 bytes of data."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.filing_actions import describe
from bot.submission import filing_from
from bot.tg import ui
from dialogs.engine import begin, handle
from dialogs.model import Context, Input, Step, Submit
from dialogs.review import change_lines
from dialogs.turn import spec_for
from rules.answers import FilingAnswers
from rules.changes import diff, flatten
from rules.enums import FilingStatus
from rules.events import ReportChange
from rules.filing_life import Actor, Decision, FilingState, Role, decide
from rules.pack import Pack
from rules.reminders import Reminder, reminder_text
from rules.text import Lang, t
from rules.workdays import WorkdayCalendar
from tests.dialogs.longest import LONGEST, NEW_DOMAINS, in_messages, longest_answers

TODAY = dt.date(2026, 11, 28)
CHAT = 8101
KEY = ui.button_key("123456789:TESTtokenForTheLocalFakeBotApiServer0")


def assert_sendable(text: str) -> list[str]:
    """Split `text` as the bot sends it; every part fits, and only whole lines were moved."""
    parts = ui.split_text(text)
    assert parts, "an empty message"
    assert all(ui.telegram_length(part) <= ui.TEXT_LIMIT for part in parts)
    assert "\n".join(parts) == text, "a line was cut to fit a message"
    return parts


def assert_one_message(text: str) -> None:
    """A text that is edited in place: one message, whole."""
    assert ui.telegram_length(text) <= ui.TEXT_LIMIT, ui.telegram_length(text)


def assert_step_sendable(step: Step) -> int:
    """Check a step's messages and buttons as the Telegram channel sends them; return the
    number of messages."""
    sent = 0
    for text, reply in ui.merge_replies(list(step.replies)):
        sent += len(assert_sendable(text))
        markup = ui.keyboard(reply, CHAT, KEY) if reply is not None else None
        for row in markup.to_dict()["inline_keyboard"] if markup is not None else []:
            for button in row:
                assert button["text"].strip()
                assert ui.telegram_length(button["text"]) <= ui.BUTTON_SHOWN
                assert 0 < len(button["callback_data"].encode()) <= ui.CALLBACK_LIMIT
    return sent


@pytest.fixture
def ctx(pack: Pack, cal: WorkdayCalendar) -> Context:
    return Context(pack=pack, calendar=cal, today=TODAY)


def _play(ctx: Context, said: list[str], step: Step) -> Step:
    for text in said:
        step = handle(step.state, Input.typed(text), ctx)
        assert_step_sendable(step)
    return step


def test_the_interview_with_the_longest_answers_sends_only_messages_telegram_takes(
    ctx: Context,
) -> None:
    step = begin(ctx)
    step = _play(ctx, [said for said, _ in LONGEST[:-1]], step)
    summary = [text for text, _ in ui.merge_replies(list(step.replies))][-1]
    assert "请核对" in summary and "（共50项）" in summary  # the domains, abbreviated
    assert 1 < len(assert_sendable(summary)) <= 3  # its long addresses: two messages or three
    asides = (
        ["/status"],
        ["/edit 域名", "删除其中几项", "完成"],
        ["/edit 安全保护技术措施", "保留"],
    )
    for aside in asides:  # a list's menu; its 50 items as buttons; kept as they were
        step = _play(ctx, aside, step)
    step = _play(ctx, ["确认提交"], step)
    assert any(isinstance(e, Submit) for e in step.effects)
    # A change: the 50 domains replaced by 50 others, told as what left and what joined.
    replace_all = ["/change", "/edit 域名", "替换", NEW_DOMAINS[0], *in_messages(NEW_DOMAINS[1:])]
    step = _play(ctx, [*replace_all, "完成", "确认", "更换域名"], step)
    confirmation = "\n".join(r.text for r in step.replies)
    assert "变更内容" in confirmation and "删除 " in confirmation and "新增 " in confirmation
    step = _play(ctx, ["1"], step)
    assert any(isinstance(e, Submit) and e.change is not None for e in step.effects)


def _certified(filing_state: FilingState) -> FilingState:
    steps = tuple(
        replace(s, status=FilingStatus.CERTIFIED, certified_on=dt.date(2026, 11, 26),
                psb_number="京公网安备11010502030143号")
        for s in filing_state.steps
    )  # fmt: skip
    return replace(filing_state, steps=steps)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_status_the_card_the_change_notice_and_the_reminders_fit(
    ctx: Context, lang: Lang
) -> None:
    answers = FilingAnswers.model_validate(longest_answers())
    filing = filing_from(answers, ctx, 1, 1)
    filing.id = 1
    for masked in (False, True):  # the applicant's status; a reviewer's card, edited in place
        lines = describe(filing, ctx, lang, masked=masked)
        assert_one_message("\n".join([*lines, "✔ 某某审核员：初审通过"]))
    # A change of every list and long text at once: the notice and the card, split if need be.
    new = longest_answers()
    new["website"].update(domains=NEW_DOMAINS, ips=["47.96.10.21"], domain_registrars=[])
    new["subject"]["address"] = new["website"]["server_address"] = "示例市示例区新址1号"
    changes = diff(longest_answers(), FilingAnswers.model_validate(new).model_dump(mode="json"))
    spec = spec_for(ctx)
    detail = t(*(("\n".join(change_lines(changes, spec, flatten(new), la))) for la in ("zh", "en")))
    card = t(
        *("\n".join(change_lines(changes, spec, flatten(new), la, private=True))
          for la in ("zh", "en"))
    )  # fmt: skip
    from models.filings import state_of

    decision = decide(
        _certified(state_of(filing)),
        ReportChange(actor=Actor(Role.APPLICANT, "1"), on=TODAY, reason="理" * 500,
                     detail=detail, card_detail=card),
        pack=ctx.pack, calendar=ctx.calendar,
        now=dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC), reviewers=True,
    )  # fmt: skip
    assert isinstance(decision, Decision)
    for notice in decision.notices:
        text = notice.text.get(lang)
        head, *rest = notice.text.get("zh").split("\n")  # a card, as bot.tg.filings draws it
        assert_sendable(text)
        assert_sendable(
            "\n".join([f"【{head}】", *rest, *describe(filing, ctx, "zh", masked=True)])
        )
    for kind in ("filing", "materials", "initial_review", "re_review", "change", "icon"):
        reminder = Reminder(kind, 1, TODAY, TODAY, "applicant", "day")
        bureau = t("示例市公安局网安支队" * 20, "Example PSB " * 20)
        text = reminder_text(
            reminder, ctx.pack, ctx.calendar, site=filing.site_name, bureau=bureau, today=TODAY
        )
        assert_sendable(text.get(lang))


def test_captions_fit_and_alerts_are_cut_to_200() -> None:
    from documents.captions import caption, reviewer_caption
    from rules.enums import DocumentKind

    texts = [caption(k, individual=i) for k in DocumentKind for i in (False, True)]
    texts += [reviewer_caption(k) for k in DocumentKind]
    assert all(ui.telegram_length(c.get(la)) <= ui.CAPTION_LIMIT
               for c in texts for la in ("zh", "en"))  # fmt: skip
    assert ui.telegram_length(ui.clip("𠮷" * 300, ui.ANSWER_LIMIT)) <= ui.ANSWER_LIMIT
    assert ui.clip("短", ui.ANSWER_LIMIT) == "短"


def test_a_long_line_is_cut_at_a_separator_and_astral_characters_count_twice() -> None:
    domains = "、".join(f"{'d' * 198}{i:02d}" for i in range(50))  # one line of 10,049
    parts = ui.split_text(domains)
    assert [ui.telegram_length(p) <= ui.TEXT_LIMIT for p in parts] == [True] * len(parts)
    assert all(p.endswith("、") for p in parts[:-1])  # no domain cut in two
    assert "".join(parts) == domains
    astral = ui.split_text("𠮷" * 3000)  # 3,000 characters, 6,000 code units
    assert [ui.telegram_length(p) for p in astral] == [4096, 1904]
    assert ui.split_text(" \n\n ") == []  # Telegram refuses a blank message
