"""What the interview tells besides its questions: where to file, by when, what comes next.

Pure functions of the answers and the context, each returning the text in one language; the
engine decides when to say them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialogs import texts
from dialogs import texts_reopened as reopened
from dialogs.model import Context
from rules.answers import FilingAnswers
from rules.deadlines import filing_deadline
from rules.enums import Location
from rules.plan import FilingDates, date_text, estimate_notes, procedure_plan, weekday_text
from rules.routing import Route, route_filing
from rules.text import Lang


def route_of(answers: dict[str, Any], ctx: Context) -> Route | None:
    """Return the routing verdict once both locations (and their cities) are answered."""
    try:
        maintenance = Location(answers["maintenance"])
        server = Location(answers["server"])
    except (KeyError, ValueError):
        return None
    if maintenance is Location.ELSEWHERE and "maintenance_city" not in answers:
        return None
    if server is Location.ELSEWHERE and "server_city" not in answers:
        return None
    key = (
        "route",
        maintenance,
        server,
        answers.get("maintenance_city") if maintenance is Location.ELSEWHERE else None,
        answers.get("server_city") if server is Location.ELSEWHERE else None,
    )
    if key not in ctx.memo:
        ctx.memo[key] = route_filing(maintenance, server, ctx.pack, key[3], key[4])
    found: Route = ctx.memo[key]
    return found


def day(d: dt.date, lang: Lang) -> str:
    """Write a date the way the interview does (2026年11月28日 / 2026-11-28)."""
    return date_text(d).get(lang)


def verdict(route: Route, lang: Lang) -> str:
    """Say which bureau(s) to file with, in order (or where to go instead)."""
    head = texts.ROUTE_HEAD if route.in_scope else texts.ROUTE_OUT
    lines = [head.get(lang)]
    lines += [f"{s.order}. {s.bureau.get(lang)}" for s in route.steps]
    lines.append(route.advice.get(lang))
    return "\n".join(lines)


def change_verdict(route: Route, lang: Lang) -> str:
    """During a change of a filed site: the bureaus of the new route, without the order a
    new site files in (a step may be certified already); what each is to be told follows
    once the change is confirmed (`rules.changes.route_advice`)."""
    bureaus = "\n".join(f"• {s.bureau.get(lang)}" for s in route.steps)  # no order: /status
    return reopened.ROUTE_AFTER_CHANGE.get(lang).format(bureaus=bureaus)


def deadline_notice(answers: dict[str, Any], ctx: Context, lang: Lang) -> str:
    """Say by when to file: days left, today, overdue (with the law), or once online."""
    pack = ctx.pack
    lines = [texts.DEADLINE_HEAD.get(lang)]
    raw = answers.get("connection_date")
    if raw is None:
        planned = answers.get("planned_online_date")
        if planned:
            planned_due = filing_deadline(dt.date.fromisoformat(planned), pack, ctx.calendar)
            lines.append(
                texts.PLANNED_DEADLINE.fill(
                    lang,
                    planned=day(planned_due.start, lang),
                    due=day(planned_due.due, lang),
                    days=pack.periods.filing.days,
                )
            )
            if planned_due.estimate_note is not None:
                lines.append("⚠️ " + planned_due.estimate_note.get(lang))
        else:
            lines.append(texts.NOT_ONLINE_YET.fill(lang, days=pack.periods.filing.days))
        return "\n".join(lines)
    deadline = filing_deadline(dt.date.fromisoformat(raw), pack, ctx.calendar)
    left = deadline.days_left(ctx.today)
    due = day(deadline.due, lang)
    if left > 0:
        lines.append(
            texts.DEADLINE_LEFT.fill(
                lang,
                start=day(deadline.start, lang),
                due=due,
                weekday=weekday_text(deadline.due).get(lang),
                days=left,
            )
        )
    elif left == 0:
        lines.append(texts.DEADLINE_TODAY.fill(lang, start=day(deadline.start, lang), due=due))
    else:
        penalty = pack.penalty("not_filing")
        lines.append(
            texts.OVERDUE.fill(
                lang,
                days=-left,
                due=due,
                basis=penalty.basis.get(lang),
                penalty=penalty.text.get(lang),
            )
        )
    lines.append(deadline.rule.get(lang))
    note = deadline.estimate_note
    if note is not None:
        lines.append("⚠️ " + note.get(lang))
    return "\n".join(lines)


def status_deadline(answers: dict[str, Any], ctx: Context, lang: Lang) -> str | None:
    """Say the filing deadline in one line for /status (None before it is known)."""
    raw = answers.get("connection_date")
    if not raw:
        return None
    deadline = filing_deadline(dt.date.fromisoformat(raw), ctx.pack, ctx.calendar)
    left = deadline.days_left(ctx.today)
    template = texts.STATUS_DEADLINE if left >= 0 else texts.STATUS_OVERDUE
    due = day(deadline.due, lang)
    if deadline.estimate:  # a year whose holidays are not published: as the plan says
        due += "（估算）" if lang == "zh" else " (estimate)"
    return template.fill(lang, due=due, days=abs(left))


def plan_text(answers: FilingAnswers, ctx: Context, lang: Lang) -> str:
    """Say the next steps, bureau by bureau in route order, dated where their start is known
    (nothing is submitted yet: the review steps state their rule)."""
    route = route_filing(
        answers.maintenance, answers.server, ctx.pack, answers.maintenance_city, answers.server_city
    )
    steps = procedure_plan(
        ctx.pack,
        ctx.calendar,
        today=ctx.today,
        route=route,
        dates=FilingDates(connection_date=answers.connection_date),
    )
    lines = [texts.NEXT_STEPS.get(lang)]
    sep = "：" if lang == "zh" else ": "
    for i, step in enumerate(steps, 1):
        flag = ("（估算）" if lang == "zh" else " (estimate)") if step.estimate else ""
        lines.append(f"{i}. {step.what.get(lang)}{sep}{step.when.get(lang)}{flag}")
        if step.consequence is not None:
            lines.append("   ⚠️ " + step.consequence.get(lang))
    lines += [note.get(lang) for note in estimate_notes(steps)]
    lines.append(texts.REMEMBER.get(lang))
    return "\n".join(lines)
