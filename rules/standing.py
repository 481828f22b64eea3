"""Where a filing stands, as its applicant reads it now: what happened, whose move it is, by
when, and which button records the next step. Pure: the day and the buttons are given.

A sentence names a button only when the message carries it (`buttons`: the labels shown), so
the terminal, which has none, is told what to do without a button that does not exist there.
"""

from __future__ import annotations

import datetime as dt

from rules.deadlines import Deadline, compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.filing_life import EVENT_LABELS, FilingState, StepState
from rules.lifecycle import FilingEvent
from rules.pack import Pack
from rules.plan import by_day, date_text
from rules.text import Lang, Text, button, t
from rules.workdays import WorkdayCalendar

S, E = FilingStatus, FilingEvent

# The applicant's own buttons beside the lifecycle's events (their labels, in one place).
ONLINE_LABEL = button("网站已开通", "The site is online")
AMEND_LABEL = button("修改信息", "Fix the details")
CHANGE_LABEL = button("信息变更", "Report a change")
ICON_LABEL = button("已放置图标", "Icon placed")
RESEND_LABEL = button("重新发送文件", "Send the documents again")
WORD_LABEL = button("Word版（可编辑）", "Word copies (editable)")  # the forms as .docx
CALENDAR_LABEL = button("期限日历（.ics）", "Deadlines calendar (.ics)")

# Whose clock runs in a status, and what it is for: the applicant's own, or the bureau's.
_CLOCKS: dict[FilingStatus, tuple[Text, PeriodKind, str]] = {
    S.SUBMITTED: (
        t("网安部门完成初审的期限", "the bureau's initial review is due"),
        PeriodKind.INITIAL_REVIEW,
        "submitted_on",
    ),
    S.RESUBMITTED: (
        t("网安部门完成初审的期限", "the bureau's initial review is due"),
        PeriodKind.INITIAL_REVIEW,
        "submitted_on",
    ),
    S.INITIAL_REVIEW_PASSED: (
        t("你送材料的期限", "your materials are due"),
        PeriodKind.MATERIALS,
        "initial_passed_on",
    ),
    S.MATERIALS_RECEIVED: (
        t("网安部门完成复审的期限", "the bureau's re-review is due"),
        PeriodKind.RE_REVIEW,
        "materials_received_on",
    ),
}


def _press(label: Text, buttons: frozenset[str], lang: Lang, zh: str, en: str) -> str:
    """Say to press `label` when the message shows it (`zh`/`en` frame it), else nothing."""
    shown = label.get(lang)
    if shown not in buttons:
        return ""
    return (zh if lang == "zh" else en).format(label=shown)


def _days_left(
    due: dt.date, today: dt.date, working: bool, cal: WorkdayCalendar | None = None
) -> Text:
    """Say the days left to `due` (working days where the period counts them), or how late."""
    if due < today:
        late = (today - due).days
        return t(f"已逾期{late}天", f"{late} days overdue")
    if due == today:
        return t("今天是最后一天", "today is the last day")
    if not working:
        left = (due - today).days
        return t(f"还剩{left}天", f"{left} days left")
    assert cal is not None, "working days are counted on a calendar"
    left = sum(
        1 for n in range(1, (due - today).days + 1) if cal.is_workday(today + dt.timedelta(n))
    )
    return t(f"还剩{left}个工作日", f"{left} working days left")


def deadline_line(
    state: FilingState, pack: Pack, cal: WorkdayCalendar, today: dt.date
) -> Text | None:
    """Say the clock running now, whose it is, its last day and the days left (None: none
    runs): this city's review clocks on its own step, or the 30 days to submit."""
    step = state.step
    clock = _CLOCKS.get(step.status) if step.local else None
    start = getattr(step, clock[2]) if clock is not None else None
    if clock is not None and start is not None:
        what, kind = clock[0], clock[1]
    elif step.status is S.PREPARED and state.connection_date is not None:
        what = t("提交备案申请的期限", "the application is due")
        kind, start = PeriodKind.FILING, state.connection_date
    else:
        return None
    deadline = compute_deadline(kind, start, pack, cal)
    due = deadline.due
    if kind is PeriodKind.FILING and step.order > 1 and due < today:
        return _after_the_first(state, step, due)
    working = pack.periods.of(kind).unit == "working"
    left = _days_left(due, today, working, cal)
    by = by_day(due)
    if deadline.estimate:  # a year whose holidays are not published: say so, as the plan does
        by = t(f"{by.zh}（估算）", f"{by.en} (estimate)")
    return t(f"{what.zh}：{by.zh}，{left.zh}", f"{what.en[:1].upper()}{what.en[1:]} {by.en}: "
             f"{left.en}")  # fmt: skip


def _after_the_first(state: FilingState, step: StepState, due: dt.date) -> Text:
    """A later step's application once the 30 days from going online are over: the route's
    order made it wait for the step before (its certificate), so the days are not counted as
    the applicant's delay; the facts are said, and what to do now."""
    before = next((s for s in state.steps if s.order == step.order - 1), None)
    last = date_text(due)
    if before is not None and before.certified_on is not None:
        cert = date_text(before.certified_on)
        return t(
            f"提交备案申请：第{before.order}步已于{cert.zh}发证，请尽快向{step.bureau.zh}提交"
            f"（开通之日起30日为{last.zh}，已过）",
            f"The application: step {before.order} was certified on {cert.en}; submit to "
            f"{step.bureau.en} as soon as you can (the 30 days from going online ended on "
            f"{last.en})",
        )
    return t(
        f"提交备案申请：请尽快向{step.bureau.zh}提交（开通之日起30日为{last.zh}，已过）",
        f"The application: submit to {step.bureau.en} as soon as you can (the 30 days from "
        f"going online ended on {last.en})",
    )


def next_step(
    state: FilingState,
    lang: Lang,
    *,
    buttons: frozenset[str] = frozenset(),
    individual: bool = False,
) -> str:
    """Say what happened on the step in progress and what the applicant does next, naming a
    button only when the message shows it."""
    step = state.step
    bureau = step.bureau.get(lang)
    status = step.status
    if status is S.PREPARED:
        return _prepared(state, step, lang, buttons)
    if status in (S.SUBMITTED, S.RESUBMITTED):
        day = date_text(step.submitted_on).get(lang) if step.submitted_on else ""
        if lang == "zh":
            return f"已于{day}在备案系统提交，等待{bureau}初审；请登录备案系统查看初审结果。"
        return (
            f"Submitted in the filing system on {day}; awaiting initial review by {bureau}. "
            "Check the result in the filing system."
        )
    if status is S.RETURNED:
        fix = _press(AMEND_LABEL, buttons, lang, "（点“{label}”可改好后生成新的预填稿）",
                     " (“{label}” makes new drafts with your fixes)")  # fmt: skip
        again = _press(EVENT_LABELS[E.RESUBMIT], buttons, lang, "，然后点“{label}”",
                       ", then press “{label}”")  # fmt: skip
        if lang == "zh":
            return f"{bureau}退回整改。请按退回原因修改{fix}，在备案系统中重新提交{again}。"
        return f"{bureau} returned it. Fix what the reasons name{fix}, resubmit in the filing " \
            f"system{again}."  # fmt: skip
    if status is S.INITIAL_REVIEW_PASSED:
        day = date_text(step.initial_passed_on).get(lang) if step.initial_passed_on else ""
        seal = ("签字" if individual else "盖章") if lang == "zh" else (
            "sign" if individual else "stamp")  # fmt: skip
        if lang == "zh":
            return (
                f"初审已于{day}通过。请从备案系统下载生成《备案表》（一式两份）和《安全责任告知书》，"
                f"{seal}后连同《复审材料清单》上的其他材料送到{bureau}复审。"
            )
        return (
            f"Initial review passed on {day}. Download the filing form (two copies) and the "
            f"responsibility notice the filing system generates, {seal} them, and bring them "
            f"with the rest of the checklist to {bureau} for re-review."
        )
    if status is S.MATERIALS_RECEIVED:
        day = date_text(step.materials_received_on).get(lang) if step.materials_received_on else ""
        if lang == "zh":
            return f"{bureau}已于{day}收到材料，等待复审。"
        return f"{bureau} received the materials on {day}; awaiting re-review."
    if status is S.CHANGE_REPORTED:
        if lang == "zh":
            return f"已报告变更，等待{bureau}审核变更。"
        return f"Change reported; awaiting {bureau}'s review of it."
    if status is S.CANCELLED:
        return "已注销，只保留记录。" if lang == "zh" else "Cancelled: kept for the record."
    return _certified(step, lang)


def _prepared(state: FilingState, step: StepState, lang: Lang, buttons: frozenset[str]) -> str:
    bureau = step.bureau.get(lang)
    lines = []
    if state.connection_date is None and state.current == 1:
        online = _press(ONLINE_LABEL, buttons, lang, "开通后请点“{label}”并回复日期；",
                        "Once it is, press “{label}” and give the day; ")  # fmt: skip
        lines.append(
            f"网站还没有开通：{online}30日的期限从开通之日起算。"
            if lang == "zh"
            else f"The site is not online yet. {online}the 30 days count from that day."
        )
    submitted = _press(EVENT_LABELS[E.SUBMIT], buttons, lang, "，提交后点“{label}”",
                       ", then press “{label}”")  # fmt: skip
    lines.append(
        f"还没有向{bureau}提交。请登录备案系统提交备案申请{submitted}。"
        if lang == "zh"
        else f"Not submitted to {bureau} yet. Submit the application in the filing system"
        f"{submitted}."
    )
    if all(s.status is S.PREPARED for s in state.steps):  # nothing filed: a typo is fixed here
        fix = _press(AMEND_LABEL, buttons, lang, "信息有误的，点“{label}”改好后重新生成文件。",
                     "Something wrong? “{label}” fixes it and makes new documents.")  # fmt: skip
        typed = t("信息有误的，发送 /amend 改好后重新生成文件。",
                  "Something wrong? Send /amend to fix it and make new documents.")  # fmt: skip
        lines.append(fix or typed.get(lang))
    return "\n".join(lines)


def _certified(step: StepState, lang: Lang) -> str:
    day = date_text(step.certified_on).get(lang) if step.certified_on else ""
    if lang == "zh":
        return f"已于{day}在{step.bureau.zh}备案完成。"
    return f"Certified by {step.bureau.en} on {day}."


def icon_due(state: FilingState) -> bool:
    """Say whether a certified step still waits for its filing icon on the site."""
    return any(
        s.status in (S.CERTIFIED, S.CHANGE_REPORTED) and s.icon_placed_on is None
        for s in state.steps
    )


def icon_line(
    step: StepState, lang: Lang, buttons: frozenset[str], *, named: bool = False
) -> str | None:
    """Say where a certified step's filing icon stands (None: not certified); `named`: with
    its bureau (more than one step is certified: each issued its own)."""
    if step.status not in (S.CERTIFIED, S.CHANGE_REPORTED):
        return None
    head = t(
        f"备案图标（{step.bureau.zh}）：" if named else "备案图标：",
        f"Filing icon ({step.bureau.en}): " if named else "Filing icon: ",
    ).get(lang)
    if step.icon_placed_on is not None:
        day = date_text(step.icon_placed_on).get(lang)
        return f"{head}已于{day}放置。" if lang == "zh" else f"{head}placed on {day}."
    placed = _press(ICON_LABEL, buttons, lang, "放好后点“{label}”。", " Then press “{label}”.")
    if lang == "zh":
        return (
            f"{head}还没有放置。请登录备案系统下载备案图标和查询链接，"
            f"将图标加上链接放在网站首页底部。{placed}"
        )
    return (
        f"{head}not placed yet. Download the icon and query link from the filing system "
        f"and place the linked icon at the bottom of the home page.{placed}"
    )


def online_recorded(on: dt.date, due: Deadline, today: dt.date, reminded: bool) -> Text:
    """What the applicant is told when a site's online date is recorded late (`beian filings
    record ID online`, the chat's button): its 30 days to file, the days left or how late it
    is, and reminders only when some are planned (a terminal applicant has none, and none is
    planned for a day gone by)."""
    day, last = date_text(on), date_text(due.due)
    if due.estimate:
        last = t(f"{last.zh}（估算）", f"{last.en} (estimate)")
    if due.due < today:
        late = (today - due.due).days
        return t(
            f"已记录：网站于{day.zh}开通。开通之日起30日内应提交备案，期限是{last.zh}（含当日），"
            f"已逾期{late}天：请尽快在备案系统提交备案。",
            f"Recorded: the site went online on {day.en}. The 30 days to file ended on "
            f"{last.en}, {late} days ago: file in the filing system as soon as you can.",
        )
    left = _days_left(due.due, today, working=False)  # calendar days, not late here
    after = t("期间会按时提醒你。", " You will be reminded.") if reminded else t("", "")
    return t(
        f"已记录：网站于{day.zh}开通。请最迟于{last.zh}（含当日）在备案系统提交备案"
        f"（开通之日起30日内，{left.zh}）。{after.zh}",
        f"Recorded: the site went online on {day.en}. File in the filing system on or before "
        f"{last.en} ({left.en}).{after.en}",
    )
