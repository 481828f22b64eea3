"""Operators' commands: reviewers and filings (issue 12), through typer's runner."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.filing_actions import Reviewers, act
from dialogs.model import Context
from models import migrate, sealed
from models.db import make_engine, session_scope
from models.filings import redeem_invite
from models.repo import create_filing, get_or_create_applicant
from models.reviewers import seed_reviewers
from models.tables import Filing, GeneratedDocument
from rules.enums import DocumentKind, Location, SubjectType
from rules.filing_life import Actor, Role, make_event
from rules.lifecycle import FilingEvent
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

runner = CliRunner()
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'ops.db'}"
    migrate.upgrade(found)
    engine = make_engine(found)
    with session_scope(engine) as s:  # as every command does with BEIAN_REVIEWERS=55 (`run`)
        seed_reviewers(s, [55], NOW)
    engine.dispose()
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
    code, out = run(url, "reviewers", "add", "9101", "--name", "王审核")
    assert code == 0 and "已添加审核员 9101（王审核）" in out  # Chinese by default
    code, out = run(url, "reviewers", "add", "9103", "--name", "Lin", "--lang", "en")
    assert code == 0 and "reviewer 9103 (Lin) added" in out
    assert "已移除审核员 9103" in run(url, "reviewers", "remove", "9103")[1]
    assert "没有在任的审核员 9103" in run(url, "reviewers", "remove", "9103")[1]
    assert "24小时内有效" in run(url, "reviewers", "invite")[1]
    code, out = run(url, "reviewers", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert {"telegram_id": 9101, "name": "王审核", "source": "db", "reachable": True} in [
        {k: r[k] for k in ("telegram_id", "name", "source", "reachable")} for r in listed
    ]
    assert {"telegram_id": 55, "name": "", "source": "BEIAN_REVIEWERS"} in [
        {k: r[k] for k in ("telegram_id", "name", "source")} for r in listed
    ]
    assert run(url, "reviewers", "remove", "9101")[0] == 0
    # a group's (negative) or no id, an empty name, a terminal escape in a name: refused, or
    # stored without what would break a list or a card
    assert run(url, "reviewers", "add", "0", "--name", "x")[0] == 2
    assert run(url, "reviewers", "add", "--name", "x", "--", "-5")[0] == 2
    assert run(url, "reviewers", "add", "9102", "--name", " ")[0] == 2
    assert run(url, "reviewers", "add", "9102", "--name", "李\x1b[31m审\n核")[0] == 0
    names = {
        r["telegram_id"]: r["name"] for r in json.loads(run(url, "reviewers", "list", "--json")[1])
    }
    assert names[9102] == "李 [31m审 核" and 0 not in names and -5 not in names
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
    assert {"telegram_id": 9102, "name": "李审核", "source": "db"} in [
        {k: r[k] for k in ("telegram_id", "name", "source")} for r in listed
    ]


def test_filings_list_show_and_export(url: str, tmp_path: Path, pack: Pack) -> None:
    filing_id = _filing(url)
    engine = make_engine(url)
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 30))
    done = act(
        engine,
        filing_id,
        make_event(FilingEvent.SUBMIT, Actor(Role.APPLICANT, "7"), ctx.today),
        ctx=ctx,
        clock=lambda: NOW,
        reviewers=Reviewers(),
        applicant_external_id="7",
    )
    assert done.done and done.notices  # the applicant's update and the reviewer's card
    other = act(
        engine,
        filing_id,
        make_event(FilingEvent.CANCEL, Actor(Role.APPLICANT, "8"), ctx.today),  # not theirs
        ctx=ctx,
        clock=lambda: NOW,
        reviewers=Reviewers(),
        applicant_external_id="8",
    )
    assert not other.done and other.refusal is not None
    engine.dispose()
    listed = json.loads(run(url, "filings", "list", "--json")[1])
    assert [(f["id"], f["status"]) for f in listed] == [(filing_id, "submitted")]
    assert json.loads(run(url, "filings", "list", "--status", "prepared", "--json")[1]) == []
    assert json.loads(run(url, "filings", "list", "--bureau", "outside", "--json")[1]) == []
    code, out = run(url, "filings", "list", "--status", "bogus")  # was a traceback with the SQL
    assert code == 2 and "Traceback" not in out and "materials_received" in out
    code, out = run(url, "filings", "list", "--status", "Submitted", "--json")  # as typed
    assert code == 0 and [f["id"] for f in json.loads(out)] == [filing_id]
    shown = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    assert [e["to"] for e in shown["events"]] == ["prepared", "submitted"]
    assert [e["event"] for e in shown["events"]] == ["prepare", "submit"]
    # one audit name per applicant: the one who filed and the one who submitted are the same
    assert shown["events"][0]["actor"] == shown["events"][1]["actor"]
    assert shown["steps"][0]["submitted_on"] == "2026-11-30"
    code, text = run(url, "filings", "show", str(filing_id))
    assert code == 0 and shown["events"][1]["actor"] in text
    # The text is for people: Chinese by default, English with --lang en (the JSON keeps values)
    assert "已提交，待初审" in text and "历史：" in text and "submitted" not in text
    assert "已在备案系统提交: 已生成文件，待提交 → 已提交，待初审" in text
    english = run(url, "filings", "show", str(filing_id), "--lang", "en")[1]
    assert "submitted, awaiting initial review" in english and "history:" in english
    listed_text = run(url, "filings", "list")[1]
    assert f"#{filing_id}  已提交，待初审" in listed_text and "第1步" in listed_text
    assert "step 1" in run(url, "filings", "list", "--lang", "en")[1]
    assert run(url, "filings", "list", "--status", "certified")[1].strip() == "没有备案"
    code, missing = run(url, "filings", "show", "999")
    assert code == 1 and "没有备案 #999" in missing
    assert "no filing 999" in run(url, "filings", "show", "999", "--lang", "en")[1]
    assert run(url, "filings", "export", "999", "--out", str(tmp_path / "none"))[0] == 1
    assert not (tmp_path / "none").exists()  # no folder made for a filing that is not there
    out = tmp_path / "export"
    assert run(url, "filings", "export", str(filing_id), "--out", str(out))[0] == 0
    assert (out / "办理指引-云帆科技官网.pdf").read_bytes() == b"%PDF-1.7"
    exported = json.loads((out / f"filing-{filing_id}.json").read_text(encoding="utf-8"))
    assert exported["answers"]["subject"]["responsible"]["id_number"] == "330106198506120015"
    # Exported again over a file someone opened up (0644) and a link to a file elsewhere: the
    # files are replaced whole, the owner's only, and the link's target is left untouched.
    export = out / f"filing-{filing_id}.json"
    export.chmod(0o644)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("mine", encoding="utf-8")
    elsewhere.chmod(0o644)
    guide = out / "办理指引-云帆科技官网.pdf"
    guide.unlink()
    guide.symlink_to(elsewhere)
    assert run(url, "filings", "export", str(filing_id), "--out", str(out))[0] == 0
    for path in (export, guide):
        assert not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600, path
    assert guide.read_bytes() == b"%PDF-1.7"
    assert elsewhere.read_text(encoding="utf-8") == "mine"
    assert elsewhere.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # nothing left aside


# --- changes and cancellation (issue 14) ------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PSB = "京公网安备11010502030143号"


def _certified(
    url: str,
    pack: Pack,
    *,
    up_to: FilingEvent | None = FilingEvent.CERTIFY,
    example: str = "individual",
) -> int:
    """The individual example (or `example`), submitted, passed, materials received and
    certified (or as far as `up_to`; None: prepared only, never submitted)."""
    import yaml

    from bot.submission import filing_from
    from rules.answers import FilingAnswers

    raw = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
    answers = FilingAnswers.model_validate(raw)
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=NOW.date())
    engine = make_engine(url)
    with session_scope(engine) as s:
        applicant = get_or_create_applicant(session=s, channel="telegram", external_id="7")
        row = filing_from(answers, ctx, applicant.id or 0, 0)
        row.interview_id = None
        filing_id = create_filing(session=s, filing=row, actor="applicant:1", now=NOW).id or 0
    for event in (
        ()
        if up_to is None
        else (
            FilingEvent.SUBMIT,
            FilingEvent.PASS_INITIAL_REVIEW,
            FilingEvent.RECEIVE_MATERIALS,
            FilingEvent.CERTIFY,
        )
    ):
        outcome = act(
            engine,
            filing_id,
            make_event(event, Actor(Role.OPERATOR, "test"), ctx.today, psb_number=PSB),
            ctx=ctx,
            clock=lambda: NOW,
            reviewers=Reviewers(),
        )
        assert outcome.done, outcome.refusal
        if event is up_to:
            break
    engine.dispose()
    return filing_id


def _change_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "CHANGE.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.exec_driver_sql(sql)]
    engine.dispose()
    return found


def _opened(payload: object) -> Any:
    """An outbox payload as a raw query gives it: sealed (issue 26), opened here."""
    return sealed.open_json(payload, context="outbox.payload")


def test_a_change_from_the_cli_is_recorded_with_its_history_documents_and_card(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)
    change = _change_file(
        tmp_path,
        "changed_on: 2026-11-30\nreason: 更换服务器\n"
        'set: {"website.ips": ["47.96.10.21"], "security_officer.mobile": "13900139001"}\n',
    )
    code, out = run(url, "filings", "change", str(filing_id), "--file", change, "--json")
    assert code == 0, out
    done = json.loads(out)
    assert done["ok"] and done["status"] == "change_reported"
    assert {c["field"] for c in done["changes"]} == {"website.ips", "security_officer.mobile"}
    days = pack.periods.change_report.days
    assert done["deadline"] == (dt.date(2026, 11, 30) + dt.timedelta(days=days)).isoformat()
    assert done["route_advice"] is None
    code, out = run(url, "filings", "show", str(filing_id), "--json")
    shown = json.loads(out)
    assert shown["answers"]["website"]["ips"] == ["47.96.10.21"]
    assert [v["kind"] for v in shown["history"]] == ["created", "changed"]
    last = shown["history"][-1]
    assert last["reason"] == "更换服务器" and last["actor"] == "operator:cli"
    assert last["changed_on"] == "2026-11-30"
    assert {"field": "website.ips", "old": ["47.96.12.36"], "new": ["47.96.10.21"]} in (
        last["changes"]
    )
    kinds = [r[0] for r in _rows(url, "select kind from generated_document")]
    assert "change-report" in kinds and "filing-form" in kinds  # rendered by the CLI
    cards = _rows(url, "select chat_id, payload from outbox where kind = 'notice' "
                  "and status = 'pending'")  # fmt: skip
    texts = [_opened(p)["text"]["zh"] for chat, p in cards if chat == 55]
    card = next(t for t in texts if t.startswith("变更报告"))
    assert "47.96.10.21" in card and "13900139001" not in card and "9001" in card
    code, text = run(url, "filings", "show", str(filing_id))
    assert "v2 变更" in text and "website.ips" in text and "13900139001" not in text


def test_an_invalid_change_lists_every_problem_exits_1_and_changes_nothing(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)
    before = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    change = _change_file(
        tmp_path,
        "reason: 更换服务器\n"
        'set: {"website.ips": ["999.1.1.1"], "security_officer.mobile": "12345", "web.ip": 1}\n',
    )
    code, out = run(url, "filings", "change", str(filing_id), "--file", change, "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert len(problems) == 3
    assert any("web.ip" in p for p in problems) and any("website.ips" in p for p in problems)
    assert any("security_officer.mobile" in p for p in problems)
    after = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    assert after["answers"] == before["answers"] and len(after["history"]) == 1
    assert after["status"] == "certified"
    code, out = run(
        url, "filings", "change", str(filing_id), "--file", _change_file(tmp_path, "set: {}\n")
    )
    assert code == 1 and "reason" in out and "set" in out


def test_an_impossible_date_is_listed_with_the_files_other_problems(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)
    change = _change_file(tmp_path, "changed_on: 2026-02-30\nreason: x\nset: [1]\nbogus: 1\n")
    code, out = run(url, "filings", "change", str(filing_id), "--file", change, "--json")
    assert code == 1 and "Traceback" not in out, out
    problems = json.loads(out)["problems"]
    for name in ("changed_on", "set", "bogus"):
        assert any(name in p for p in problems), (name, problems)


def test_a_change_of_a_filing_not_certified_lists_the_files_problems_too(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack, up_to=FilingEvent.SUBMIT)
    change = _change_file(
        tmp_path,
        "reason: 更换服务器\n"
        'set: {"website.ips": ["999.1.1.1"], "security_officer.mobile": "12345", "web.ip": 1}\n',
    )
    code, out = run(url, "filings", "change", str(filing_id), "--file", change)
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 4, lines  # one problem a line, all four of them
    assert any("取得公安备案号后才能报告变更" in line for line in lines)
    for field in ("website.ips", "security_officer.mobile", "web.ip"):
        assert any(line.startswith(field) for line in lines), (field, lines)
    assert json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])["status"] == (
        "submitted"
    )


def test_a_change_of_a_filing_not_certified_is_refused(url: str, tmp_path: Path) -> None:
    filing_id = _filing(url)
    change = _change_file(tmp_path, 'reason: x\nset: {"website.ips": ["47.96.10.21"]}\n')
    code, out = run(url, "filings", "change", str(filing_id), "--file", change)
    assert code == 1 and "取得公安备案号后才能报告变更" in out


def test_a_cancellation_from_the_cli_stops_the_reminders(url: str, pack: Pack) -> None:
    filing_id = _certified(url, pack)
    assert _rows(url, "select id from outbox where kind = 'reminder' and status = 'pending'")
    code, out = run(url, "filings", "cancel", str(filing_id), "--reason", "网站已关闭", "--json")
    assert code == 0, out
    assert json.loads(out)["status"] == "cancelled"
    assert not _rows(url, "select id from outbox where kind = 'reminder' and status = 'pending'")
    kinds = [r[0] for r in _rows(url, "select kind from generated_document")]
    assert "cancellation" in kinds
    shown = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    assert shown["status"] == "cancelled" and shown["events"][-1]["reason"] == "网站已关闭"
    code, out = run(url, "filings", "cancel", str(filing_id), "--reason", "again")
    assert code == 1  # cancelled already


def test_cancelling_a_filing_never_submitted_makes_no_statement_for_a_bureau(
    url: str, pack: Pack
) -> None:
    """Nothing was filed anywhere: a 《注销情况书面说明》 to the bureau (with a blank 公安备案号
    and "take the icon down") and "cancel it in the filing system" were both false."""
    filing_id = _certified(url, pack, up_to=None)
    code, out = run(url, "filings", "cancel", str(filing_id), "--reason", "网站已关闭", "--json")
    assert code == 0, out
    kinds = [r[0] for r in _rows(url, "select kind from generated_document")]
    assert "cancellation" not in kinds
    told = [
        _opened(p)["text"]["zh"]
        for (p,) in _rows(url, "select payload from outbox where kind = 'notice'")
    ]
    assert any("还没有向任何网安部门提交过" in t for t in told), told
    assert not any("请在备案系统中办理注销" in t or t.startswith("注销") for t in told), told


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('changed_on: 20261127\nreason: x\nset: {"website.ips": ["47.96.10.21"]}\n', "changed_on"),
        ('changed_on: null\nreason: x\nset: {"website.ips": ["47.96.10.21"]}\n', "changed_on"),
        ('changed_on: 2026-02-30\nreason: x\nset: {"website.ips": ["47.96.10.21"]}\n',
         "changed_on"),  # a day the calendar has not: YAML's own date raised (a traceback)
        ('changed_on: 2026-11-27 10:00:00\nreason: x\nset: {"website.ips": ["1.2.3.4"]}\n',
         "changed_on"),
        ('reason: "' + "长" * 501 + '"\nset: {"website.ips": ["47.96.10.21"]}\n', "reason"),
        ('reason: x\nset: {"psb_number": "京公网安备11010502030199号"}\n', "psb_number"),
        ('reason: x\nset: {"subject_type": "enterprise"}\n', "subject_type"),
        ('changed_on: 2026-01-01\nreason: x\nset: {"website.ips": ["47.96.10.21"]}\n',
         "不能早于备案完成"),
    ],
)  # fmt: skip
def test_a_change_file_with_a_bad_date_reason_or_field_is_refused_without_a_traceback(
    url: str, pack: Pack, tmp_path: Path, text: str, problem: str
) -> None:
    filing_id = _certified(url, pack)
    code, out = run(
        url, "filings", "change", str(filing_id), "--file", _change_file(tmp_path, text), "--json"
    )
    assert code == 1, out
    problems = json.loads(out)["problems"]
    assert any(problem in p for p in problems), problems
    shown = json.loads(run(url, "filings", "show", str(filing_id), "--json")[1])
    assert len(shown["history"]) == 1 and shown["status"] == "certified"


def test_an_individuals_credential_number_is_masked_on_the_card(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)
    new_id = "330102199001010020"
    change = _change_file(
        tmp_path,
        f'reason: 更换负责人\nset: {{"subject.credential_number": "{new_id}", '
        f'"subject.responsible.id_number": "{new_id}"}}\n',
    )
    code, out = run(url, "filings", "change", str(filing_id), "--file", change)
    assert code == 0, out
    assert new_id not in out  # the text output is masked too
    cards = _rows(url, "select payload from outbox where kind = 'notice' and chat_id = 55")
    card = next(t for t in (_opened(p)["text"]["zh"] for (p,) in cards) if t.startswith("变更报告"))
    assert new_id not in card and "330106198506120015" not in card and new_id[-4:] in card


def test_a_change_s_deadline_in_a_year_without_published_holidays_is_marked_an_estimate(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """`filings change` printed a 2027 date as firm; /status and the plan mark it （估算）."""
    filing_id = _certified(url, pack)
    change = _change_file(
        tmp_path,
        'changed_on: 2026-12-18\nreason: 更换服务器\nset: {"website.ips": ["47.96.10.21"]}\n',
    )
    env = {"DATABASE_URL": url, "BEIAN_REVIEWERS": "55", "BEIAN_TODAY": "2026-12-20"}
    done = runner.invoke(app, ["filings", "change", str(filing_id), "--file", change], env=env)
    assert done.exit_code == 0, done.output
    assert "报告期限 2027-" in done.output and "（估算" in done.output
    english = runner.invoke(
        app, ["filings", "show", str(filing_id), "--lang", "en"], env=env
    ).output
    assert "history:" in english
    assert "change: 更换服务器" in english and "变更：" not in english  # the audit's own words
    again = _change_file(
        tmp_path, 'changed_on: 2026-12-19\nreason: 再换\nset: {"website.ips": ["47.96.10.22"]}\n'
    )
    shown = runner.invoke(
        app, ["filings", "change", str(filing_id), "--file", again, "--json"], env=env
    )
    assert json.loads(shown.output)["deadline_estimate"] is True, shown.output


def test_a_change_files_problems_are_told_in_the_language_asked_for(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """Problems of the file came in English under the default Chinese, and the field checks
    and the status in Chinese under --lang en."""
    import re

    filing_id = _certified(url, pack)
    change = _change_file(
        tmp_path, 'changed_on: 2099-01-01\nset: {"nope.x": 1, "website.ips": ["999.1.1.1"]}\n'
    )
    code, out = run(url, "filings", "change", str(filing_id), "--file", change)
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 4, lines  # the date, the reason, the unknown field, the bad IP
    for line in lines:  # each in Chinese after its key
        assert re.search(r"[\u4e00-\u9fff]", line), line
        assert not re.search(r"\b(the|not|cannot|required|no such)\b", line), line
    code, out = run(url, "filings", "change", str(filing_id), "--file", change, "--lang", "en")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 4, lines
    assert not [line for line in lines if re.search(r"[\u4e00-\u9fff]", line)], lines


def test_the_audit_s_fixed_words_are_english_in_an_english_show() -> None:
    """`filings show --lang en` printed the audit's own prefixes in Chinese (「第2步（…）」,
    「（申请人自报）」) and a return's reasons chosen from the buttons too."""
    from bot.cli_texts import _reason

    recorded = "第2步（异地公安局）（申请人自报）网站无法访问；材料不清晰；门牌号写错"
    english = _reason(recorded, "en", {"异地公安局": "Elsewhere PSB"})
    assert english == (
        "step 2 (Elsewhere PSB) (self-reported) the site cannot be reached; "
        "materials not legible; 门牌号写错"  # typed by a reviewer: as typed
    )
    assert _reason(recorded, "zh", {"异地公安局": "Elsewhere PSB"}) == recorded
    assert _reason("网站已开通", "en") == ""  # the event says it
    # a bureau's name with brackets of its own (the example pack's) is read whole
    bracketed = "第1步（示例市公安局网络安全保卫支队（示例数据，请替换））网站无法访问"
    named = {"示例市公安局网络安全保卫支队（示例数据，请替换）": "Example PSB"}
    assert _reason(bracketed, "en", named) == "step 1 (Example PSB) the site cannot be reached"
