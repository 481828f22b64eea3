"""The queue: filings needing the bureau, sorted by the running deadline, filtered, searched,
paged, and exported as CSV — over the derived `queue_*` columns (`bot.console.derived`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models.tables import Filing
from rules.enums import FilingStatus, SubjectType

PAGE_SIZE = 50
NEEDS = "needs"  # the default view: what the bureau has to act on
ALL = "all"
_BUREAUS = ("local", "outside")


@dataclass(frozen=True)
class Filters:
    """What the clerk asked of the queue (from the page's query string)."""

    status: str = NEEDS
    bureau: str = ""  # "", "local", "outside"
    step: int | None = None
    within: int | None = None  # due within N days
    overdue: bool = False
    subject: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def read(cls, query: Mapping[str, str]) -> Filters:
        """Read the filters from a query string, ignoring what is not one of them."""
        status = query.get("status", NEEDS)
        if status not in (NEEDS, ALL, *(s.value for s in FilingStatus)):
            status = NEEDS
        subject = query.get("subject", "")
        return cls(
            status=status,
            bureau=query.get("bureau", "") if query.get("bureau") in _BUREAUS else "",
            step=_number(query.get("step"), 1, 9),
            within=_number(query.get("within"), 0, 3650),
            overdue=query.get("overdue") in ("1", "on", "true"),
            subject=subject if subject in {s.value for s in SubjectType} else "",
            q=" ".join(query.get("q", "").split())[:100],
            page=_number(query.get("page"), 1, 100_000) or 1,
        )

    def query(self, **changes: Any) -> str:
        """Return the query string of these filters (with `changes`), defaults left out."""
        shown = replace(self, **changes)
        pairs = {
            "status": shown.status if shown.status != NEEDS else None,
            "bureau": shown.bureau or None,
            "step": shown.step,
            "within": shown.within,
            "overdue": "1" if shown.overdue else None,
            "subject": shown.subject or None,
            "q": shown.q or None,
            "page": shown.page if shown.page > 1 else None,
        }
        return urlencode({k: v for k, v in pairs.items() if v is not None})


def _number(raw: str | None, low: int, high: int) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    return max(low, min(high, int(raw.strip())))


@dataclass(frozen=True)
class Row:
    """One line of the queue."""

    id: int
    site_name: str
    domains: str
    unit: str
    status: FilingStatus
    subject_type: SubjectType
    step: int
    bureau: str
    local: bool
    due_on: dt.date | None
    due_kind: str | None
    psb_number: str | None


_COLUMNS: tuple[Any, ...] = (
    Filing.id,
    Filing.site_name,
    Filing.queue_domains,
    Filing.queue_unit,
    Filing.status,
    Filing.subject_type,
    Filing.current_step,
    Filing.queue_bureau,
    Filing.queue_local,
    Filing.queue_due_on,
    Filing.queue_due_kind,
    Filing.psb_number,
)


def _where(filters: Filters, today: dt.date) -> list[Any]:
    found: list[Any] = []
    if filters.status == NEEDS:
        found.append(col(Filing.queue_needs).is_(True))
    elif filters.status != ALL:
        found.append(col(Filing.status) == filters.status)
    if filters.bureau:
        found.append(col(Filing.queue_local).is_(filters.bureau == "local"))
    if filters.step is not None:
        found.append(col(Filing.current_step) == filters.step)
    if filters.within is not None:
        found.append(col(Filing.queue_due_on) <= today + dt.timedelta(days=filters.within))
    if filters.overdue:
        found.append(col(Filing.queue_due_on) < today)
    if filters.subject:
        found.append(col(Filing.subject_type) == filters.subject)
    for word in filters.q.lower().split():
        found.append(col(Filing.queue_search).contains(word, autoescape=True))
    return found


def _ordered(statement: Any) -> Any:
    # The running deadline first (none: last), then the oldest filing.
    return statement.order_by(
        col(Filing.queue_due_on).is_(None), col(Filing.queue_due_on), col(Filing.id)
    )


def count(session: Session, filters: Filters, today: dt.date) -> int:
    """Return how many filings the filters find."""
    found = session.exec(select(func.count()).select_from(Filing).where(*_where(filters, today)))
    return int(found.one())


def page(session: Session, filters: Filters, today: dt.date) -> list[Row]:
    """Return one page of the filtered queue."""
    statement = _ordered(sa.select(*_COLUMNS).where(*_where(filters, today)))
    statement = statement.offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return [Row(*r) for r in session.execute(statement)]


def every(session: Session, filters: Filters, today: dt.date, chunk: int = 1000) -> Iterator[Row]:
    """Yield every row the filters find, in queue order (for the CSV)."""
    statement = _ordered(sa.select(*_COLUMNS).where(*_where(filters, today)))
    result = session.execute(statement.execution_options(yield_per=chunk))
    for r in result:
        yield Row(*r)


CSV_HEAD = ("编号 ID", "网站名称 Site", "域名 Domains", "开办单位 Unit", "状态 Status",
            "主体类型 Subject", "步骤 Step", "网安部门 Bureau", "期限 Due", "剩余天数 Days left",
            "公安备案号 PSB number")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """Return a CSV cell a spreadsheet shows as text: an applicant's site name starting with
    = + - @ would otherwise run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_lines(rows: Iterator[Row], today: dt.date, status_label: Any) -> Iterator[str]:
    """Yield the CSV, a UTF-8 BOM first (spreadsheets then read the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEAD)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        left = (row.due_on - today).days if row.due_on else None
        writer.writerow(
            [
                cell(v)
                for v in (
                    row.id,
                    row.site_name,
                    row.domains,
                    row.unit,
                    status_label(row.status),
                    row.subject_type.value,
                    row.step,
                    row.bureau,
                    row.due_on,
                    left,
                    row.psb_number,
                )
            ]
        )
        yield buffer.getvalue()


def statement_for_bench(filters: Filters, today: dt.date) -> sa.Select[Any]:
    """Return the page query (the benchmark explains it)."""
    statement: sa.Select[Any] = _ordered(sa.select(*_COLUMNS).where(*_where(filters, today)))
    return statement.limit(PAGE_SIZE)
