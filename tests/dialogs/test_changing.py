"""Changing, alone on a bare core: /change reopens a confirmed filing's answers, shows what
changed (old → new), reads the reason and its date, and records it or gives it up."""

from __future__ import annotations

import datetime as dt

from dialogs import texts
from dialogs.changing import (
    CANCELLATION_KEPT,
    CHANGE_DROP,
    CHANGE_OK,
    REASON_PREFIX,
    Changing,
    dated_reason,
    read_cancellation,
)
from dialogs.model import Context, Finished, Input, Mode, Stage, Submit
from dialogs.turn import Core
from tests.dialogs.conftest import TODAY
from tests.dialogs.parts import done, said


def _changing(context: Context, since: dt.date | None = None) -> tuple[Core, Changing]:
    core = Core(done(context), context)
    changing = Changing(core)
    changing.begin_change(since)
    return core, changing


def test_change_reopens_the_confirmed_answers_at_the_summary(context: Context) -> None:
    core, changing = _changing(context)
    assert core.s.state is Stage.SUMMARY and changing.changing
    assert core.s.changing_from == core.s.answers
    assert texts.CHANGING.zh in said(core)


def test_confirming_with_nothing_changed_says_so(context: Context) -> None:
    core, changing = _changing(context)
    changing.confirm_change_edits()
    assert texts.NOTHING_CHANGED.zh in said(core) and core.s.mode is Mode.ANSWERING


def test_a_change_is_shown_old_to_new_dated_and_recorded(context: Context) -> None:
    core, changing = _changing(context)
    core.s.answers["website.ips"] = ["47.96.12.35"]
    changing.confirm_change_edits()
    assert core.s.mode is Mode.CHANGE_REASON
    reply = core.replies[-1]
    assert texts.CHANGE_DIFF.zh in reply.text
    assert "47.96.12.34" in reply.text and "47.96.12.35" in reply.text
    assert reply.choices[0].id == f"{REASON_PREFIX}0"
    core.resolve(Input.typed("11月20日 更换服务器"))
    assert core.s.mode is Mode.CONFIRMING_CHANGE
    assert core.s.change_on == "2026-11-20" and core.s.change_reason == "更换服务器"
    assert "2026年11月20日" in core.replies[-1].text
    # no promise that reviewers are told: a bureau may have none registered
    assert "审核人员" not in core.replies[-1].text and "记录这次变更" in core.replies[-1].text
    core.resolve(Input(choice=CHANGE_OK))
    (effect,) = core.effects
    assert isinstance(effect, Submit) and effect.change is not None
    assert effect.change.on == dt.date(2026, 11, 20) and effect.change.reason == "更换服务器"
    assert effect.answers.website.ips == ["47.96.12.35"]
    assert effect.change.interview_before is not None
    assert effect.change.interview_before["website.ips"] == ["47.96.12.34"]
    assert core.s.state is Stage.DONE and core.s.changing_from is None
    assert texts.CHANGE_RECORDED.zh in said(core)


def test_a_reason_dated_before_the_certification_is_asked_again(context: Context) -> None:
    core, changing = _changing(context, since=dt.date(2026, 11, 25))
    core.s.answers["website.name"] = "云帆官网"
    changing.confirm_change_edits()
    core.resolve(Input.typed("2026-11-20 网站改名"))
    assert core.s.mode is Mode.CHANGE_REASON and core.s.change_reason is None
    assert "变更日期不能早于备案完成的日期" in said(core)
    assert core.s.answers["website.name"] == "云帆官网"  # the edits stay


def test_giving_up_puts_the_confirmed_answers_back(context: Context) -> None:
    core, changing = _changing(context)
    core.s.answers["website.name"] = "云帆官网"
    changing.confirm_change_edits()
    core.resolve(Input(choice=f"{REASON_PREFIX}3"))
    core.resolve(Input(choice=CHANGE_DROP))
    assert core.s.answers["website.name"] == "云帆科技官网"
    assert core.s.state is Stage.DONE and core.s.mode is Mode.ANSWERING
    assert core.effects == [Finished()]
    assert texts.CHANGE_DROPPED.zh in said(core)


def test_a_subject_type_cannot_be_changed(context: Context) -> None:
    core, changing = _changing(context)
    core.s.answers["subject_type"] = "individual"
    changing.confirm_change_edits()
    assert texts.CHANGE_SUBJECT_TYPE.fill("zh", close="/close_site") in said(core)
    assert core.s.mode is Mode.ANSWERING


def test_a_dated_reason_is_read_with_today_by_default() -> None:
    assert dated_reason("更换服务器", TODAY) == (TODAY, "更换服务器")
    assert dated_reason("昨天 更换服务器", TODAY) == (dt.date(2026, 11, 27), "更换服务器")
    assert dated_reason("2026-11-20", TODAY) == texts.CHANGE_DATE_ONLY
    assert dated_reason("明天 更换服务器", TODAY) == texts.CHANGE_IN_FUTURE


def test_a_cancellation_reply_that_says_no_cancels_nothing() -> None:
    assert read_cancellation("不注销了", TODAY) == CANCELLATION_KEPT
    assert read_cancellation("/status", TODAY) == CANCELLATION_KEPT
    assert read_cancellation("网站已关闭", TODAY) == (TODAY, "网站已关闭")


def test_a_closing_date_is_refused_in_a_closure_s_words_and_its_example_is_a_past_day() -> None:
    """「2026-12-01 site closed」 (the prompt's own example form, a day to come) was refused
    as 「The change date cannot be in the future: report a change…」."""
    from rules.events import EVENT_TYPES
    from rules.lifecycle import FilingEvent
    from rules.text import Text

    future = read_cancellation("2026-12-01 site closed", TODAY)
    assert isinstance(future, Text) and "closing date" in future.en and "注销日期" in future.zh
    assert "change" not in future.en and "变更" not in future.zh
    only = read_cancellation("昨天", TODAY)
    assert isinstance(only, Text) and "注销原因" in only.zh
    prompt = EVENT_TYPES[FilingEvent.CANCEL].prompt
    assert prompt is not None and "昨天 网站已关闭" in prompt.zh
    assert read_cancellation("昨天 网站已关闭", TODAY) == (dt.date(2026, 11, 27), "网站已关闭")
