"""`beian filings list --status change_reported` finds a change waiting on a certified step
that is not the step in progress (a two-bureau filing whose second step is still to submit)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models.db import session_scope
from models.filings import list_filings
from models.repo import create_filing, get_or_create_applicant
from models.tables import Filing
from rules.enums import FilingStatus, Location, SubjectType

S = FilingStatus

NOW = dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC)
ROUTE = {
    "steps": [
        {"order": 1, "where": "local", "bureau": {"zh": "示例市公安局", "en": "PSB"}},
        {"order": 2, "where": "server", "bureau": {"zh": "杭州网安", "en": "Hangzhou"}},
    ]
}


def _filing(engine: sa.Engine, first: FilingStatus, second: FilingStatus, current: int) -> int:
    with session_scope(engine) as s:
        applicant = get_or_create_applicant(session=s, channel="telegram", external_id="7")
        filing = create_filing(
            session=s,
            filing=Filing(
                applicant_id=applicant.id or 0,
                subject_type=SubjectType.ENTERPRISE,
                maintenance=Location.LOCAL,
                server=Location.ELSEWHERE,
                route=ROUTE,
                data={},
                site_name="云帆",
            ),
            actor="applicant:1",
            now=NOW,
        )
        steps = [dict(step) for step in filing.steps]
        steps[0]["status"], steps[1]["status"] = first.value, second.value
        filing.steps, filing.current_step = steps, current
        filing.status = (first, second)[current - 1]
        s.add(filing)
        s.flush()
        return filing.id or 0


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
