"""The desk's queue over 100,000 filings (issue 28): p95 server time of a page ≤ 200 ms.

Builds a database of N filings in every status (bulk-inserted rows with their steps and audit
events; the answers trimmed to what the queue reads), derives the queue's columns once (the
catch-up an existing database pays at the desk's first start), signs in, and asks the queue's
pages as a clerk would — the first page, a later one, the last, each filter, searches — many
times each, reading the server's own `Server-Timing`. SQLite and, with --postgres URL,
PostgreSQL. Run: `.venv/bin/python -m bench.bench_desk [--filings 100000] [--postgres URL]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bench.common import fresh_schema, use_a_bench_key
from bot.console.app import Desk, build_app
from bot.console.auth import create_link_token
from bot.console.derived import refresh
from bot.filing_actions import Reviewers
from models import migrate
from models.db import make_engine
from models.filings import add_reviewer
from models.tables import Applicant, Filing, LifecycleEvent
from rules.enums import FilingStatus as S
from tests.fakes.filings import context

TODAY = dt.date(2026, 11, 28)
REVIEWER = 9101
_SHARES = [(S.PREPARED, 20), (S.SUBMITTED, 14), (S.RESUBMITTED, 3), (S.INITIAL_REVIEW_PASSED, 9),
           (S.RETURNED, 7), (S.MATERIALS_RECEIVED, 5), (S.CERTIFIED, 38), (S.CHANGE_REPORTED, 2),
           (S.CANCELLED, 2)]  # fmt: skip
_PATH = {  # the events that lead to a status, in order
    S.PREPARED: [S.PREPARED],
    S.SUBMITTED: [S.PREPARED, S.SUBMITTED],
    S.RESUBMITTED: [S.PREPARED, S.SUBMITTED, S.RETURNED, S.RESUBMITTED],
    S.INITIAL_REVIEW_PASSED: [S.PREPARED, S.SUBMITTED, S.INITIAL_REVIEW_PASSED],
    S.RETURNED: [S.PREPARED, S.SUBMITTED, S.RETURNED],
    S.MATERIALS_RECEIVED: [S.PREPARED, S.SUBMITTED, S.INITIAL_REVIEW_PASSED, S.MATERIALS_RECEIVED],
    S.CERTIFIED: [S.PREPARED, S.SUBMITTED, S.INITIAL_REVIEW_PASSED, S.MATERIALS_RECEIVED,
                  S.CERTIFIED],
    S.CHANGE_REPORTED: [S.PREPARED, S.SUBMITTED, S.INITIAL_REVIEW_PASSED, S.MATERIALS_RECEIVED,
                        S.CERTIFIED, S.CHANGE_REPORTED],
    S.CANCELLED: [S.PREPARED, S.SUBMITTED, S.CANCELLED],
}  # fmt: skip
_WORDS = [
    "云帆",
    "星河",
    "明月",
    "青山",
    "长江",
    "东方",
    "华夏",
    "启航",
    "蓝海",
    "金石",
    "银河",
    "春风",
    "远山",
    "清泉",
    "天工",
]
LOCAL = {"zh": "示例市公安局网络安全保卫支队", "en": "Example City PSB"}
OUTSIDE = {"zh": "服务器托管地（杭州）的公安网安部门", "en": "Hangzhou PSB"}


def _filing(n: int, rng: random.Random) -> tuple[dict[str, Any], list[tuple[S, dt.date]]]:
    status = rng.choices([s for s, _ in _SHARES], [w for _, w in _SHARES])[0]
    start = TODAY - dt.timedelta(days=rng.randint(1, 150))
    days, events = start, []
    for step in _PATH[status]:
        events.append((step, days))
        days = min(TODAY, days + dt.timedelta(days=rng.randint(1, 9)))
    dates = dict(events)
    submitted = dates.get(S.RESUBMITTED) or dates.get(S.SUBMITTED)
    word = rng.choice(_WORDS) + rng.choice(_WORDS)
    site, domain = f"{word}网{n}", f"www.site{n}.example.cn"
    subject = rng.choice(["enterprise"] * 6 + ["government"] * 2 + ["individual"] * 2)
    unit = "" if subject == "individual" else f"示例{word}科技有限公司{n % 997}"
    step = {
        "order": 1, "local": True, "bureau": LOCAL, "status": status.value,
        "submitted_on": submitted.isoformat() if submitted else None,
        "initial_passed_on": _iso(dates.get(S.INITIAL_REVIEW_PASSED)),
        "materials_received_on": _iso(dates.get(S.MATERIALS_RECEIVED)),
        "certified_on": _iso(dates.get(S.CERTIFIED)),
        "psb_number": f"京公网安备{11010500000000 + n}号" if S.CERTIFIED in dates else None,
        "certificate_number": None, "reasons": ["网站无法访问"] if status is S.RETURNED else [],
    }  # fmt: skip
    row = {
        "applicant_id": 1, "subject_type": subject, "maintenance": "local", "server": "local",
        "route": {"steps": [{"order": 1, "where": "local", "bureau": LOCAL}]},
        "steps": [step], "current_step": 1, "connection_date": start - dt.timedelta(days=3),
        "data": {"subject_type": subject, "subject": {"name": unit or "某某"},
                 "website": {"name": site, "domains": [domain, f"site{n}.example.cn"]}},
        "status": status.value, "site_name": site, "psb_number": step["psb_number"],
        "created_at": _moment(start), "updated_at": _moment(days), "version": len(events),
    }  # fmt: skip
    return row, events


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(2, 0), dt.UTC)


def build(url: str, count: int) -> sa.Engine:
    """Migrate and fill a database with `count` filings and their audit events."""
    migrate.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(28)
    with engine.begin() as conn:
        conn.execute(sa.insert(Applicant), [{"channel": "terminal", "external_id": "bench",
                                             "created_at": _moment(TODAY)}])  # fmt: skip
    with engine.connect() as conn:
        add_reviewer_session(engine)
    table = Filing.__table__  # type: ignore[attr-defined]
    events = LifecycleEvent.__table__  # type: ignore[attr-defined]
    for first in range(0, count, 5000):
        batch = [_filing(n, rng) for n in range(first + 1, min(count, first + 5000) + 1)]
        with engine.begin() as conn:
            conn.execute(sa.insert(table), [r for r, _ in batch])
            trail = []
            for offset, (_, path) in enumerate(batch):
                before = None
                for status, day in path:
                    trail.append({"filing_id": first + offset + 1, "actor": "applicant:1",
                                  "from_status": before, "to_status": status.value,
                                  "at": _moment(day)})  # fmt: skip
                    before = status.value
            conn.execute(sa.insert(events), trail)
    return engine


def add_reviewer_session(engine: sa.Engine) -> None:
    from models.db import session_scope

    with session_scope(engine) as session:
        add_reviewer(session, REVIEWER, "王警官", _moment(TODAY))


PAGES = {
    "queue, first page": "/console",
    "queue, page 2": "/console?page=2",
    "queue, last page": None,  # filled once the count is known
    "all filings, page 1000": "/console?status=all&page=1000",
    "overdue": "/console?overdue=1",
    "due within 3 days": "/console?within=3",
    "status certified": "/console?status=certified",
    "enterprise, this city": "/console?subject=enterprise&bureau=local",
    "search a site (rare)": "/console?status=all&q=%E7%BD%9177777",
    "search a domain": "/console?status=all&q=site4242.example",
    "search a 2-character word (common)": "/console?q=%E4%BA%91%E5%B8%86",
    "search two words": "/console?status=all&q=%E4%BA%91%E5%B8%86+site42",
    "search one character": "/console?q=%E5%B8%86",
    "search a 公安备案号": "/console?status=all&q=11010500012345",
}


async def measure(engine: sa.Engine, rounds: int) -> dict[str, list[float]]:
    """Ask each page `rounds` times; return the server's times (ms) per page."""
    ctx = context(TODAY)
    desk = Desk(engine=engine, context=lambda: ctx, clock=lambda: _moment(TODAY) + dt.timedelta(
        hours=1), reviewers=Reviewers())  # fmt: skip
    found: dict[str, list[float]] = {}
    async with TestClient(TestServer(build_app(desk))) as client:
        token = create_link_token(engine, REVIEWER, desk.clock())
        page = await (await client.get(f"/console/login/{token}")).text()
        pre = re.search(r'name="csrf" value="([^"]+)"', page)
        assert pre is not None
        first = await client.post(f"/console/login/{token}", data={"csrf": pre.group(1)})
        total = re.search(r"第1/(\d+)页", await first.text())
        assert total is not None
        pages = dict(PAGES, **{"queue, last page": f"/console?page={total.group(1)}"})
        for _ in range(rounds):
            for name, path in pages.items():
                answer = await client.get(str(path))
                await answer.read()
                assert answer.status == 200, (name, answer.status)
                timing = answer.headers["Server-Timing"]
                found.setdefault(name, []).append(float(timing.split("dur=")[1]))
        others = (("dashboard", "/console/dashboard"), ("filing page", "/console/filings/4242"),
                  ("CSV of the queue", "/console/queue.csv"))  # fmt: skip
        for name, path in others:
            for _ in range(max(3, rounds // 4)):
                started = time.perf_counter()
                answer = await client.get(path)
                body = await answer.read()
                found.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            found[name + f" ({len(body) // 1024} KB)"] = found.pop(name)
    return found


def p95(values: list[float]) -> float:
    """Return the 95th percentile."""
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def run(name: str, url: str, count: int, rounds: int) -> None:
    started = time.perf_counter()
    engine = build(url, count)
    built = time.perf_counter() - started
    ctx = context(TODAY)
    started = time.perf_counter()
    derived = refresh(engine, ctx.pack, ctx.calendar)
    catch_up = time.perf_counter() - started
    if engine.dialect.name == "postgresql":  # as autovacuum leaves a table: statistics, and
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # a visibility map for index-only scans
    each = catch_up / max(derived, 1) * 1e6
    print(f"\n## {name}: {count:,} filings (built in {built:.0f} s); queue rows derived for "
          f"{derived:,} in {catch_up:.1f} s ({each:.0f} µs each)")  # fmt: skip
    times = asyncio.run(measure(engine, rounds))
    print("| page | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    for page, values in times.items():
        print(f"| {page} | {statistics.median(values):.1f} | {p95(values):.1f} | "
              f"{max(values):.1f} |")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a schema bench_desk is made)")
    args = parser.parse_args()
    use_a_bench_key()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'desk.db'}", args.filings, args.rounds)
    if args.postgres:
        run("PostgreSQL", fresh_schema(args.postgres, "bench_desk"), args.filings, args.rounds)


if __name__ == "__main__":
    main()
