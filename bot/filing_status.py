"""A filing described for people: its site, its steps with their bureaus and statuses, the
clock running now — for the applicant (with what to do next) or for reviewers (personal
numbers masked). Split out of bot/filing_actions.py (issue 27), which still exports it."""

from __future__ import annotations

from dialogs.model import Context
from models.filings import state_of
from models.tables import Filing
from rules.enums import FilingStatus
from rules.filing_life import STATUS_LABELS, next_deadline
from rules.plan import by_day
from rules.standing import deadline_line, icon_line, next_step
from rules.text import Lang, listing, mask_number


def describe(
    filing: Filing,
    ctx: Context,
    lang: Lang,
    *,
    masked: bool,
    buttons: frozenset[str] = frozenset(),
) -> list[str]:
    """Describe a filing: its site, its steps with their bureaus and statuses, the clock
    running now. `masked`: the reviewers' view, with its operator, numbers masked; else the
    applicant's, with what to do next (naming only the `buttons` the message shows)."""
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
            lines.append(f"{due[0].get(lang)}: {by_day(due[1]).get(lang)}（{days}）")
    else:
        running = deadline_line(state, ctx.pack, ctx.calendar, ctx.today)
        if running is not None:
            lines.append(running.get(lang))
        individual = data.get("subject_type") == "individual"
        lines.append(next_step(state, lang, buttons=buttons, individual=individual))
        lines += [line for s in state.steps if (line := icon_line(s, lang, buttons))]
    if step.reasons and step.status is FilingStatus.RETURNED:
        lines.append(("退回原因：" if lang == "zh" else "Reasons: ") + "；".join(step.reasons))
    return lines
