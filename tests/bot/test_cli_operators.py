"""Operators' commands: reviewers and filings (issue 12), through typer's runner."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.filing_actions import Reviewers, act
from dialogs.model import Context
from models import migrate
from models.db import make_engine, session_scope
from models.filings import redeem_invite
from models.repo import create_filing, get_or_create_applicant
from models.tables import Filing, GeneratedDocument
from rules.enums import DocumentKind, Location, SubjectType
from rules.filing_life import Actor, Role
from rules.lifecycle import FilingEvent
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

runner = CliRunner()
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'ops.db'}"
    migrate.upgrade(found)
    return found


def run(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"DATABASE_URL": url, "BEIAN_REVIEWERS": "55"})
    return result.exit_code, result.output


def _filing(url: str) -> int:
    engine = make_engine(url)
    with session_scope(engine) as s:
        applicant = get_or_create_applicant(session=s, channel="telegram", external_id="7")
        filing = create_filing(
            session=s,
            filing=Filing(
                applicant_id=applicant.id or 0,
                subject_type=SubjectType.ENTERPRISE,
                maintenance=Location.LOCAL,
                server=Location.LOCAL,
                route={"steps": [{"order": 1, "where": "local",
                                  "bureau": {"zh": "示例市公安局", "en": "PSB"}}]},
                data={"subject": {"responsible": {"id_number": "330106198506120015"}}},
                site_name="云帆科技官网",
            ),
            actor="applicant:1",
            now=NOW,
        )  # fmt: skip
        s.add(
            GeneratedDocument(
                filing_id=filing.id or 0,
                kind=DocumentKind.GUIDE,
                filename="办理指引-云帆科技官网.pdf",
                sha256="0" * 64,
                pages=1,
                size=8,
                content=b"%PDF-1.7",
                created_at=NOW,
            )
        )
        filing_id = filing.id or 0
    engine.dispose()
    return filing_id


def test_reviewers_are_added_listed_and_removed(url: str) -> None:
    assert run(url, "reviewers", "add", "9101", "--name", "王审核")[0] == 0
    code, out = run(url, "reviewers", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert {"telegram_id": 9101, "name": "王审核", "source": "db"} in listed
    assert {"telegram_id": 55, "name": "", "source": "BEIAN_REVIEWERS"} in listed
    assert run(url, "reviewers", "remove", "9101")[0] == 0
    assert run(url, "reviewers", "remove", "9101")[0] == 1  # not an active reviewer any more
    assert all(r["telegram_id"] != 9101 for r in json.loads(run(url, "reviewers", "list",
                                                                "--json")[1]))  # fmt: skip


def test_an_invite_works_once_and_for_24_hours(url: str) -> None:
    code, out = run(url, "reviewers", "invite", "--name", "李审核")
    assert code == 0
    link = out.splitlines()[0]
    assert link.startswith("/start review-")
    invite = link.removeprefix("/start review-")
    engine = make_engine(url)
    with session_scope(engine) as s:
        assert redeem_invite(s, "wrong", 1, "x", NOW) is None
    with session_scope(engine) as s:
        now = dt.datetime.now(dt.UTC)
        assert redeem_invite(s, invite, 9102, "x", now + dt.timedelta(hours=25)) is None
        assert redeem_invite(s, invite, 9102, "x", now) is not None
    with session_scope(engine) as s:
        assert redeem_invite(s, invite, 9103, "y", dt.datetime.now(dt.UTC)) is None  # once
    engine.dispose()
    listed = json.loads(run(url, "reviewers", "list", "--json")[1])
    assert {"telegram_id": 9102, "name": "李审核", "source": "db"} in listed


def test_filings_list_show_and_export(url: str, tmp_path: Path, pack: Pack) -> None:
    filing_id = _filing(url)
    engine = make_engine(url)
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 30))
    done = act(
        engine,
        filing_id,
        event=FilingEvent.SUBMIT,
        who=Actor(Role.APPLICANT, "7"),
        ctx=ctx,
        clock=lambda: NOW,
        reviewers=Reviewers((55,)),
        applicant_external_id="7",
    )
    assert done.done and done.notices  # the applicant's update and the reviewer's card
    other = act(
        engine,
        filing_id,
        event=FilingEvent.CANCEL,
        who=Actor(Role.APPLICANT, "8"),  # somebody else's filing
        ctx=ctx,
        clock=lambda: NOW,
        reviewers=Reviewers((55,)),
        applicant_external_id="8",
    )
    assert not other.done and other.refusal is not None
    engine.dispose()
    listed = json.loads(run(url, "filings", "list", "--json")[1])
    assert [(f["id"], f["status"]) for f in listed] == [(filing_id, "submitted")]
    assert json.loads(run(url, "filings", "list", "--status", "prepared", "--json")[1]) == []
    assert json.loads(run(url, "filings", "list", "--bureau", "outside", "--json")[1]) == []
    shown = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    assert [e["to"] for e in shown["events"]] == ["prepared", "submitted"]
    assert shown["steps"][0]["submitted_on"] == "2026-11-30"
    code, text = run(url, "filings", "show", str(filing_id))
    assert code == 0 and "applicant:7" in text
    assert run(url, "filings", "show", "999")[0] == 1
    out = tmp_path / "export"
    assert run(url, "filings", "export", str(filing_id), "--out", str(out))[0] == 0
    assert (out / "办理指引-云帆科技官网.pdf").read_bytes() == b"%PDF-1.7"
    exported = json.loads((out / f"filing-{filing_id}.json").read_text(encoding="utf-8"))
    assert exported["answers"]["subject"]["responsible"]["id_number"] == "330106198506120015"
