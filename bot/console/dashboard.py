"""The dashboard: counts by status and bureau, what is due this week and overdue, and the days
from submission to each outcome as a server-drawn SVG chart (nothing loaded from elsewhere)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.console.texts import OUTCOME_LABELS
from models.tables import FilingOutcome
from models.tables import FilingQueue as Q
from rules.enums import FilingStatus
from rules.filing_life import STATUS_LABELS
from rules.text import Lang

MAX_DAYS = 30  # the chart's last bar holds this many days and more
_COLOURS = {
    "initial_review_passed": "#2b6cb0",
    "returned": "#c05621",
    "materials_received": "#6b46c1",
    "certified": "#2f855a",
}


@dataclass(frozen=True)
class Series:
    """One outcome's days from submission: counts per day (the last bar: MAX_DAYS and more)."""

    outcome: str
    label: str
    colour: str
    counts: tuple[int, ...]
    total: int
    median: int | None


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows."""

    by_status: list[tuple[str, str, int]]
    by_bureau: list[tuple[str, list[int]]]
    statuses: list[tuple[str, str]]
    due_this_week: int
    overdue: int
    series: list[Series]


def _median(counts: list[int], total: int) -> int | None:
    if not total:
        return None
    seen = 0
    for day, n in enumerate(counts):
        seen += n
        if seen * 2 >= total:
            return day
    return None


def build(session: Session, today: dt.date, lang: Lang) -> Dashboard:
    """Count what the dashboard shows, as of `today`."""
    pairs = session.execute(
        select(Q.bureau, Q.bureau_en, Q.status, func.count()).group_by(
            col(Q.bureau), col(Q.bureau_en), col(Q.status)
        )
    ).all()
    by_status: dict[str, int] = {}
    bureaus: dict[str, dict[str, int]] = {}
    for bureau, bureau_en, status, n in pairs:
        key = FilingStatus(status).value
        by_status[key] = by_status.get(key, 0) + int(n)
        name = (bureau_en if lang == "en" and bureau_en else bureau) or "—"
        of_bureau = bureaus.setdefault(name, {})
        of_bureau[key] = of_bureau.get(key, 0) + int(n)
    shown = [s for s in FilingStatus if s.value in by_status]
    week_end = today + dt.timedelta(days=6 - today.weekday())
    needs = col(Q.needs) == sa.true()
    due = col(Q.due_on)
    this_week = session.exec(
        select(func.count()).select_from(Q).where(needs, due >= today, due <= week_end)
    ).one()
    overdue = session.exec(select(func.count()).select_from(Q).where(needs, due < today)).one()
    rows = session.execute(
        select(FilingOutcome.outcome, FilingOutcome.days, func.count()).group_by(
            col(FilingOutcome.outcome), col(FilingOutcome.days)
        )
    ).all()
    counts: dict[str, list[int]] = {k: [0] * (MAX_DAYS + 1) for k in OUTCOME_LABELS}
    for outcome, days, n in rows:
        if outcome in counts:
            counts[outcome][max(0, min(MAX_DAYS, int(days)))] += int(n)
    series = [
        Series(k, OUTCOME_LABELS[k].get(lang), _COLOURS[k], tuple(c), sum(c), _median(c, sum(c)))
        for k, c in counts.items()
    ]
    return Dashboard(
        by_status=[(s.value, STATUS_LABELS[s].get(lang), by_status[s.value]) for s in shown],
        by_bureau=[(b, [v.get(s.value, 0) for s in shown]) for b, v in sorted(bureaus.items())],
        statuses=[(s.value, STATUS_LABELS[s].get(lang)) for s in shown],
        due_this_week=int(this_week),
        overdue=int(overdue),
        series=series,
    )


def bars(series: Series, width: int = 620, height: int = 120) -> list[dict[str, Any]]:
    """Return the bars of one series' histogram in SVG coordinates."""
    top = max(series.counts) or 1
    step = width / len(series.counts)
    return [
        {
            "x": round(i * step + 1, 1),
            "y": round(height - n / top * height, 1),
            "w": round(step - 2, 1),
            "h": round(n / top * height, 1),
            "day": i,
            "n": n,
        }
        for i, n in enumerate(series.counts)
    ]
