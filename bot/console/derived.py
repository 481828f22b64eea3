"""The queue's rows, derived from each filing and kept up to date lazily.

A filing's running deadline, bureau, unit, domains and search text live in a narrow row of
`filing_queue`, so that the queue sorts, filters, pages and searches 100,000 filings without
reading their answers. They are derived here, not by every writer: a filing whose `version`
moved past its `queue_version` (any change through the ORM moves it) is found through a
partial index and derived again before the desk reads. Marking it derived keeps `version` (a
Core statement, not the ORM), so it never makes an action's optimistic lock fail, and it
holds only while the version is the one read (else it is derived again next time). The
outcomes of the dashboard's chart (`filing_outcome`) are derived with it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.db import session_scope
from models.filings import state_of
from models.tables import Filing, FilingOutcome, FilingQueue, LifecycleEvent
from rules.enums import FilingStatus
from rules.filing_life import (
    FilingState,
    Role,
    StepState,
    audit_step,
    next_actions,
    next_deadline,
)
from rules.pack import Pack
from rules.text import Text
from rules.workdays import WorkdayCalendar

_SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 500
SEARCH_INDEX = "filing_search"  # SQLite: an FTS5 trigram table of each queue row's search text
LAST = dt.date(9999, 12, 31)  # the sort key of a filing with no running deadline


PAIR = "\x1f"  # marks a pair of characters in `pairs` (never in checked text)


def pairs_of(text: str) -> str:
    """Return each pair of adjacent characters of `text` once, marked: "云帆科" → "云帆␟ 帆科␟"."""
    found = dict.fromkeys(a + b for a, b in itertools.pairwise(text) if " " not in a + b)
    return " ".join(pair + PAIR for pair in found)[:8000]


def search_index() -> sa.TableClause:
    """Return SQLite's FTS5 trigram table of the queue's search texts (rowid: the filing)."""
    return sa.table(SEARCH_INDEX, sa.column("rowid"), sa.column("search"), sa.column("pairs"))


S = FilingStatus
# The bureau's outcomes the chart counts days to (a change's review is not a submission's).
OUTCOMES = tuple(s.value for s in (S.INITIAL_REVIEW_PASSED, S.RETURNED, S.MATERIALS_RECEIVED,
                                   S.CERTIFIED))  # fmt: skip
_SUBMISSIONS = (S.SUBMITTED.value, S.RESUBMITTED.value)
# Which clock a deadline is, by the status it runs in (rules.filing_life.next_deadline).
DUE_KINDS = {
    S.PREPARED: "filing",
    S.SUBMITTED: "initial_review",
    S.RESUBMITTED: "initial_review",
    S.INITIAL_REVIEW_PASSED: "materials",
    S.MATERIALS_RECEIVED: "re_review",
}
_STALE = sa.or_(
    col(Filing.queue_version).is_(None), col(Filing.queue_version) != col(Filing.version)
)


Memo = dict[tuple[Any, ...], Any]


def derive(
    filing: Filing, pack: Pack, calendar: WorkdayCalendar, memo: Memo | None = None
) -> dict[str, Any]:
    """Return the queue row of `filing` as it is now. `memo`: answers of the rules shared
    by filings in the same situation (the same statuses, the same start day), for a batch."""
    memo = {} if memo is None else memo
    state = state_of(filing)
    data = filing.data or {}
    site = data.get("website") or {}
    domains = [str(d) for d in site.get("domains") or []]
    # An individual's name is personal data (encrypted at rest): never copied out of `data`.
    individual = str(data.get("subject_type") or filing.subject_type) == "individual"
    unit = "" if individual else str((data.get("subject") or {}).get("name") or "")
    step = state.step
    key = ("due", step.status, step.local, step.submitted_on, step.initial_passed_on,
           step.materials_received_on, state.current, state.connection_date)  # fmt: skip
    if key not in memo:
        memo[key] = next_deadline(state, pack, calendar)
    due = memo[key]
    # A change awaiting this city's review is what its desk lists the filing by, though
    # another bureau's step is in progress (its status, bureau and step in the row).
    shown = next((s for s in state.steps if s.local and s.status is S.CHANGE_REPORTED), step)
    shape = tuple((s.order, s.local, s.status) for s in state.steps)
    if (shape, state.current) not in memo:  # the reviewers' actions depend on these only
        bare = FilingState(tuple(StepState(o, local, Text(zh="", en=""), status)
                                 for o, local, status in shape), state.current)  # fmt: skip
        memo[shape, state.current] = bool(next_actions(bare, Role.REVIEWER, True))
    needs = memo[shape, state.current] and state.status is not S.CANCELLED
    search = " ".join([filing.site_name, *domains, unit, filing.psb_number or ""]).lower()
    return {
        "filing_id": filing.id,
        "needs": needs,
        "due_on": due[1] if due else None,
        "due_key": due[1] if due else LAST,
        "due_kind": DUE_KINDS.get(step.status) if due else None,
        "local": shown.local,
        "step": shown.order,
        "bureau": shown.bureau.zh[:200],
        "bureau_en": shown.bureau.en[:200],
        "status": shown.status.value,
        "subject_type": str(filing.subject_type),
        "site_name": filing.site_name[:200],
        "unit": unit[:200],
        "domains": " ".join(domains)[:1000],
        "psb_number": filing.psb_number,
        "search": search[:2000],
        "pairs": pairs_of(search[:2000]),
    }


class Event(NamedTuple):
    """What the chart reads of an audit event."""

    id: int
    filing_id: int
    from_status: str | None
    to_status: str
    at: dt.datetime
    on: dt.date | None = None  # the day recorded (`--on`, the desk's date): the event's own
    step: int | None = None  # whose bureau: the step's order (None: not known)


def event_of(row: Any, steps: int) -> Event:
    """An audit row as the chart reads it: its day and step from its data (kept since
    2026-12-06), else its step from its reason's prefix (a two-step filing's), else step 1
    (a filing of one step)."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)  # SQLite forgets it
    data = row.data or {}
    on = dt.date.fromisoformat(data["on"]) if isinstance(data.get("on"), str) else None
    step = data.get("step")
    if not isinstance(step, int):
        prefix = audit_step(row.reason or "")
        step = prefix[0] if prefix else (1 if steps == 1 else None)
    return Event(row.id, row.filing_id, row.from_status, row.to_status, at, on, step)


def outcomes(events: Iterable[Event], local: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Return a filing's outcomes (`filing_outcome` rows) with the days from the
    (re)submission before each: by the dates recorded (a decision recorded late is dated on
    its day, not on the moment it was typed in), and of this city's steps only (`local`: their
    orders; an event recorded before the audit kept its step counts as this city's)."""
    found = []
    submitted: dt.date | None = None
    for event in events:
        if event.step is not None and event.step not in local:
            continue  # another city's bureau: not this desk's time
        day = event.on or event.at.astimezone(_SHANGHAI).date()
        if event.to_status in _SUBMISSIONS:
            submitted = day
        elif event.to_status in OUTCOMES and event.from_status != S.CHANGE_REPORTED and submitted:
            found.append({"event_id": event.id, "filing_id": event.filing_id,
                          "outcome": event.to_status, "days": (day - submitted).days,
                          "decided_on": day})  # fmt: skip
    return found


def refresh(engine: sa.Engine, pack: Pack, calendar: WorkdayCalendar, limit: int = 0) -> int:
    """Derive the queue columns of every filing that changed since they were derived (at most
    `limit` when given); return how many were written."""
    done = 0
    while not limit or done < limit:
        size = min(BATCH, limit - done) if limit else BATCH
        with session_scope(engine) as session:
            stale = list(
                session.exec(select(Filing).where(_STALE).order_by(col(Filing.id)).limit(size))
            )
            if not stale:
                break
            done += _write(session, stale, pack, calendar)
        if len(stale) < size:
            break
    return done


def _write(session: Session, stale: list[Filing], pack: Pack, calendar: WorkdayCalendar) -> int:
    """Write a batch's columns and outcomes with three statements (Core: no ORM bookkeeping,
    and `version` untouched); a filing changed meanwhile keeps its old `queue_version` and is
    derived again next time."""
    ids = [f.id for f in stale if f.id is not None]
    events: dict[int, list[Event]] = {i: [] for i in ids}
    audit = LifecycleEvent.__table__  # type: ignore[attr-defined]
    trail = sa.select(
        audit.c.id, audit.c.filing_id, audit.c.from_status, audit.c.to_status, audit.c.at,
        audit.c.data, audit.c.reason,
    ).where(audit.c.filing_id.in_(ids))  # fmt: skip
    steps = {f.id: f.steps or [] for f in stale}
    for row in session.connection().execute(trail.order_by(audit.c.id)):
        events[row.filing_id].append(event_of(row, len(steps[row.filing_id])))
    memo: Memo = {}
    rows = [derive(f, pack, calendar, memo) for f in stale]
    connection = session.connection()
    queue_table = FilingQueue.__table__  # type: ignore[attr-defined]
    connection.execute(sa.delete(queue_table).where(queue_table.c.filing_id.in_(ids)))
    connection.execute(sa.insert(queue_table), rows)
    if connection.dialect.name == "sqlite":  # the search's trigram index (bot.console.queue)
        index = search_index()
        connection.execute(sa.delete(index).where(index.c.rowid.in_(ids)))
        connection.execute(
            sa.insert(index),
            [{"rowid": r["filing_id"], "search": r["search"], "pairs": r["pairs"]} for r in rows],
        )
    table = Filing.__table__  # type: ignore[attr-defined]
    derived = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("_id"), table.c.version == sa.bindparam("_version"))
        .values(queue_version=sa.bindparam("_version"))
    )
    connection.execute(derived, [{"_id": f.id, "_version": f.version} for f in stale])
    outcome_table = FilingOutcome.__table__  # type: ignore[attr-defined]
    connection.execute(sa.delete(outcome_table).where(outcome_table.c.filing_id.in_(ids)))
    local = {i: frozenset(int(s["order"]) for s in steps[i] if s.get("local")) for i in ids}
    found = [o for i in ids for o in outcomes(events[i], local[i])]
    if found:
        connection.execute(sa.insert(outcome_table), found)
    session.expunge_all()
    return len(rows)
