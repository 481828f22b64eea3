"""`beian filings list --status change_reported` finds a change waiting on a certified step
that is not the step in progress (a two-bureau filing whose second step is still to submit)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.db import session_scope
from models.filings import list_filings
from models.tables import Filing
from rules.enums import FilingStatus
from rules.filing_state import StepState
from rules.text import t
from tests.fakes.filings import answers, context, make_filing

S = FilingStatus

NOW = dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC)
BUREAUS = (t("示例市公安局", "PSB"), t("杭州网安", "Hangzhou"))


def _filing(engine: sa.Engine, first: S, second: S, current: int) -> int:
    """A two-bureau filing with its steps in these statuses (the second in progress or not)."""
    raw = answers("enterprise", "云帆", "yunfan.example.cn")
    filing_id = make_filing(engine, context(NOW.date()), raw, applicant="7", now=NOW,
                            document=False)  # fmt: skip
    steps = [
        StepState(n, n == 1, b, status)
        for n, b, status in zip((1, 2), BUREAUS, (first, second), strict=True)
    ]
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        filing.steps = [step.to_json() for step in steps]
        filing.current_step, filing.status = current, (first, second)[current - 1]
        s.add(filing)
    return filing_id


def test_a_change_on_the_first_of_two_steps_is_listed_as_reported(engine: sa.Engine) -> None:
    waiting = _filing(engine, S.CHANGE_REPORTED, S.PREPARED, 2)
    own = _filing(engine, S.CHANGE_REPORTED, S.PREPARED, 1)
    _filing(engine, S.CERTIFIED, S.PREPARED, 2)  # no change: not listed
    with session_scope(engine) as s:
        found = [f.id for f in list_filings(s, S.CHANGE_REPORTED.value)]
        assert found == [own, waiting]
        assert [f.id for f in list_filings(s, S.PREPARED.value)] != []


def test_the_list_line_names_the_step_whose_change_waits(engine: sa.Engine, db_url: str) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    waiting = _filing(engine, S.CHANGE_REPORTED, S.PREPARED, 2)
    runner = CliRunner()
    done = runner.invoke(app, ["filings", "list", "--status", "change-reported"],
                         env={"DATABASE_URL": db_url})  # fmt: skip
    assert done.exit_code == 0, done.output
    (line,) = done.output.strip().splitlines()
    assert (
        line.startswith(f"#{waiting}  已生成文件，待提交")
        and "（第1步：已报告变更，待审核）" in line
    )
