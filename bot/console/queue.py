"""The queue: filings needing the bureau, sorted by the running deadline, filtered, searched,
paged, and exported as CSV — over the derived rows of `filing_queue` (`bot.console.derived`)."""

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

from bot.console.derived import PAIR, SEARCH_INDEX, search_index
from models.tables import FilingQueue
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
    bureau_en: str = ""


Q = FilingQueue
_COLUMNS: tuple[Any, ...] = (
    Q.filing_id,
    Q.site_name,
    Q.domains,
    Q.unit,
    Q.status,
    Q.subject_type,
    Q.step,
    Q.bureau,
    Q.local,
    Q.due_on,
    Q.due_kind,
    Q.psb_number,
    Q.bureau_en,
)


def _where(filters: Filters, today: dt.date, dialect: str = "") -> list[Any]:
    found: list[Any] = []
    if filters.status == NEEDS:
        found.append(col(Q.needs) == sa.true())  # "= true": PostgreSQL indexes no "IS TRUE"
    elif filters.status != ALL:
        found.append(col(Q.status) == filters.status)
    if filters.bureau:
        found.append(col(Q.local) == (sa.true() if filters.bureau == "local" else sa.false()))
    if filters.step is not None:
        found.append(col(Q.step) == filters.step)
    # On the sort key (the deadline, or 9999-12-31 when none runs): the indexes' own column.
    if filters.within is not None:
        found.append(col(Q.due_key) <= today + dt.timedelta(days=filters.within))
    if filters.overdue:
        found.append(col(Q.due_key) < today)
    if filters.subject:
        found.append(col(Q.subject_type) == filters.subject)
    for word in searched_words(filters.q):
        found.append(_holds(word, dialect))
    return found


def _holds(word: str, dialect: str) -> Any:
    """Return the condition "the search text holds `word`", answered by a trigram index
    where one can: SQLite's FTS5 table, PostgreSQL's pg_trgm index (migration 0013_console);
    a word of two characters through the marked pairs (`pairs_of`); a word of one character
    (or with % or _ in it on SQLite) by reading every row."""
    if len(word) == 2:
        column, wanted = "pairs", word + PAIR
    else:
        column, wanted = "search", word
    if dialect == "sqlite" and len(wanted) >= TRIGRAM and not _WILD.intersection(wanted):
        table = search_index()
        if column == "pairs":  # one trigram: FTS5 answers MATCH from its index alone (a
            # LIKE would read every candidate's text: 50 ms for 13,000 of 100,000); only
            # `pairs` holds the mark, so the whole row may be matched
            phrase = sa.literal_column(SEARCH_INDEX).op("MATCH")(f'"{wanted}"')
            return col(Q.filing_id).in_(sa.select(table.c.rowid).where(phrase))
        inside = sa.select(table.c.rowid).where(table.c[column].like(f"%{wanted}%"))
        return col(Q.filing_id).in_(inside)
    if dialect == "sqlite" or len(wanted) < TRIGRAM:
        return col(Q.search).contains(word, autoescape=True)
    return col(getattr(Q, column)).contains(wanted, autoescape=True)


TRIGRAM = 3  # a trigram index answers LIKE for words of at least 3 characters
_WILD = frozenset('%_\\"')  # LIKE's wildcards and escape, and FTS5's quote


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _ordered(statement: Any) -> Any:
    # The running deadline first (none: last, its key 9999-12-31), then the oldest filing.
    return statement.order_by(col(Q.due_key), col(Q.filing_id))


SEARCH_COUNTED = 1000  # a search counts its matches up to this many ("1000+" beyond)


def listing(session: Session, filters: Filters, today: dt.date) -> tuple[int, list[Row]]:
    """Return how many filings the filters find and the page asked for. A search counts its
    matches only up to SEARCH_COUNTED (+1 says "more"): counting all 13,000 filings a common
    2-character word matches cost PostgreSQL a recheck of each in the table (p95 296 ms); a
    clerk narrows such a search rather than pages through it. Words of one character are not
    searched (`searched_words`): no index holds them, and every row would be read."""
    start = (filters.page - 1) * PAGE_SIZE
    where = _where(filters, today, _dialect(session))
    if searched_words(filters.q):
        matches = sa.select(sa.literal(1)).select_from(Q).where(*where)
        capped = matches.limit(SEARCH_COUNTED + 1).subquery()
        total = int(session.execute(sa.select(func.count()).select_from(capped)).scalar_one())
        start = min(start, SEARCH_COUNTED)  # pages end where the count does
    else:
        total = int(session.exec(select(func.count()).select_from(Q).where(*where)).one())
    # The page's ids first, from the index alone; then their rows: skipping 50,000 rows of a
    # far page is then a walk along the index (PostgreSQL read each skipped row's columns).
    ids = _ordered(sa.select(col(Q.filing_id)).where(*where)).offset(start).limit(PAGE_SIZE)
    wanted = [int(i) for i in session.execute(ids).scalars()]
    statement = _ordered(sa.select(*_COLUMNS).where(col(Q.filing_id).in_(wanted)))
    rows = [Row(*r) for r in session.execute(statement)] if wanted else []
    return total, rows


def searched_words(q: str) -> list[str]:
    """Return the words of a search that are searched: two characters or more."""
    return [w for w in q.lower().split() if len(w) >= 2]


def short_words(q: str) -> list[str]:
    """Return the words of a search too short to search (one character: said on the page)."""
    return [w for w in q.split() if len(w) < 2]


def every(session: Session, filters: Filters, today: dt.date, chunk: int = 1000) -> Iterator[Row]:
    """Yield every row the filters find, in queue order (for the CSV)."""
    statement = _ordered(sa.select(*_COLUMNS).where(*_where(filters, today, _dialect(session))))
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
    if isinstance(value, int):  # a number is a number: -5 days left sorts as one
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_lines(
    rows: Iterator[Row], today: dt.date, status_label: Any, subject_label: Any = str
) -> Iterator[str]:
    """Yield the CSV, a UTF-8 BOM first (spreadsheets then read the Chinese right); statuses
    and subject types by their labels (the page's language)."""
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
                    subject_label(row.subject_type),
                    row.step,
                    row.bureau,
                    row.due_on,
                    left,
                    row.psb_number,
                )
            ]
        )
        yield buffer.getvalue()
