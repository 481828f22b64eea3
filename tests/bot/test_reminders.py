"""Reminders (issue 13) through the real dispatcher and a real Bot client against the local
Bot API server: a frozen clock walked day by day through a filing's life around the 2026
National Day holiday, quiet hours, a restart, 403 and 429, and the .ics parsed back."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from icalendar import Calendar
from sqlmodel import select
from telegram import Bot

from bot.calendar import calendar_of
from bot.filing_actions import Reviewers, act, plan_filing_reminders
from bot.reminders import due_now
from bot.submission import filing_from
from bot.tg import ui
from bot.tg.reminders import Pacer, dispatch
from dialogs.model import Context
from models import migrate, sealed
from models.db import make_engine, session_scope
from models.filings import add_reviewer, deadline_dates, stop_reminders
from models.repo import create_filing, get_or_create_applicant
from models.tables import Filing, OutboxMessage
from rules.answers import FilingAnswers
from rules.enums import OutboxStatus
from rules.filing_life import Actor, Role, make_event
from rules.lifecycle import FilingEvent as E
from rules.pack import Pack
from rules.reminders import SHANGHAI, next_send, quiet, series
from rules.workdays import WorkdayCalendar
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPLICANT, REVIEWER, SUPERVISOR = 8301, 9301, 7301
PSB = "京公网安备11010502030143号"


def at(day: str, time: str = "09:30") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


class World:
    """A database with one filing of the individual example, a clock and a dispatcher."""

    def __init__(self, url: str, pack: Pack, fake: FakeBotAPI, connected: dt.date) -> None:
        self.engine = make_engine(url)
        self.pack, self.fake = pack, fake
        self.now = at(connected.isoformat())
        self.reviewers = Reviewers()
        with session_scope(self.engine) as s:
            add_reviewer(s, REVIEWER, "审核", self.now)
        self.filing_id = self.add_filing(APPLICANT, connected)

    def add_filing(self, chat: int, connected: dt.date, language: str = "zh") -> int:
        """Add a filing of the individual example online since `connected`, its applicant
        reminded in `chat`; its 30 days' reminders planned now."""
        raw = yaml.safe_load((EXAMPLES / "individual.yaml").read_text(encoding="utf-8"))
        raw["connection_date"] = connected.isoformat()
        answers = FilingAnswers.model_validate(raw)
        ctx = self.context()
        with session_scope(self.engine) as s:
            who = get_or_create_applicant(session=s, channel="telegram", external_id=str(chat))
            who.language = language
            row = filing_from(answers, ctx, who.id or 0, 0)
            row.interview_id = None
            filing = create_filing(session=s, filing=row, actor=f"applicant:{chat}", now=self.now)
            plan_filing_reminders(s, filing, ctx, self.now, chat)
            return filing.id or 0

    def context(self) -> Context:
        cal = WorkdayCalendar(self.pack.calendar)
        return Context(pack=self.pack, calendar=cal, today=self.now.astimezone(SHANGHAI).date())

    def act(self, event: E, who: Actor) -> None:
        outcome = act(
            self.engine,
            self.filing_id,
            make_event(event, who, self.context().today, psb_number=PSB),
            ctx=self.context(),
            clock=lambda: self.now,
            reviewers=self.reviewers,
            applicant_external_id=str(APPLICANT),
        )
        assert outcome.done, outcome.refusal

    def dispatch(
        self, *, supervisor: int | None = SUPERVISOR, own: bool = False, concurrency: int = 4
    ) -> Any:
        async def run() -> Any:
            async with Bot(TOKEN, base_url=f"{self.fake.base_url}/bot") as bot:
                return await dispatch(
                    self.engine,
                    bot,
                    context=self.context,
                    clock=lambda: self.now,
                    worker="test",
                    reviewers=self.reviewers,
                    button_key=ui.button_key(TOKEN),
                    supervisor_chat=supervisor,
                    pacer=Pacer(None),
                    own=own,
                    concurrency=concurrency,
                )

        return asyncio.run(run())

    def sent(self) -> list[tuple[int, str]]:
        return [
            (int(c.params["chat_id"]), str(c.params["text"]))
            for c in self.fake.calls_of("sendMessage")
            if c.status == 200
        ]


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'remind.db'}"
    migrate.upgrade(found)
    return found


def test_a_filings_life_walked_day_by_day_sends_each_reminder_once(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 9, 1))
    applicant, reviewer = Actor(Role.APPLICANT, str(APPLICANT)), Actor(Role.REVIEWER, str(REVIEWER))
    events = {  # done at 08:00 on these days, before the day's reminders go
        dt.date(2026, 10, 6): (E.SUBMIT, applicant),
        dt.date(2026, 10, 13): (E.PASS_INITIAL_REVIEW, reviewer),
        dt.date(2026, 10, 20): (E.RECEIVE_MATERIALS, reviewer),
        dt.date(2026, 10, 23): (E.CERTIFY, reviewer),
    }
    by_day: dict[dt.date, list[tuple[int, str]]] = {}
    day = dt.date(2026, 9, 1)
    while day <= dt.date(2026, 11, 20):
        if day in events:
            world.now = at(day.isoformat(), "08:00")
            world.act(*events[day])
        before = len(world.sent())
        world.now = at(day.isoformat(), "09:30")
        world.dispatch()
        world.now = at(day.isoformat(), "22:00")  # quiet hours: nothing more goes
        world.dispatch()
        new = world.sent()[before:]
        if new:
            by_day[day] = new
        day += dt.timedelta(days=1)
    got = {d.isoformat(): [chat for chat, _ in msgs] for d, msgs in by_day.items()}
    assert got == {
        # 30 days from 09-01 end on 10-01, a holiday: the deadline rolls to 10-08
        "2026-10-01": [APPLICANT],  # 7 days before
        "2026-10-05": [APPLICANT],  # 3 days before; submitted on 10-06: no more
        "2026-10-12": [REVIEWER],  # initial review due 10-13 (after the holiday and 10-10)
        "2026-10-16": [APPLICANT],  # materials due 10-20: 2 working days before
        "2026-10-19": [APPLICANT],  # 1 working day before; received on 10-20: no more
        "2026-10-22": [REVIEWER],  # re-review due 10-23; certified that morning
        "2026-10-30": [APPLICANT],  # icon: 7 days after certification
        "2026-11-17": [APPLICANT],  # icon: 25 days after
    }
    texts = {d.isoformat(): msgs[0][1] for d, msgs in by_day.items()}
    assert "还有7天" in texts["2026-10-01"]
    assert "请最迟于2026年10月8日星期四（含当日）" in texts["2026-10-01"]
    assert f"依据：{pack.periods.filing.basis.zh}" in texts["2026-10-01"]
    assert "还有1个工作日" in texts["2026-10-12"] and "完成初审" in texts["2026-10-12"]
    assert "还有2个工作日" in texts["2026-10-16"] and "2026年10月20日" in texts["2026-10-16"]
    assert "图标" in texts["2026-10-30"]
    buttons = [
        b["text"]
        for c in fake.calls_of("sendMessage", APPLICANT)
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    assert buttons == [
        "已在备案系统提交",
        "已在备案系统提交",
        "已送材料",
        "已送材料",
        "已放置图标",
        "已放置图标",
    ]


def test_an_overdue_filing_says_the_consequence_and_an_overdue_review_goes_to_the_supervisor(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))  # due 12-02
    world.now = at("2026-12-03")
    world.dispatch()
    text = world.sent()[-1][1]
    assert world.sent()[-1][0] == APPLICANT and "已逾期" in text
    assert "警告或者停机整顿不超过六个月" in text and "不处罚款" in text
    world.act(E.SUBMIT, Actor(Role.APPLICANT, str(APPLICANT)))  # on 12-03: review due 12-10
    world.now = at("2026-12-11")
    world.dispatch()
    chats = [chat for chat, _ in world.sent()]
    # The day before and the day went by unsent (the bot was down): only the escalation goes.
    assert chats == [APPLICANT, SUPERVISOR]
    assert "已逾期1天" in world.sent()[-1][1] and "应最迟于2026年12月10日" in world.sent()[-1][1]


def test_quiet_hours_hold_a_late_reminder_until_the_morning(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-25", "21:30")  # the 11-25 reminder (7 days before) was missed
    assert world.dispatch().sent == 0 and world.sent() == []
    world.now = at("2026-11-26", "07:59")
    assert world.dispatch().sent == 0
    world.now = at("2026-11-26", "08:00")
    assert world.dispatch().sent == 1
    assert quiet(at("2026-11-26", "23:00")) and not quiet(at("2026-11-26", "12:00"))
    assert next_send(at("2026-11-26", "23:00")) == at("2026-11-27", "09:30")


def test_a_restart_after_a_claim_sends_the_one_true_reminder_once(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    from bot.reminders import claim

    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-12-04")  # before-7, before-3, before-1, day, overdue: all due
    jobs, closed = claim(world.engine, "test", world.now, calendar=world.context().calendar)
    assert (len(jobs), closed) == (1, 4)  # then the process died; only "overdue" was to go
    assert world.dispatch().sent == 0  # leased: not sent by another run meanwhile
    assert world.dispatch(own=True).sent == 1  # the same worker restarted: its row goes
    assert world.dispatch(own=True).sent == 0  # once
    assert len(world.sent()) == 1 and "已逾期2天" in world.sent()[0][1]


def test_403_marks_it_undeliverable_and_tells_the_reviewers_429_waits_5xx_retries(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-25")
    fake.fail("sendMessage", 429, retry_after=1)
    assert world.dispatch().sent == 1  # waited retry_after, then sent
    assert [c.status for c in fake.calls_of("sendMessage")] == [429, 200]
    world.now = at("2026-11-29")
    fake.fail("sendMessage", 500)
    counts = world.dispatch()
    assert counts.sent == 0 and counts.retried == 1  # again later
    world.now = at("2026-11-29", "12:00")
    assert world.dispatch().sent == 1
    world.now = at("2026-12-01")
    fake.fail("sendMessage", 403)
    assert world.dispatch().failed == 1
    with session_scope(world.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
        blocked = [r for r in rows if "屏蔽" in r.payload["text"]["zh"]]
        assert [r.chat_id for r in blocked] == [REVIEWER]
        said = blocked[0].payload["text"]["zh"]  # the kind was the English value: 「filing」
        assert "30日内提交备案" in said and "filing" not in said, said
        failed = s.exec(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        ).all()
        assert [r.last_error for r in failed] == ["403"]


def test_a_reminder_telegram_refuses_fails_at_once_and_is_not_tried_again(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-25")
    fake.fail("sendMessage", 400)  # "Bad Request: chat not found": trying again cannot help
    counts = world.dispatch()
    assert (counts.sent, counts.failed, counts.retried) == (0, 1, 0)
    with session_scope(world.engine) as s:
        failed = s.exec(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        ).all()
        assert [r.last_error for r in failed] == ["400: Chat not found"]
    world.now = at("2026-11-29")  # the next reminder goes; the refused one is not sent again
    assert world.dispatch().sent == 1
    assert len(fake.calls_of("sendMessage")) == 2


def test_the_dry_run_lists_what_would_go_at_a_moment(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))  # due 12-21
    found = due_now(
        world.engine, dt.datetime.fromisoformat("2026-12-20T09:30+08:00"), world.context()
    )
    kinds = [(r["filing"], r["to"], r["kind"], r["due"]) for r in found]
    assert (world.filing_id, "applicant", "filing", "2026-12-21") in kinds
    assert all("提醒" in r["text"] for r in found)
    assert (
        due_now(world.engine, dt.datetime.fromisoformat("2026-12-20T22:30+08:00"), world.context())
        == []
    )
    assert world.sent() == []  # nothing was sent


def test_the_calendar_file_has_one_event_per_deadline_with_alarms(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(url, pack, fake, dt.date(2026, 11, 21))
    with session_scope(world.engine) as s:
        filing = s.get(Filing, world.filing_id)
        assert filing is not None
        content = calendar_of(filing, deadline_dates(s, world.filing_id), world.context())
    parsed = Calendar.from_ical(content)
    events = list(parsed.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [f"beian-{world.filing_id}-1-filing@beian"]
    assert events[0].decoded("dtstart") == dt.date(2026, 12, 21)
    assert len(list(events[0].walk("VALARM"))) == 2


def test_series_around_national_day_and_the_adjusted_saturday(pack: Pack) -> None:
    cal = WorkdayCalendar(pack.calendar)
    days = {r.phase: r.send_on for r in series("materials", 1, dt.date(2026, 10, 12), cal,
                                               today=dt.date(2026, 9, 29))}  # fmt: skip
    assert days == {
        "before-2": dt.date(2026, 10, 9),
        "before-1": dt.date(2026, 10, 10),  # the adjusted working Saturday
        "day": dt.date(2026, 10, 12),
        "overdue": dt.date(2026, 10, 13),
    }
    review = series("initial_review", 1, dt.date(2026, 10, 8), cal, today=dt.date(2026, 9, 1))
    assert [(r.phase, r.send_on, r.to) for r in review] == [
        ("before-1", dt.date(2026, 9, 30), "reviewers"),  # the working day before the holiday
        ("day", dt.date(2026, 10, 8), "reviewers"),
        ("overdue", dt.date(2026, 10, 9), "supervisor"),
    ]


@pytest.mark.postgres
def test_two_dispatcher_processes_on_postgresql_send_2000_reminders_exactly_once(
    postgres_schema_url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    import os
    import subprocess
    import sys

    migrate.upgrade(postgres_schema_url)
    world = World(postgres_schema_url, pack, fake, dt.date(2026, 11, 2))
    due = at("2026-11-20")
    with session_scope(world.engine) as s:
        for i in range(2000):
            s.add(
                OutboxMessage(
                    kind="reminder",
                    dedupe_key=f"reminder:load:{i}",
                    filing_id=world.filing_id,
                    chat_id=100_000 + i,
                    due_at=due,
                    payload={"kind": "filing", "step": 1, "due": "2026-12-02",
                             "send_on": "2026-11-20", "to": "applicant", "phase": "before-7"},
                    created_at=due,
                )
            )  # fmt: skip
    world.engine.dispose()
    beian = Path(sys.executable).parent / "beian"
    env = {
        **os.environ,
        "DATABASE_URL": postgres_schema_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "BEIAN_REMIND_RATE": "0",
        "BEIAN_NOW": "2026-11-20T10:00:00+08:00",
    }
    runs = [
        subprocess.Popen(
            [str(beian), "remind", "--once", "--json"],
            env={**env, "BEIAN_INSTANCE": f"remind-{n}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    outputs = [p.communicate(timeout=300) for p in runs]
    assert all(p.returncode == 0 for p in runs), outputs
    chats = [int(c.params["chat_id"]) for c in fake.calls_of("sendMessage") if c.status == 200]
    load = [c for c in chats if c >= 100_000]
    assert len(load) == 2000 and len(set(load)) == 2000  # each exactly once
    import json

    sent = [json.loads(out)["sent"] for out, _ in outputs]
    assert sum(sent) == len(chats)  # what they say they sent is what the server received


def test_beian_serve_sends_a_due_reminder_whose_button_records_the_submission(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    import sqlite3

    from tests.bot.test_filing_life_e2e import APPLICANT as USER
    from tests.bot.test_filing_life_e2e import _interview, _press, _wait_text
    from tests.fakes.driver import BotProcess

    env = {"BEIAN_NOW": "2026-12-18T10:00:00+08:00", "BEIAN_REMIND_EVERY": "0.5"}
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _interview(fake, USER)  # online since 11-25: to be filed by 12-25, 7 days left
        reminder = _wait_text(fake, USER, "⏰ 提醒")
        assert (
            "还有7天" in reminder["text"] and "2026年12月25日星期五（含当日）" in reminder["text"]
        )
        _press(fake, USER, USER, "已在备案系统提交")
        _wait_text(fake, USER, "已记录：2026年11月28日在备案系统提交")
    finally:
        assert bot.stop() == 0, bot.output()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        pending = db.execute(
            "select payload from outbox where kind = 'reminder' and status = 'pending'"
        ).fetchall()
    kinds = [sealed.open_json(p, context="outbox.payload")["kind"] for (p,) in pending]
    assert "filing" not in kinds  # submitted: that series stopped
    assert sum("⏰" in c.params["text"] for c in fake.calls_of("sendMessage", USER)) == 1


def test_a_site_not_online_yet_starts_its_30_days_when_the_applicant_says_it_went_online(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    import sqlite3

    from sqlmodel import select

    from tests.bot.test_filing_life_e2e import APPLICANT as USER
    from tests.bot.test_filing_life_e2e import _interview, _newest, _press, _wait_text
    from tests.fakes.driver import BotProcess

    bot = BotProcess(fake, tmp_path).start()
    try:
        _interview(fake, USER)
        engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        with session_scope(engine) as session:  # as if it were not online yet (sealed data)
            filing = session.exec(select(Filing)).one()
            filing.connection_date = None
            filing.data = {**filing.data, "connection_date": None}
            session.add(filing)
        engine.dispose()
        with sqlite3.connect(tmp_path / "bot.db") as db:
            db.execute("update outbox set status = 'cancelled' where kind = 'reminder'")
        after = _newest(fake, USER)
        fake.push(fake.text_update(USER, "/status"))
        _wait_text(fake, USER, "#1", after)
        _press(fake, USER, USER, "网站已开通")
        prompt = _wait_text(fake, USER, "请回复网站开通（上线）的日期", after)
        fake.push(fake.text_update(USER, "后天", reply_to=prompt))
        _wait_text(fake, USER, "开通日期不能在将来", after)
        fake.push(fake.text_update(USER, "今天", reply_to=prompt))
        told = _wait_text(fake, USER, "已记录：网站于2026年11月28日开通", after)
        assert "请最迟于2026年12月28日（含当日）" in told["text"] and "还剩30天" in told["text"]
    finally:
        assert bot.stop() == 0, bot.output()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        pending = [
            json.dumps(sealed.open_json(p, context="outbox.payload")) for (p,) in db.execute(
                "select payload from outbox where kind = 'reminder' and status = 'pending'"
            )
        ]  # fmt: skip
        (connected,) = db.execute("select connection_date from filing").fetchone()
    assert connected == "2026-11-28"
    assert any('"2026-12-28"' in p and '"filing"' in p for p in pending)


# --- a series stopped and planned again --------------------------------------------------
# A reminder series stopped and planned again (from the hostile run of 2026-12-06): the rows
# are unique per filing, step, kind, due day and phase, and a series planned again met its own
# cancelled rows and was dropped — an amendment of a prepared filing lost its 30 days'
# reminders, a return and resubmission on the day of the submission lost the initial review's.
# And a returned change, reported again, kept the first report's series beside the new one:
# 「已逾期1天：你应最迟于4月9日…」 beside 「还有4天：请最迟于4月14日…」.

APPLICANT_ACTS = Actor(Role.APPLICANT, str(APPLICANT))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: SQLite, or PostgreSQL (the row revived by an upsert of each)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("url"))
    found = str(request.getfixturevalue("postgres_schema_url"))
    migrate.upgrade(found)
    return found


REVIEWER_ACTS = Actor(Role.REVIEWER, str(REVIEWER))


def _record(world: World, event: E, who: Actor, **data: object) -> None:
    outcome = act(
        world.engine,
        world.filing_id,
        make_event(event, who, world.context().today, **data),
        ctx=world.context(),
        clock=lambda: world.now,
        reviewers=world.reviewers,
        applicant_external_id=str(APPLICANT),
    )
    assert outcome.done, outcome.refusal


def _pending(world: World, kind: str) -> list[OutboxMessage]:
    with session_scope(world.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        return [r for r in rows if r.status is OutboxStatus.PENDING and r.payload["kind"] == kind]


def test_the_30_days_planned_again_after_being_stopped_are_pending_again(
    both: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(both, pack, fake, dt.date(2026, 11, 25))
    planned = len(_pending(world, "filing"))
    assert planned > 0
    with session_scope(world.engine) as session:  # what an amendment does: stop, plan again
        stop_reminders(session, world.filing_id, "filing", 1)
        filing = session.get(Filing, world.filing_id)
        assert filing is not None
        plan_filing_reminders(session, filing, world.context(), world.now, APPLICANT)
    assert len(_pending(world, "filing")) == planned


def test_a_return_and_resubmission_on_the_day_of_submission_keeps_the_review_reminders(
    both: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(both, pack, fake, dt.date(2026, 11, 2))
    world.now = at("2026-11-09", "08:00")
    _record(world, E.SUBMIT, APPLICANT_ACTS)
    _record(world, E.RETURN, REVIEWER_ACTS, reasons=("网站无法访问",))
    _record(world, E.RESUBMIT, APPLICANT_ACTS)
    assert _pending(world, "initial_review"), "the initial review's reminders were dropped"
    for day in range(10, 18):
        world.now = at(f"2026-11-{day}")
        world.dispatch()
    to_reviewer = [text for chat, text in world.sent() if chat == REVIEWER]
    assert any("完成初审" in text for text in to_reviewer), world.sent()


def test_a_returned_change_reported_again_has_one_series_its_own(
    both: str, pack: Pack, fake: FakeBotAPI
) -> None:
    world = World(both, pack, fake, dt.date(2026, 11, 2))
    for day, event, who in (("03", E.SUBMIT, APPLICANT_ACTS),
                            ("04", E.PASS_INITIAL_REVIEW, REVIEWER_ACTS),
                            ("05", E.RECEIVE_MATERIALS, REVIEWER_ACTS),
                            ("06", E.CERTIFY, REVIEWER_ACTS)):  # fmt: skip
        world.now = at(f"2026-11-{day}", "08:00")
        _record(world, event, who, psb_number=PSB)
    world.now = at("2026-11-10", "08:00")
    _record(world, E.REPORT_CHANGE, APPLICANT_ACTS, reason="更换服务器")
    world.now = at("2026-11-12", "08:00")
    _record(world, E.RETURN, REVIEWER_ACTS, reasons=("材料不清晰",))
    assert _pending(world, "change") == []  # the returned report's reminders stop
    world.now = at("2026-11-16", "08:00")
    _record(world, E.REPORT_CHANGE, APPLICANT_ACTS, reason="更换服务器（重新报告）")
    with session_scope(world.engine) as session:
        dates = {due for kind, _, due in deadline_dates(session, world.filing_id)
                 if kind == "change"}  # fmt: skip
    assert dates == {dt.date(2026, 12, 16)}, dates  # 30 days from 11-16, not 12-10 as well


def test_a_reviewer_who_cannot_be_reached_keeps_it_from_no_other_and_no_copy_goes_twice(
    url: str, pack: Pack, fake: FakeBotAPI
) -> None:
    """A reviewer who never wrote to the bot (403) came first: the reminder was closed as
    failed and the other reviewer never got it; a 502 for one reviewer sent it again to the
    others at each retry (one reviewer got it four times). Now each chat is sent on its own
    and a chat that failed is tried again alone."""
    from models.reviewers import unreachable

    world = World(url, pack, fake, dt.date(2026, 11, 2))
    newcomer = REVIEWER - 1  # sorted first
    with session_scope(world.engine) as session:
        add_reviewer(session, newcomer, "新审核员", world.now)
    fake.block(newcomer)
    world.now = at("2026-11-09", "08:00")
    _record(world, E.SUBMIT, APPLICANT_ACTS)  # the initial review is due on 11-16
    world.now = at("2026-11-13")
    assert world.dispatch().sent == 1
    told = [chat for chat, text in world.sent() if "完成初审" in text]
    assert told == [REVIEWER]
    with session_scope(world.engine) as session:
        assert newcomer in unreachable(session)
    fake.unblock(newcomer)
    fake.fail("sendMessage", 502, times=3, chat_id=REVIEWER)
    for time in ("09:30", "09:40", "10:00", "10:30"):
        world.now = at("2026-11-16", time)
        world.dispatch()
    last_day = [chat for chat, text in world.sent() if "今天是" in text and "初审" in text]
    # each once: the newcomer's not again at every retry, the failed reviewer's on its own
    assert sorted(last_day) == [newcomer, REVIEWER], world.sent()
