"""A change that moves the site's server or maintenance changes the filing's route: a step never
submitted gives way to the new route's bureau (no step, button or reminder names a city the
site left), and the change's message tells only bureaus filed with to cancel."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import select

from bot.filing_actions import Reviewers, act
from bot.filing_status import describe
from bot.reminders import text_of
from dialogs.model import Context
from models.db import make_engine, session_scope
from models.filings import state_of
from models.tables import Filing, GeneratedDocument
from rules.enums import DocumentKind, FilingStatus
from rules.filing_life import Actor, Role, make_event
from rules.filing_state import FilingState, StepState, rerouted
from rules.lifecycle import FilingEvent
from rules.pack import Pack
from rules.reminders import Reminder
from rules.text import t
from rules.workdays import WorkdayCalendar
from tests.bot.test_cli_operators import NOW, _certified, _change_file, _opened, _rows, run
from tests.bot.test_cli_operators import url as url  # the fixture
from tests.documents.pdf_text import page_texts, squeeze

S = FilingStatus
NANJING = "江苏省南京市玄武区示例路1号机房"


def _show(url: str, filing_id: int) -> dict[str, object]:
    code, out = run(url, "filings", "show", str(filing_id), "--json")
    assert code == 0, out
    shown: dict[str, object] = json.loads(out)
    return shown


def _change(url: str, tmp_path: Path, filing_id: int, changes: str) -> dict[str, object]:
    path = _change_file(tmp_path, f"changed_on: 2026-11-30\nreason: 迁移服务器\nset: {changes}\n")
    code, out = run(url, "filings", "change", str(filing_id), "--file", path, "--json")
    assert code == 0, out
    done: dict[str, object] = json.loads(out)
    return done


def _addressed(url: str, kind: DocumentKind) -> str:
    """Whom the filing's one stored statement of `kind` is addressed to (its first lines)."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        (statement,) = s.exec(select(GeneratedDocument).where(GeneratedDocument.kind == kind)).all()
        head = squeeze(page_texts(statement.content)[0]).split("开办者")[0]
    engine.dispose()
    return head


def _second_bureau_reminders(url: str) -> list[tuple[str, dict[str, object]]]:
    rows = _rows(url, "select status, payload from outbox where kind = 'reminder'")
    found = [(str(status), _opened(payload)) for status, payload in rows]
    return [(status, p) for status, p in found if p["kind"] == "second_bureau"]


def test_moving_the_server_of_a_step_never_submitted_names_the_new_city_only(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """Maintained here, server in 杭州; certified here, 杭州 never submitted; the server moves to
    南京. Before: step 2 stayed 杭州 (status, button, reminder) and the message told the
    applicant to cancel at 杭州, where nothing was ever filed."""
    filing_id = _certified(url, pack, example="enterprise")
    before = _show(url, filing_id)
    assert [s["bureau"]["zh"] for s in before["steps"]][1].count("杭州") == 1  # type: ignore[index]
    done = _change(
        url,
        tmp_path,
        filing_id,
        f'{{"server_city": "南京", "website.server_address": "{NANJING}"}}',
    )
    advice = str(done["route_advice"])
    assert "南京" in advice and "新办理" in advice
    assert "杭州" in advice and "尚未提交，不必再办理" in advice
    assert "注销" not in advice  # nothing was filed in 杭州; this city stays on the route
    shown = _show(url, filing_id)
    steps = shown["steps"]
    assert isinstance(steps, list) and len(steps) == 2
    assert "南京" in steps[1]["bureau"]["zh"] and "杭州" not in json.dumps(
        steps, ensure_ascii=False
    )
    assert steps[1]["status"] == "prepared" and steps[0]["status"] == "change_reported"
    assert shown["current_step"] == 2
    pending = [p for status, p in _second_bureau_reminders(url) if status == "pending"]
    assert pending and all(p["step"] == 2 for p in pending)
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        assert "南京" in json.dumps(filing.route, ensure_ascii=False)
        ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=NOW.date())
        text = text_of(Reminder.from_json(pending[0]), filing, ctx, dt.date(2026, 12, 7))
        status = "\n".join(describe(filing, ctx, "zh", masked=False))
    assert "南京" in text.zh and "杭州" not in text.zh  # worded when sent, for the new city
    engine.dispose()
    # the written statement goes to the bureau the site is filed with, not to 南京 or 杭州
    head = _addressed(url, DocumentKind.CHANGE_REPORT)
    assert "致：示例市公安局" in head and "南京" not in head and "杭州" not in head
    assert "南京" in status and "杭州" not in status  # the applicant's /status


def test_a_returned_move_puts_the_step_never_submitted_back(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """The bureau returns the change: the answers go back to what it has (杭州), and so does
    the step never submitted, or the filing would name 南京 where its answers say 杭州."""
    filing_id = _certified(url, pack, example="enterprise")
    _change(
        url,
        tmp_path,
        filing_id,
        f'{{"server_city": "南京", "website.server_address": "{NANJING}"}}',
    )
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=NOW.date())
    engine = make_engine(url)
    returned = make_event(
        FilingEvent.RETURN, Actor(Role.OPERATOR, "test"), ctx.today, reasons=("地址不符",)
    )
    outcome = act(engine, filing_id, returned, ctx=ctx, clock=lambda: NOW, reviewers=Reviewers())
    engine.dispose()
    assert outcome.done, outcome.refusal
    shown = _show(url, filing_id)
    steps = shown["steps"]
    assert isinstance(steps, list) and len(steps) == 2 and shown["current_step"] == 2
    assert steps[0]["status"] == "certified" and steps[0]["psb_number"]
    assert "杭州" in steps[1]["bureau"]["zh"] and "南京" not in json.dumps(
        steps, ensure_ascii=False
    )
    assert shown["answers"]["server_city"] == "杭州"  # type: ignore[index]


def test_moving_the_server_home_drops_the_step_never_submitted_and_its_reminder(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack, example="enterprise")
    assert any(status == "pending" for status, _p in _second_bureau_reminders(url))
    done = _change(
        url,
        tmp_path,
        filing_id,
        '{"server": "local", "server_city": null, "website.server_address": "示例市高新区1号机房"}',
    )
    advice = str(done["route_advice"])
    assert "尚未提交，不必再办理" in advice and "注销" not in advice
    shown = _show(url, filing_id)
    steps = shown["steps"]
    assert isinstance(steps, list) and len(steps) == 1 and shown["current_step"] == 1
    assert shown["status"] == "change_reported"
    assert all(status != "pending" for status, _p in _second_bureau_reminders(url))


def test_a_site_filed_here_alone_whose_server_moves_away_gets_the_second_step(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)  # maintained and served here: one step, certified
    done = _change(
        url, tmp_path, filing_id, f'{{"server": "elsewhere", "server_city": "南京", '
        f'"website.server_address": "{NANJING}"}}'
    )  # fmt: skip
    assert "南京" in str(done["route_advice"]) and "向示例市" in str(done["route_advice"])
    shown = _show(url, filing_id)
    steps = shown["steps"]
    assert isinstance(steps, list) and len(steps) == 2 and shown["current_step"] == 2
    assert "南京" in steps[1]["bureau"]["zh"] and steps[1]["status"] == "prepared"
    assert steps[0]["psb_number"]  # the certified step keeps its number


def _step(order: int, city: str, status: FilingStatus, local: bool = False) -> StepState:
    return StepState(order=order, local=local, bureau=t(f"{city}公安", city), status=status)


@pytest.mark.parametrize(
    ("steps", "current", "route", "expected", "expected_current"),
    [
        # a step under review where the site left: withdrawn there, the new city in progress
        (
            [("示例市", S.CERTIFIED), ("杭州", S.SUBMITTED)],
            2,
            [("示例市", S.PREPARED), ("南京", S.PREPARED)],
            [("示例市", S.CERTIFIED), ("南京", S.PREPARED)],
            2,
        ),
        # a certified step where the site left stays (it cancels there); the new one follows
        (
            [("示例市", S.CERTIFIED), ("杭州", S.CERTIFIED)],
            2,
            [("示例市", S.PREPARED), ("南京", S.PREPARED)],
            [("示例市", S.CERTIFIED), ("杭州", S.CERTIFIED), ("南京", S.PREPARED)],
            3,
        ),
        # a step under review where the site stays: still in progress
        (
            [("示例市", S.CERTIFIED), ("杭州", S.RETURNED)],
            2,
            [("示例市", S.PREPARED), ("杭州", S.PREPARED)],
            [("示例市", S.CERTIFIED), ("杭州", S.RETURNED)],
            2,
        ),
        # the route left this city's scope: the step never submitted goes, nothing is added
        ([("示例市", S.CERTIFIED), ("杭州", S.PREPARED)], 2, [], [("示例市", S.CERTIFIED)], 1),
        # the route is the same: nothing moves
        (
            [("示例市", S.CERTIFIED), ("杭州", S.PREPARED)],
            2,
            None,
            [("示例市", S.CERTIFIED), ("杭州", S.PREPARED)],
            2,
        ),
    ],
)
def test_rerouted_keeps_filed_steps_and_replaces_the_rest(
    steps: list[tuple[str, FilingStatus]],
    current: int,
    route: list[tuple[str, FilingStatus]] | None,
    expected: list[tuple[str, FilingStatus]],
    expected_current: int,
) -> None:
    state = FilingState(
        tuple(_step(i, c, st, i == 1) for i, (c, st) in enumerate(steps, 1)), current
    )
    new = (
        None
        if route is None
        else tuple(_step(i, c, st, i == 1) for i, (c, st) in enumerate(route, 1))
    )
    after = rerouted(state, new)
    assert [(s.bureau.en, s.status) for s in after.steps] == expected
    assert [s.order for s in after.steps] == list(range(1, len(expected) + 1))
    assert after.current == expected_current


def test_a_change_before_any_step_is_certified_is_still_refused(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack, example="enterprise", up_to=FilingEvent.SUBMIT)
    path = _change_file(tmp_path, 'reason: 迁移\nset: {"server_city": "南京"}\n')
    code, out = run(url, "filings", "change", str(filing_id), "--file", path)
    assert code == 1 and "取得公安备案号后" in out


def _advice(done: dict[str, object]) -> str:
    return str(done["route_advice"])


def test_a_step_under_review_where_the_site_left_is_withdrawn_and_the_new_city_goes_on(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """杭州 was submitted (under review) when the server moved to 南京: the filing kept 杭州 in
    progress and 南京 as a third step nobody could record anything on."""
    filing_id = _certified(url, pack, example="enterprise")
    assert run(url, "filings", "record", str(filing_id), "submitted", "--on", "2026-11-30")[0] == 0
    done = _change(
        url,
        tmp_path,
        filing_id,
        f'{{"server_city": "南京", "website.server_address": "{NANJING}"}}',
    )
    assert "撤回在那里提交的备案申请" in _advice(done) and "杭州" in _advice(done)
    shown = _show(url, filing_id)
    steps = shown["steps"]
    assert isinstance(steps, list) and [s["status"] for s in steps] == [
        "change_reported",
        "prepared",
    ]
    assert "南京" in steps[1]["bureau"]["zh"] and shown["current_step"] == 2
    code, out = run(
        url, "filings", "record", str(filing_id), "submitted", "--on", "2026-11-30", "--step", "2"
    )
    assert code == 0, out


def test_the_team_moving_to_the_server_s_city_names_that_bureau_once(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """The same bureau (杭州) was labelled as the maintenance place's and as the server's: the
    advice said it both needed a new filing and was no longer needed."""
    filing_id = _certified(url, pack, example="enterprise")
    done = _change(
        url, tmp_path, filing_id, '{"maintenance": "elsewhere", "maintenance_city": "杭州"}'
    )
    advice = _advice(done)
    assert "新办理" not in advice and "不必再办理" not in advice, advice
    assert "杭州" in advice and "仍待办理" in advice
    assert "本市这份备案在报告变更后应注销" in advice and "/close_site" not in advice


def test_both_certified_bureaus_swapping_roles_are_each_told_once(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """Maintained in 上海 and served here, both certified; the team comes here and the server
    goes to 上海: the same two bureaus. Before: cancel at 上海 and file anew at 上海, and a third
    step 上海 in progress."""
    filing_id = _certified(url, pack, example="government")
    for event in ("submitted", "initial-passed", "materials-received"):
        assert run(url, "filings", "record", str(filing_id), event, "--on", "2026-11-30")[0] == 0
    code, out = run(url, "filings", "record", str(filing_id), "certified", "--on", "2026-11-30",
                    "--psb-number", "京公网安备11010502030144号")  # fmt: skip
    assert code == 0, out
    done = _change(
        url,
        tmp_path,
        filing_id,
        '{"maintenance": "local", "maintenance_city": null, "server": "elsewhere", '
        '"server_city": "上海", "website.server_address": "上海市浦东新区示例路1号"}',
    )
    advice = _advice(done)
    assert "新办理" not in advice and "注销" not in advice, advice
    assert advice.count("报告这次变更") == 2
    assert len(_show(url, filing_id)["steps"]) == 2  # type: ignore[arg-type]


def test_this_city_s_step_is_known_whatever_the_pack_calls_its_bureau_now(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """The pack's bureau renamed since the filing (the example's name asks to be replaced):
    this city's certified step was taken for another bureau, and a second 示例市 step added."""
    filing_id = _certified(url, pack)
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        old = {"zh": "示例市公安局网安支队", "en": "Old PSB"}
        filing.steps = [{**filing.steps[0], "bureau": old}]
        filing.route = {**filing.route, "steps": [{**filing.route["steps"][0], "bureau": old}]}
        s.add(filing)
    engine.dispose()
    done = _change(
        url, tmp_path, filing_id, f'{{"server": "elsewhere", "server_city": "南京", '
        f'"website.server_address": "{NANJING}"}}'
    )  # fmt: skip
    assert "仍待办理" not in _advice(done) and "报告这次变更" in _advice(done)
    steps = _show(url, filing_id)["steps"]
    assert isinstance(steps, list) and len(steps) == 2 and "南京" in steps[1]["bureau"]["zh"]


def test_moving_back_to_a_certified_city_reports_there_rather_than_filing_anew(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack, example="enterprise")
    for event in ("submitted", "initial-passed", "materials-received"):
        assert run(url, "filings", "record", str(filing_id), event, "--on", "2026-11-30")[0] == 0
    assert run(url, "filings", "record", str(filing_id), "certified", "--on", "2026-11-30",
               "--psb-number", "浙公网安备33011002000001号")[0] == 0  # fmt: skip
    _change(
        url,
        tmp_path,
        filing_id,
        f'{{"server_city": "南京", "website.server_address": "{NANJING}"}}',
    )
    assert (
        run(url, "filings", "record", str(filing_id), "change-approved", "--on", "2026-11-30")[0]
        == 0
    )
    done = _change(
        url,
        tmp_path,
        filing_id,
        '{"server_city": "杭州", "website.server_address": "浙江省杭州市余杭区1号"}',
    )
    advice = _advice(done)
    assert "新办理" not in advice and "南京" in advice and "不必再办理" in advice, advice
    steps = _show(url, filing_id)["steps"]
    assert isinstance(steps, list) and len(steps) == 2 and "杭州" in steps[1]["bureau"]["zh"]


def test_a_second_step_added_by_a_change_does_not_ask_for_the_going_online_day(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """A certified site filed before it went online (no day recorded): its new second step,
    prepared, made it look unsubmitted, and /status asked for the day it went online."""
    from rules.filing_state import awaits_online

    filing_id = _certified(url, pack)
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        filing.connection_date = None  # confirmed with a planned day, before going online
        filing.data = {**filing.data, "connection_date": None, "planned_online_date": "2026-11-20"}
        s.add(filing)
    done = _change(
        url, tmp_path, filing_id, f'{{"server": "elsewhere", "server_city": "南京", '
        f'"website.server_address": "{NANJING}"}}'
    )  # fmt: skip
    assert done["ok"]
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None and filing.current_step == 2
        assert not awaits_online(state_of(filing))
    engine.dispose()


def test_a_cancellation_statement_goes_to_the_bureaus_filed_with_only(url: str, pack: Pack) -> None:
    """Certified here, 杭州 never submitted: the statement was addressed to 杭州 too."""
    filing_id = _certified(url, pack, example="enterprise")
    code, out = run(url, "filings", "cancel", str(filing_id), "--reason", "网站已关闭")
    assert code == 0, out
    head = _addressed(url, DocumentKind.CANCELLATION)
    assert "致：示例市公安局" in head and "杭州" not in head


def _certify_step(url: str, filing_id: int, psb: str) -> None:
    for event in ("submitted", "initial-passed", "materials-received"):
        assert run(url, "filings", "record", str(filing_id), event, "--on", "2026-11-30")[0] == 0
    code, out = run(url, "filings", "record", str(filing_id), "certified", "--on", "2026-11-30",
                    "--psb-number", psb)  # fmt: skip
    assert code == 0, out


def test_the_same_city_written_another_way_is_the_same_bureau(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """杭州 and 杭州市 were two bureaus: cancel at one, file anew at the other, a third step."""
    filing_id = _certified(url, pack, example="enterprise")
    _certify_step(url, filing_id, "浙公网安备33011002000001号")
    done = _change(url, tmp_path, filing_id, '{"server_city": "杭州市"}')
    assert "新办理" not in str(done["route_advice"]) and "注销" not in str(done["route_advice"])
    assert len(_show(url, filing_id)["steps"]) == 2  # type: ignore[arg-type]


def test_a_returned_move_keeps_what_was_submitted_meanwhile(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """The server moved to 上海, 上海 was submitted, then the bureau returned the change: the
    submission there vanished with the move undone."""
    filing_id = _certified(url, pack)
    _change(url, tmp_path, filing_id, '{"server": "elsewhere", "server_city": "上海", '
            '"website.server_address": "上海市浦东新区示例路1号"}')  # fmt: skip
    assert run(url, "filings", "record", str(filing_id), "submitted", "--on", "2026-11-30")[0] == 0
    code, out = run(url, "filings", "record", str(filing_id), "change-returned", "--on",
                    "2026-11-30", "--reason", "材料不全")  # fmt: skip
    assert code == 0, out
    steps = _show(url, filing_id)["steps"]
    assert isinstance(steps, list) and [s["status"] for s in steps] == ["certified", "submitted"]
    assert "上海" in steps[1]["bureau"]["zh"]


def _strip_cities(url: str, filing_id: int) -> None:
    """The filing as stored before steps kept their city."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        filing.steps = [{k: v for k, v in step.items() if k != "city"} for step in filing.steps]
        filing.route = {**filing.route, "steps": [
            {k: v for k, v in step.items() if k != "city"} for step in filing.route["steps"]
        ]}  # fmt: skip
        s.add(filing)
    engine.dispose()


def test_a_filing_stored_before_steps_kept_their_city_keeps_its_steps_on_a_return(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack, example="enterprise")
    assert run(url, "filings", "record", str(filing_id), "submitted", "--on", "2026-11-30")[0] == 0
    _change(url, tmp_path, filing_id, '{"security_officer.mobile": "13900139001"}')
    _strip_cities(url, filing_id)
    code, out = run(url, "filings", "record", str(filing_id), "change-returned", "--on",
                    "2026-11-30", "--reason", "号码不符")  # fmt: skip
    assert code == 0, out
    steps = _show(url, filing_id)["steps"]
    assert isinstance(steps, list) and [s["status"] for s in steps] == ["certified", "submitted"]


def test_moving_out_of_this_city_keeps_a_step_under_review_still_on_the_route(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    """From the CLI (the chat refuses it): the team moves to 杭州, where the server is and the
    application is under review; the advice said report there, and the step was dropped."""
    filing_id = _certified(url, pack, example="enterprise")
    assert run(url, "filings", "record", str(filing_id), "submitted", "--on", "2026-11-30")[0] == 0
    done = _change(
        url, tmp_path, filing_id, '{"maintenance": "elsewhere", "maintenance_city": "杭州"}'
    )
    assert "在备案系统中同样修改" in str(done["route_advice"])
    steps = _show(url, filing_id)["steps"]
    assert isinstance(steps, list) and [s["status"] for s in steps] == [
        "change_reported",
        "submitted",
    ]
    assert "网站系统维护地（杭州）" in steps[1]["bureau"]["zh"]  # its label follows its role


def test_a_change_report_names_this_city_s_bureau_as_the_pack_names_it_now(
    url: str, pack: Pack, tmp_path: Path
) -> None:
    filing_id = _certified(url, pack)
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        filing.steps = [{**filing.steps[0], "bureau": {"zh": "示例市公安局网安支队", "en": "Old"}}]
        s.add(filing)
    engine.dispose()
    _change(url, tmp_path, filing_id, '{"security_officer.mobile": "13900139001"}')
    head = _addressed(url, DocumentKind.CHANGE_REPORT)
    assert f"致：{pack.bureau.name.zh}" in head and "网安支队" not in head.replace(
        pack.bureau.name.zh, ""
    )


def test_each_certified_bureau_s_icon_line_names_it(url: str, pack: Pack) -> None:
    """Two certified steps gave two 「备案图标：还没有放置」 lines, neither saying whose."""
    filing_id = _certified(url, pack, example="enterprise")
    _certify_step(url, filing_id, "浙公网安备33011002000001号")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=NOW.date())
    engine = make_engine(url)
    with session_scope(engine) as s:
        filing = s.get(Filing, filing_id)
        assert filing is not None
        lines = [line for line in describe(filing, ctx, "zh", masked=False) if "备案图标" in line]
    engine.dispose()
    assert len(lines) == 2 and "示例市" in lines[0] and "杭州" in lines[1], lines
