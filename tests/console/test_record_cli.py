"""`beian filings record` (issue 28): the bureau's outcomes from the command line, through the
chat's own decision — audited as the operator, the applicant told, a refusal changing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli import app
from models import migrate, sealed
from models.db import make_engine
from tests.console.desk import APPLICANT, REVIEWER, seed

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'ops.db'}"
    migrate.upgrade(found)
    return found


@pytest.fixture
def ids(url: str) -> dict[str, int]:
    engine = make_engine(url)
    found = seed(engine).ids
    engine.dispose()
    return found


def record(url: str, *args: str) -> tuple[int, str, str]:
    env = {"DATABASE_URL": url, "BEIAN_REVIEWERS": str(REVIEWER), "BEIAN_TODAY": "2026-11-28"}
    done = runner.invoke(app, ["filings", "record", *args], env=env)
    return done.exit_code, done.stdout, done.stderr


def rows(url: str, sql: str) -> list[Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(sa.text(sql)))
    engine.dispose()
    return found


def _opened(payload: Any) -> Any:
    """An outbox payload as a raw query gives it: sealed (issue 26), opened here."""
    return sealed.open_json(payload, context="outbox.payload")


def test_a_return_is_recorded_as_the_operator_and_the_applicant_is_told(
    url: str, ids: dict[str, int]
) -> None:
    filing = ids["return"]
    code, out, _ = record(url, str(filing), "returned", "--on", "2026-11-27", "--reason",
                          "网站无法访问", "--reason", "材料不清晰", "--json")  # fmt: skip
    assert code == 0, out
    assert json.loads(out) == {"id": filing, "ok": True, "event": "returned",
                               "on": "2026-11-27", "status": "returned"}  # fmt: skip
    last = rows(url, f"select actor, to_status, reason from lifecycle_event where filing_id="
                f"{filing} order by id desc limit 1")  # fmt: skip
    assert last[0][:2] == ("operator:cli", "returned")
    reason = sealed.open_text(last[0][2], context="lifecycle_event.reason")  # sealed: typed
    assert reason.endswith("网站无法访问；材料不清晰")  # after 第1步（bureau）: two steps
    told = rows(url, f"select payload from outbox where kind='notice' and chat_id={APPLICANT} "
                f"and filing_id={filing} order by id desc limit 1")  # fmt: skip
    assert "原因：网站无法访问；材料不清晰" in _opened(told[0][0])["text"]["zh"]
    code, _, err = record(url, str(filing), "resubmitted", "--on", "2026-11-26")
    assert code == 1 and "日期不能早于这一步上次记录的日期（2026-11-27）" in err, err
    code, out, _ = record(url, str(filing), "resubmitted", "--on", "2026-11-27")
    assert code == 0, out


def test_a_refused_event_is_one_line_exit_1_and_changes_nothing(
    url: str, ids: dict[str, int]
) -> None:
    filing = ids["prepared"]
    before = rows(url, "select count(*) from lifecycle_event")
    code, out, err = record(url, str(filing), "initial-passed", "--on", "2026-11-27")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "不能初审通过" in err
    assert rows(url, "select count(*) from lifecycle_event") == before
    code, _, err = record(url, str(ids["certify"]), "certified", "--on", "2026-11-27",
                          "--psb-number", "京公网安备123号")  # fmt: skip
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _, err = record(url, str(ids["certify"]), "change-approved", "--on", "2026-11-27")
    assert code == 1 and "没有待审核的变更" in err
    code, _, err = record(url, str(ids["certify"]), "materials-received", "--on", "2026-11-27",
                          "--step", "2")  # fmt: skip
    assert code == 1 and "第2步不是正在办理的步骤" in err
    code, _, err = record(url, str(ids["return"]), "returned", "--on", "2026-12-01",
                          "--reason", "x")  # fmt: skip
    assert code == 1 and "日期不能在将来" in err
    assert rows(url, "select count(*) from lifecycle_event") == before


def test_a_certificate_and_the_icon_from_the_cli(url: str, ids: dict[str, int]) -> None:
    filing = ids["certify"]
    code, _, err = record(url, str(filing), "certified", "--on", "2026-11-27")
    assert code == 1 and "--psb-number：复审通过须填写公安备案号" in err, err
    psb = "京公网安备11010502030145号"
    for bad in ("SL\n9", "S" * 65):
        code, _, err = record(url, str(filing), "certified", "--on", "2026-11-27",
                              "--psb-number", psb, "--certificate", bad)  # fmt: skip
        assert code == 1 and "--certificate：备案证编号应为一行、最多64个字符" in err, err
    code, out, _ = record(url, str(filing), "certified", "--on", "2026-11-27", "--psb-number",
                          "京公网安备11010502030145号", "--certificate", "SL-9")  # fmt: skip
    assert code == 0 and out.startswith(f"#{filing} certified 2026-11-27"), out
    assert rows(url, f"select psb_number, certificate_number from filing where id={filing}") == [
        ("京公网安备11010502030145号", "SL-9")
    ]
    code, _, err = record(url, str(filing), "icon-placed", "--on", "2026-11-26")
    assert code == 1 and "不能早于备案完成（发证）的日期（2026年11月27日）" in err, err
    code, out, _ = record(url, str(filing), "icon-placed", "--on", "2026-11-28", "--json")
    assert code == 0 and json.loads(out)["ok"], out
    last = rows(url, f"select actor, reason from lifecycle_event where filing_id={filing} "
                "order by id desc limit 1")  # fmt: skip
    assert last[0][0] == "operator:cli"
    assert sealed.open_text(last[0][1], context="lifecycle_event.reason") == "已放置备案图标"
    told = rows(url, f"select payload from outbox where kind='notice' and chat_id={APPLICANT} "
                f"and filing_id={filing} order by id desc limit 1")  # fmt: skip
    assert "备案图标已放置" in _opened(told[0][0])["text"]["zh"]
    pending = rows(url, f"select payload from outbox where filing_id={filing} and "
                   "kind='reminder' and status='pending'")  # fmt: skip
    assert not [p for (p,) in pending if "icon" in json.dumps(_opened(p))]
    code, _, err = record(url, str(filing), "icon-placed", "--on", "2026-11-28")
    assert code == 1 and "没有等待放置的备案图标" in err
    env = {"DATABASE_URL": url, "BEIAN_TODAY": "2026-11-28"}
    shown = runner.invoke(app, ["filings", "show", str(filing), "--lang", "en"], env=env).stdout
    assert "  icon placed: " in shown and "  documents made: - →" in shown
    assert "已放置备案图标" not in shown and "record_icon" not in shown, shown
    assert " v1 confirmed " in shown, shown
    shown = runner.invoke(app, ["filings", "show", str(filing)], env=env).stdout
    assert "  已放置备案图标: " in shown and "  生成文件: - →" in shown, shown
    assert "record_icon" not in shown and "prepare" not in shown and " v1 确认 " in shown
    assert shown.count("已放置备案图标") == 1  # the label, not the same words again


def test_a_change_under_review_is_named_as_one(url: str, ids: dict[str, int]) -> None:
    from rules.lifecycle import FilingEvent as E
    from tests.console.desk import TODAY, moment
    from tests.fakes.filings import context, move

    engine = make_engine(url)
    tea = ids["certified"]
    move(engine, context(TODAY), tea, E.REPORT_CHANGE, at=moment("2026-11-20"),
         applicant=str(APPLICANT), reason="更换服务器")  # fmt: skip
    engine.dispose()
    code, _, err = record(url, str(tea), "returned", "--on", "2026-11-27", "--reason", "x")
    assert code == 1 and "change-returned" in err
    code, out, _ = record(url, str(tea), "change-returned", "--on", "2026-11-27", "--reason",
                          "变更说明不完整", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["ok"], out
    # the change was returned, not the filing: it stays certified with its number
    assert json.loads(out)["status"] == "certified"
    before = rows(url, f"select psb_number from filing where id={tea}")
    steps = rows(url, f"select steps from filing where id={tea}")[0][0]
    first = (json.loads(steps) if isinstance(steps, str) else steps)[0]
    assert first["status"] == "certified" and first["returned_on"] == "2026-11-27"
    assert before[0][0]
    told = rows(url, f"select payload from outbox where kind='notice' and chat_id={APPLICANT} "
                f"and filing_id={tea} order by id desc limit 1")  # fmt: skip
    said = _opened(told[0][0])["text"]["zh"]
    assert "退回了这次变更，原因：变更说明不完整" in said and "公安备案号不变" in said


def test_a_return_reason_over_500_characters_is_refused_whole_never_cut(
    url: str, ids: dict[str, int]
) -> None:
    """Issue 25 item 15: a reason cut for length was stored cut, unmarked. Now it is refused
    with its length and nothing is recorded; at 500 it is kept whole."""
    filing = ids["return"]
    code, out, err = record(url, str(filing), "returned", "--on", "2026-11-27",
                            "--reason", "理" * 501)  # fmt: skip
    assert code == 1
    assert "原因最多500字（这条501字），未记录" in err + out
    code, out, err = record(url, str(filing), "returned", "--on", "2026-11-27",
                            "--reason", "理" * 501, "--lang", "en")  # fmt: skip
    assert code == 1 and "at most 500 characters (this one has 501)" in err + out
    code, _, err = record(url, "999", "returned", "--on", "2026-11-27", "--reason", "x")
    assert code == 1 and "没有备案 #999" in err
    code, _, err = record(url, str(filing), "returned", "--on", "27.11", "--reason", "x")
    assert code == 1 and "不是日期" in err
    assert rows(url, f"select status from filing where id={filing}")[0][0] != "returned"
    code, out, _ = record(url, str(filing), "returned", "--on", "2026-11-27",
                          "--reason", "理" * 500)  # fmt: skip
    assert code == 0, out
    from sqlmodel import Session, col, select

    from models.tables import LifecycleEvent

    engine = make_engine(url)
    with Session(engine) as session:  # the reason is sealed at rest: read through the model
        reason = session.exec(
            select(LifecycleEvent.reason)
            .where(LifecycleEvent.filing_id == filing)
            .order_by(col(LifecycleEvent.id).desc())
        ).first()
    engine.dispose()
    assert reason is not None and "理" * 500 in reason


def test_a_site_filed_before_it_went_online_is_recorded_online_from_the_cli(
    url: str, ids: dict[str, int]
) -> None:
    """The terminal chat has no 网站已开通 button: whoever runs it records the day here, and the
    30 days (and their reminders) start from it."""
    from sqlmodel import Session

    from models.tables import Filing

    filing = ids["prepared"]
    engine = make_engine(url)
    with Session(engine) as session:  # filed before the site went online
        row = session.get(Filing, filing)
        assert row is not None
        row.connection_date = None
        row.data = {**row.data, "connection_date": None}
        session.add(row)
        session.commit()
    engine.dispose()
    code, _, err = record(url, str(filing), "online", "--on", "2026-11-29")
    assert code == 1 and "日期不能在将来" in err
    code, out, _ = record(url, str(filing), "online", "--on", "2026-11-26")
    assert code == 0, out
    assert out.startswith(f"#{filing} online 2026-11-26")
    assert "已记录：网站于2026年11月26日开通" in out
    assert "2026年12月28日" in out  # the 30th day a Saturday: the next working day
    assert rows(url, f"select connection_date from filing where id={filing}") == [("2026-11-26",)]
    actor = rows(url, f"select actor from filing_version where filing_id={filing} and "
                 "kind='online'")  # fmt: skip
    assert actor == [("operator:cli",)]  # not the applicant: the operator recorded it
    # The drafts said 「尚未开通」: made again, with the day in the 备案表.
    (delivery,) = rows(url, f"select id from outbox where filing_id={filing} and "
                       "kind='documents' and dedupe_key like '%:online:%'")  # fmt: skip
    _drafts_name_the_day(url, delivery[0], "2026年11月26日")
    pending = rows(url, f"select payload from outbox where filing_id={filing} and "
                   "kind='reminder' and status='pending'")  # fmt: skip
    assert any('"2026-12-28"' in json.dumps(_opened(p)) for (p,) in pending)
    code, _, err = record(url, str(filing), "online", "--on", "2026-11-26")
    assert code == 1 and "已经有开通日期" in err and len(err.strip().splitlines()) == 1


def _drafts_name_the_day(url: str, delivery_id: int, day: str) -> None:
    """Render a delivery as the bot would and find `day` in its 备案表."""
    import datetime as dt

    from bot.deliveries import prepare_documents, render_in_process
    from rules.enums import DocumentKind
    from tests.documents.pdf_text import page_texts, squeeze
    from tests.fakes.filings import context

    engine = make_engine(url)
    try:
        now = dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC)
        made = prepare_documents(engine, delivery_id, render_in_process, context(now.date()), now)
    finally:
        engine.dispose()
    assert made is not None
    form = next(d for d in made.documents if d.kind is DocumentKind.FILING_FORM)
    text = squeeze("".join(page_texts(form.pdf)))
    assert day in text and "尚未开通" not in text, text[:400]


def test_a_filing_number_already_another_filings_is_refused(url: str, ids: dict[str, int]) -> None:
    """The same 公安备案号 was taken for a second filing (a number is one site's)."""
    taken = "京公网安备11010502030143号"  # the seed's certified filing's
    code, _, err = record(url, str(ids["certify"]), "certified", "--on", "2026-11-27",
                          "--psb-number", taken)  # fmt: skip
    assert code == 1 and f"这个公安备案号已用于备案 #{ids['certified']}" in err, err
    assert rows(url, f"select psb_number from filing where id={ids['certify']}") == [(None,)]
    code, _, err = record(
        url,
        str(ids["certify"]),
        "certified",
        "--on",
        "2026-11-27",
        "--psb-number",
        "京公网安备11010502030145号",
        "--certificate",
        "SL-2026-001",
    )  # the seed's certified filing's
    assert code == 1 and f"这个备案证编号已用于备案 #{ids['certified']}" in err, err
    code, out, _ = record(url, str(ids["certify"]), "certified", "--on", "2026-11-27",
                          "--psb-number", "京公网安备11010502030145号")  # fmt: skip
    assert code == 0, out
    # Guizhou's numbers are written with 贵 or 黔: the same 14 digits are the same number
    race = str(ids["race"])
    for event in ("initial-passed", "materials-received"):
        assert record(url, race, event, "--on", "2026-11-27")[0] == 0
    code, _, err = record(
        url,
        race,
        "certified",
        "--on",
        "2026-11-27",
        "--psb-number",
        "京公网安备11010502030145号".replace("京", "津"),
    )
    assert code == 1 and "省级代码是12" in err, err  # 津 is 12: not Beijing's number
    assert record(url, str(ids["overdue"]), "initial-passed", "--on", "2026-11-27")[0] == 0
    code, _, err = record(url, race, "certified", "--on", "2026-11-27",
                          "--psb-number", "贵公网安备52010202001234号")  # fmt: skip
    assert code == 0, err
    assert record(url, str(ids["overdue"]), "materials-received", "--on", "2026-11-27")[0] == 0
    code, _, err = record(url, str(ids["overdue"]), "certified", "--on", "2026-11-27",
                          "--psb-number", "黔公网安备52010202001234号")  # fmt: skip
    assert code == 1 and f"这个公安备案号已用于备案 #{race}" in err, err
