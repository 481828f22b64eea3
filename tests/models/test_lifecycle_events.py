"""The audit row says which event happened, with its data (issue 27 item 4).

An event that keeps the status (a second change, the icon placed) used to read
`change_reported → change_reported` with nothing else; older rows are backfilled by the
migration from their statuses and reasons.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.filing_actions import record_icon
from models import migrate
from models.db import make_engine, session_scope
from models.repo import get_or_create_applicant
from models.tables import Filing, LifecycleEvent
from rules.enums import Location, SubjectType
from rules.lifecycle import FilingEvent as E
from tests.fakes.filings import answers, context, make_filing, move

NOW = dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC)
PSB = "京公网安备11010502030143号"


def _at(day: int) -> dt.datetime:
    return NOW + dt.timedelta(days=day)


def _rows(engine: sa.Engine, filing_id: int) -> list[LifecycleEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(LifecycleEvent)
                .where(LifecycleEvent.filing_id == filing_id)
                .order_by(col(LifecycleEvent.id))
            )
        )


def test_each_audit_row_names_its_event_and_keeps_its_data(engine: sa.Engine) -> None:
    ctx = context(dt.date(2026, 12, 10))
    raw = answers("individual", "示例站", "example.cn")  # one bureau: this city's
    filing_id = make_filing(engine, ctx, raw, applicant="81", now=NOW)
    move(engine, ctx, filing_id, E.SUBMIT, at=_at(1), applicant="81")
    move(engine, ctx, filing_id, E.RETURN, at=_at(2), reviewer=9101, reasons=("材料不清晰",))
    move(engine, ctx, filing_id, E.RESUBMIT, at=_at(3), applicant="81")
    move(engine, ctx, filing_id, E.PASS_INITIAL_REVIEW, at=_at(4), reviewer=9101)
    move(engine, ctx, filing_id, E.RECEIVE_MATERIALS, at=_at(5), reviewer=9101)
    move(engine, ctx, filing_id, E.CERTIFY, at=_at(6), reviewer=9101, psb_number=PSB,
         certificate="SL-1")  # fmt: skip
    move(engine, ctx, filing_id, E.REPORT_CHANGE, at=_at(7), applicant="81", reason="换服务器")
    move(engine, ctx, filing_id, E.REPORT_CHANGE, at=_at(8), applicant="81", reason="换负责人")
    said = record_icon(engine, filing_id, channel="telegram", external_id="81",
                       on=_at(9).date(), clock=lambda: _at(9))  # fmt: skip
    assert "已记录" in said.zh
    rows = _rows(engine, filing_id)
    assert [r.event for r in rows] == [
        "prepare", "submit", "return_for_rectification", "resubmit", "pass_initial_review",
        "receive_materials", "certify", "report_change", "report_change", "record_icon",
    ]  # fmt: skip
    second_change, icon = rows[-2], rows[-1]
    assert second_change.from_status == second_change.to_status  # the status alone says nothing
    assert second_change.data == {"on": "2026-12-03", "reason": "换负责人"}
    assert icon.data == {"on": "2026-12-04"}
    assert rows[2].data == {"on": "2026-11-27", "reasons": ["材料不清晰"], "step": 1}
    certified = rows[6].data or {}
    assert certified["psb_number"] == PSB and certified["certificate"] == "SL-1"


def test_the_migration_backfills_older_rows_from_their_statuses(db_url: str) -> None:
    migrate.upgrade(db_url, "0014_durable_replies")
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        who = get_or_create_applicant(session=session, channel="telegram", external_id="1")
        filing = Filing(applicant_id=who.id or 0, subject_type=SubjectType.ENTERPRISE,
                        maintenance=Location.LOCAL, server=Location.LOCAL, site_name="站",
                        created_at=NOW, updated_at=NOW)  # fmt: skip
        session.add(filing)
        session.flush()
        filing_id = filing.id or 0
    old = sa.table(
        "lifecycle_event",
        *(sa.column(c) for c in ("filing_id", "actor", "from_status", "to_status", "reason")),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    moves = [
        (None, "prepared", None),
        ("prepared", "submitted", None),
        ("submitted", "returned", "材料不清晰"),
        ("returned", "resubmitted", None),
        ("resubmitted", "initial_review_passed", None),
        ("initial_review_passed", "materials_received", None),
        ("materials_received", "certified", None),
        ("certified", "change_reported", "变更：换服务器"),
        ("change_reported", "change_reported", "第1步（示例市公安局）变更：换负责人"),
        ("change_reported", "change_reported", "已放置备案图标"),
        ("change_reported", "cancelled", "网站已关闭"),
    ]
    with engine.begin() as conn:
        for was, into, why in moves:
            conn.execute(old.insert().values(filing_id=filing_id, actor="a", from_status=was,
                                             to_status=into, reason=why, at=NOW))  # fmt: skip
    engine.dispose()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    rows = _rows(engine, filing_id)
    engine.dispose()
    assert [r.event for r in rows] == [
        "prepare", "submit", "return_for_rectification", "resubmit", "pass_initial_review",
        "receive_materials", "certify", "report_change", "report_change", "record_icon", "cancel",
    ]  # fmt: skip
    assert all(r.data is None for r in rows)  # never kept: not made up
