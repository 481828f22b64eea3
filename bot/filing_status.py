"""A filing described for people: its site, its steps with their bureaus and statuses, the
clock running now — for the applicant (with what to do next) or for reviewers (personal
numbers masked). Split out of bot/filing_actions.py (issue 27), which still exports it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs.model import Context
from models.filings import state_of
from models.tables import Filing
from rules.enums import FilingStatus
from rules.filing_life import STATUS_LABELS, next_deadline
from rules.filing_state import CHANGEABLE, FilingState, awaits_online
from rules.plan import by_day, date_text
from rules.standing import deadline_line, icon_line, next_step
from rules.text import Lang, listing, mask_number


def describe(
    filing: Filing,
    ctx: Context,
    lang: Lang,
    *,
    masked: bool,
    buttons: frozenset[str] = frozenset(),
    terminal: bool = False,
) -> list[str]:
    """Describe a filing: its site, its steps with their bureaus and statuses, the clock
    running now. `masked`: the reviewers' view, with its operator, numbers masked; else the
    applicant's, with what to do next (naming only the `buttons` the message shows; in the
    `terminal`, which has none, the commands that record what a button would)."""
    state = state_of(filing)
    data = filing.data or {}
    site = data.get("website", {})
    domains = listing(site.get("domains", []), lang)  # 50 long domains: the first, the count
    lines = [
        f"#{filing.id} {filing.site_name}（{domains}）"
        if lang == "zh"
        else f"#{filing.id} {filing.site_name} ({domains})"
    ]
    if masked:
        subject = data.get("subject", {})
        person = subject.get("responsible", {})
        lines.append(
            f"{'开办者' if lang == 'zh' else 'Operator'}: {subject.get('name', '')}; "
            f"{person.get('name', '')} {mask_number(str(person.get('id_number', '')))} "
            f"{mask_number(str(person.get('mobile', '')))}"
        )
    total = len(state.steps)
    for step in state.steps:
        mark = "▶ " if step.order == state.current else "  "
        head = (
            f"第{step.order}/{total}步 {step.bureau.zh}"
            if lang == "zh"
            else f"Step {step.order}/{total} {step.bureau.en}"
        )
        lines.append(f"{mark}{head}: {STATUS_LABELS[step.status].get(lang)}")
        if step.psb_number:
            lines.append(f"   {step.psb_number}")
    step = state.step
    if masked:
        due = next_deadline(state, ctx.pack, ctx.calendar)
        if due is not None:
            left = (due[1] - ctx.today).days
            days = (
                (f"还剩{left}天" if left >= 0 else f"已逾期{-left}天")
                if lang == "zh"
                else (f"{left} days left" if left >= 0 else f"{-left} days overdue")
            )
            if ctx.calendar.day(due[1]).estimate:  # holidays not published: as /status says
                days = f"估算，{days}" if lang == "zh" else f"estimate, {days}"
            days = f"（{days}）" if lang == "zh" else f" ({days})"
            lines.append(f"{due[0].get(lang)}: {by_day(due[1]).get(lang)}{days}")
    else:
        lines += _next(filing.id or 0, state, data, ctx, lang, buttons, terminal)
    if step.reasons and step.status is FilingStatus.RETURNED:
        lines.append(("退回原因：" if lang == "zh" else "Reasons: ") + "；".join(step.reasons))
    return lines


def _next(
    filing_id: int,
    state: FilingState,
    data: dict[str, Any],
    ctx: Context,
    lang: Lang,
    buttons: frozenset[str],
    terminal: bool,
) -> list[str]:
    """The applicant's view: the clock running now, what to do next, the icon."""
    lines = []
    running = deadline_line(state, ctx.pack, ctx.calendar, ctx.today)
    if running is not None:
        lines.append(running.get(lang))
    individual = data.get("subject_type") == "individual"
    lines.append(next_step(state, lang, buttons=buttons, individual=individual))
    hint = _online_hint(filing_id, state, data, lang, terminal, ctx.today)
    if hint is not None:
        lines.append(hint)
    named = sum(s.status in CHANGEABLE for s in state.steps) > 1
    icons = [icon_line(s, lang, buttons, named=named) for s in state.steps]
    return lines + [line for line in icons if line]


def _online_hint(
    filing_id: int,
    state: FilingState,
    data: dict[str, Any],
    lang: Lang,
    terminal: bool,
    today: dt.date,
) -> str | None:
    """For a site filed before it went online: that its planned day has passed (its 30 days
    may be running), and in the terminal, which has no button for it, the command that
    records the day."""
    if not awaits_online(state):
        return None
    lines = []
    planned = data.get("planned_online_date")
    if isinstance(planned, str) and dt.date.fromisoformat(planned) < today:
        day = date_text(dt.date.fromisoformat(planned)).get(lang)
        lines.append(
            f"计划开通日期（{day}）已过：网站已开通的，请登记开通日期，30日的期限从那天算起。"
            if lang == "zh"
            else f"The planned day ({day}) has passed: if the site is online, record the day it "
            "went online; its 30 days count from then."
        )
    if terminal:
        lines.append(
            f"登记开通日期：beian filings record {filing_id} online --on 开通日期（YYYY-MM-DD）"
            if lang == "zh"
            else f"To record it: beian filings record {filing_id} online --on YYYY-MM-DD"
        )
    return "\n".join(lines) or None
