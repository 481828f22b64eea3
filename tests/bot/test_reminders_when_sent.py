"""Reminders say what is true when they are sent (issue 25): after the bot was down, only the
reminder of each series that is true that day goes, with the days really left; one made moot
by an event since it was claimed is not sent; `beian remind --dry-run` shows exactly what
`--once` then sends. Through the real dispatcher, the real `beian` CLI and the local Bot API."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models import migrate
from models.db import session_scope
from models.tables import OutboxMessage
from rules.enums import OutboxStatus
from rules.filing_life import Actor, Role
from rules.lifecycle import FilingEvent as E
from rules.pack import Pack
from rules.reminder_kinds import KINDS, ReminderKind
from rules.reminders import ACTIONS, Reminder, reminder_text, series
from rules.workdays import WorkdayCalendar
from tests.bot.test_reminders import APPLICANT, REVIEWER, SUPERVISOR, World, at
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

BEIAN = Path(sys.executable).parent / "beian"
applicant = Actor(Role.APPLICANT, str(APPLICANT))
reviewer = Actor(Role.REVIEWER, str(REVIEWER))


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'remind.db'}"
    migrate.upgrade(found)
    return found


def _snapshot(world: World) -> list[tuple[Any, ...]]:
    """Every outbox row as the dispatcher would change it."""
    with session_scope(world.engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        return [(r.id, r.status, r.claimed_by, r.lease_until, r.attempts, r.sent_at) for r in rows]


def _closed(world: World) -> dict[str, str | None]:
    """The filing's reminder rows by phase: their status, and why when closed unsent."""
    with session_scope(world.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        return {
            f"{r.payload['kind']}:{r.payload['phase']}": (
                r.last_error if r.status is OutboxStatus.CANCELLED else r.status.value
            )
            for r in rows
        }


def test_after_a_downtime_one_true_reminder_goes_per_series_with_the_days_really_left(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))  # to file by Monday 12-21
    world.now = at("2026-12-19")  # down since 12-13: "7 days" (12-14) and "3 days" (12-18) due
    assert world.dispatch().sent == 1
    [(chat, text)] = world.sent()
    assert chat == APPLICANT and "还有2天" in text  # counted from today, not from the plan
    assert "请最迟于2026年12月21日星期一（含当日）在备案系统提交" in text
    world.now = at("2026-12-22", "10:00")  # down again: "1 day", "today", "overdue" all due
    assert world.dispatch().sent == 1
    assert len(world.sent()) == 2
    text = world.sent()[-1][1]
    assert "已逾期1天" in text and "还有" not in text and "最后一天" not in text
    assert _closed(world) == {
        "filing:before-7": "superseded",
        "filing:before-3": "sent",
        "filing:before-1": "superseded",
        "filing:day": "superseded",
        "filing:overdue": "sent",
    }


def test_a_late_run_sends_only_overdue_with_the_days_it_is_overdue(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))
    world.now = at("2026-12-25")  # every reminder of the series is due at once
    counts = world.dispatch()
    assert (counts.sent, counts.skipped) == (1, 4)
    [(_, text)] = world.sent()
    assert "已逾期4天" in text and "后果" in text


def test_a_reminder_whose_day_has_passed_is_closed_even_before_the_next_one_goes(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))  # to file by Monday 12-21
    world.now = at("2026-12-21", "08:00")  # "1 day left" (12-20) is due, and no longer true
    assert world.dispatch().sent == 0  # today's reminder goes at 09:30
    world.now = at("2026-12-22", "08:30")  # that one was missed too; "overdue" goes at 09:30
    assert world.dispatch().sent == 0  # "today is the last day" is not sent on the day after
    world.now = at("2026-12-22", "09:30")
    assert world.dispatch().sent == 1
    [(_, text)] = world.sent()
    assert "已逾期1天" in text


def test_materials_count_the_working_days_really_left(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-03", "08:00")
    world.act(E.SUBMIT, applicant)
    world.now = at("2026-11-04", "08:00")
    world.act(E.PASS_INITIAL_REVIEW, reviewer)  # materials by Wednesday 11-11
    world.now = at("2026-11-10")  # "2 working days" was for Monday 11-09, missed
    world.dispatch()
    texts = [text for chat, text in world.sent() if chat == APPLICANT]
    assert len(texts) == 1 and "还有1个工作日" in texts[0]
    assert "请最迟于2026年11月11日星期三（含当日）" in texts[0]
    world.now = at("2026-11-06")  # a Friday, before the weekend: 3 working days, not 5 days
    assert _days_left_text(world, "materials", dt.date(2026, 11, 11)) == "还有3个工作日"


def _days_left_text(world: World, kind: str, due: dt.date) -> str:
    ctx = world.context()
    reminder = Reminder(kind, 1, due, due, "applicant", "before-2")
    text = reminder_text(reminder, ctx.pack, ctx.calendar, site="s", bureau=ctx.pack.bureau.name,
                         today=world.now.date()).zh  # fmt: skip
    found = re.search(r"还有\d+(个工作日|天)", text)
    assert found is not None, text
    return found.group(0)


def test_a_late_review_reminder_names_the_bureau_as_the_one_overdue(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-03", "08:00")
    world.act(E.SUBMIT, applicant)  # the initial review is due Tuesday 11-10
    world.now = at("2026-11-20")
    world.dispatch()  # with a supervisor: the escalation alone goes, not "today is the last day"
    [(chat, text)] = world.sent()
    assert chat == SUPERVISOR and "已逾期10天" in text and "最后一天" not in text
    bureau = pack.bureau.name.zh
    assert f"{bureau}应最迟于2026年11月10日星期二（含当日）完成初审" in text


def test_without_a_supervisor_the_reviewers_hear_the_review_is_overdue(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-03", "08:00")
    world.act(E.SUBMIT, applicant)
    world.now = at("2026-11-20")
    world.dispatch(supervisor=None)
    [(chat, text)] = world.sent()
    assert chat == REVIEWER and "已逾期10天" in text


def test_a_reminder_made_moot_after_its_claim_is_not_sent(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    """收到材料 recorded while the dispatcher is busy with a batch that holds the materials
    reminder: it is not sent (the claim is judged again right before each send)."""
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-03", "08:00")
    world.act(E.SUBMIT, applicant)
    other = world.add_filing(8302, dt.date(2026, 11, 4))  # another applicant: "7 days" on 11-27
    world.now = at("2026-11-04", "08:00")
    world.act(E.PASS_INITIAL_REVIEW, reviewer)  # materials by 11-11, "1 working day" on 11-10
    with session_scope(world.engine) as s:  # the other's reminder goes first in the batch
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.filing_id == other)).all()
        row = next(r for r in rows if r.payload["phase"] == "before-7")
        row.due_at = at("2026-11-09")
        s.add(row)
    world.now = at("2026-11-10")
    fake.slow("sendMessage", 1.0)  # the first send takes a second; meanwhile 收到材料

    def receive_materials() -> None:
        fake.wait_until(lambda: "sendMessage" in fake.arrivals, 10)
        world.act(E.RECEIVE_MATERIALS, reviewer)

    during = threading.Thread(target=receive_materials)
    during.start()
    counts = world.dispatch(concurrency=1)
    during.join()
    to_applicant = [text for chat, text in world.sent() if chat == APPLICANT]
    assert not any("材料" in text and "⏰" in text for text in to_applicant), to_applicant
    assert counts.sent == 1 and counts.skipped == 2  # "2 working days" superseded at the claim
    with session_scope(world.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.filing_id == world.filing_id)).all()
        materials = [r for r in rows if r.kind == "reminder" and r.payload["kind"] == "materials"]
        assert {r.status for r in materials} == {OutboxStatus.CANCELLED}


def test_every_reminder_names_only_the_button_it_carries_and_english_has_no_full_width_brackets(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    due = dt.date(2026, 12, 21)
    kinds = list(ReminderKind)
    seen = 0
    for kind in kinds:
        for reminder in series(kind, 1, due, cal, today=dt.date.min):
            for today in (reminder.send_on, due, due + dt.timedelta(days=3)):
                text = reminder_text(reminder, pack, cal, site="站", bureau=pack.bureau.name,
                                     today=today)  # fmt: skip
                button = ACTIONS.get(kind) if reminder.to == "applicant" else None
                named_zh = set(re.findall(r"点“([^”]+)”", text.zh))
                named_en = set(re.findall(r"[Pp]ress “([^”]+)”", text.en))
                assert named_zh == ({button.zh} if button else set()), text.zh
                assert named_en == ({button.en} if button else set()), text.en
                english = text.en.replace(pack.bureau.name.en, "").replace("站", "")
                assert not set("（）：，。；") & set(english), text.en
                assert not re.search(r"日前|\bby \d{4}-", text.zh + text.en), text
                if KINDS[kind].period is not None:  # a deadline (not counted from a day)
                    assert re.search(r"最迟于\d{4}年\d+月\d+日星期.（含当日）", text.zh), text.zh
                    assert re.search(r"on or before \w+day \d{4}-\d\d-\d\d", text.en), text.en
                seen += 1
    assert seen > 50


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BEIAN), "remind", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_dry_run_shows_exactly_what_remind_once_then_sends(
    url: str, pack: Pack, fake: FakeBotAPI, language: str
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))  # to file by 12-21
    second = world.add_filing(8302, dt.date(2026, 11, 24), language)  # by 12-24
    world.engine.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "BEIAN_NOW": "2026-12-22T10:00:00+08:00",  # the bot was down from 12-13
        "BEIAN_INSTANCE": "remind-test",
        "BEIAN_REMIND_RATE": "0",
        "BEIAN_REVIEWERS": str(REVIEWER),
    }
    env.pop("BEIAN_SUPERVISOR_CHAT", None)
    before = _snapshot(world)
    planned = sorted(json.loads(_cli(env, "--dry-run", "--json")), key=lambda p: p["filing"])
    assert fake.calls == [] and _snapshot(world) == before  # nothing sent, nothing marked
    assert [(p["filing"], p["to"], p["kind"], p["due"]) for p in planned] == [
        (world.filing_id, "applicant", "filing", "2026-12-21"),
        (second, "applicant", "filing", "2026-12-24"),
    ]
    assert set(planned[0]) == {"filing", "to", "kind", "due", "text"}
    assert "已逾期1天" in planned[0]["text"]
    assert ("2 days left" if language == "en" else "还有2天") in planned[1]["text"]
    shown = _cli(env, "--dry-run")
    assert planned[0]["text"].splitlines()[0] in shown
    assert json.loads(_cli(env, "--once", "--json"))["sent"] == 2
    sent = {int(c.params["chat_id"]): c.params["text"] for c in fake.calls_of("sendMessage")}
    assert sent == {APPLICANT: planned[0]["text"], 8302: planned[1]["text"]}
    assert json.loads(_cli(env, "--dry-run", "--json")) == []  # all of it went
