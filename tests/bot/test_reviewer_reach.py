"""One list of reviewers for the bot and the CLI, and cards that cannot be delivered (issue 26
items 8 and 9): a running `beian serve`, `beian filings change` run beside it, the local Bot
API refusing some chats with 403."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot.filing_actions import Reviewers, act
from bot.submission import filing_from
from dialogs.model import Context
from models.db import make_engine, session_scope
from models.repo import create_filing, get_or_create_applicant
from rules.answers import FilingAnswers
from rules.filing_life import Actor, Role, make_event
from rules.lifecycle import FilingEvent
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar
from tests.bot.test_filing_life_e2e import _press
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess, _migrated_copy, message_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPLICANT, R1, R2, GROUP, SUPERVISOR = 8401, 9401, 9402, -100940, -100941
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _database(folder: Path) -> str:
    database = folder / "bot.db"
    if not database.exists():
        _migrated_copy(database)
    return f"sqlite:///{database}"


def _context() -> Context:
    pack = load_pack("example")
    return Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=NOW.date())


def _filing(folder: Path, *, certified: bool = False) -> int:
    """The individual example, prepared (or certified, recorded by an operator), in the
    bot's database."""
    engine = make_engine(_database(folder))
    raw = yaml.safe_load((EXAMPLES / "individual.yaml").read_text(encoding="utf-8"))
    with session_scope(engine) as s:
        who = get_or_create_applicant(session=s, channel="telegram", external_id=str(APPLICANT))
        row = filing_from(FilingAnswers.model_validate(raw), _context(), who.id or 0, 0)
        row.interview_id = None
        filing_id = create_filing(session=s, filing=row, actor="applicant:1", now=NOW).id or 0
    E = FilingEvent  # noqa: N806
    for event in (E.SUBMIT, E.PASS_INITIAL_REVIEW, E.RECEIVE_MATERIALS, E.CERTIFY):
        if not certified:
            break
        outcome = act(
            engine,
            filing_id,
            make_event(
                event,
                Actor(Role.OPERATOR, "test"),
                _context().today,
                psb_number="京公网安备11010502030143号",
            ),
            ctx=_context(),
            clock=lambda: NOW,
            reviewers=Reviewers(),
        )
        assert outcome.done, outcome.refusal
    engine.dispose()
    return filing_id


def _submitted(folder: Path, filing_id: int, review_chat: int | None = None) -> None:
    """The applicant presses 已在备案系统提交 (as the chat would record it): the reviewers'
    card is an outbox row the running bot sends."""
    engine = make_engine(_database(folder))
    outcome = act(
        engine,
        filing_id,
        make_event(FilingEvent.SUBMIT, Actor(Role.APPLICANT, str(APPLICANT)), _context().today),
        ctx=_context(),
        clock=lambda: NOW,
        reviewers=Reviewers(review_chat=review_chat),
        applicant_external_id=str(APPLICANT),
    )
    engine.dispose()
    assert outcome.done, outcome.refusal


def _marked(folder: Path) -> set[int]:
    """The chats marked unreachable now."""
    engine = make_engine(_database(folder))
    with engine.connect() as connection:
        found = {
            int(r[0]) for r in connection.exec_driver_sql("select chat_id from unreachable_chat")
        }
    engine.dispose()
    return found


def _status(tmp_path: Path, filing_id: int) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text(f"SELECT status FROM filing WHERE id = {filing_id}"))
            return str(found.scalar_one())
    finally:
        engine.dispose()


def _submit_cards(fake: FakeBotAPI, chat: int, filing_id: int) -> list[str]:
    return [
        message_text(m)
        for m in fake.chat_messages(chat)
        if "【已在备案系统提交】" in message_text(m) and f"#{filing_id} " in message_text(m)
    ]


def _change(bot: BotProcess, filing_id: int, ip: str, *, without: tuple[str, ...] = ()) -> None:
    """`beian filings change` beside the running bot, in its environment less `without`."""
    change = bot.workdir / f"change-{ip}.yaml"
    change.write_text(f'reason: 更换服务器\nset: {{"website.ips": ["{ip}"]}}\n', encoding="utf-8")
    env = {k: v for k, v in bot.env().items() if k not in without}
    done = subprocess.run(
        [str(BEIAN), "filings", "change", str(filing_id), "--file", str(change)],
        env=env,
        cwd=bot.workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _reviewers(bot: BotProcess, *args: str) -> str:
    done = subprocess.run(
        [str(BEIAN), "reviewers", "list", *args],
        env=bot.env(),
        cwd=bot.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _change_cards(fake: FakeBotAPI, chat: int, ip: str) -> list[str]:
    return [
        message_text(m)
        for m in fake.chat_messages(chat)
        if "变更报告" in message_text(m) and f"→ {ip}" in message_text(m)
    ]


def test_a_change_from_a_shell_without_beian_reviewers_reaches_the_reviewers(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    filing_id = _filing(tmp_path, certified=True)
    bot = BotProcess(fake, tmp_path, env={"BEIAN_REVIEWERS": str(R1)}).start()
    try:
        _change(bot, filing_id, "47.96.10.21", without=("BEIAN_REVIEWERS",))
        card = fake.wait_until(lambda: _change_cards(fake, R1, "47.96.10.21"), 30)[0]
        assert "变更审核通过" in card  # the card's buttons: the reviewer acts from it
        listed = json.loads(_reviewers(bot, "--json"))
        assert [(r["telegram_id"], r["source"]) for r in listed] == [(R1, "BEIAN_REVIEWERS")]
    finally:
        assert bot.stop() == 0, bot.output()
    assert "Traceback" not in bot.output()


def test_a_removed_reviewer_stays_removed_though_still_in_beian_reviewers(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    filing_id = _filing(tmp_path)
    bot = BotProcess(fake, tmp_path, env={"BEIAN_REVIEWERS": f"{R1},{R2}"})
    subprocess.run(
        [str(BEIAN), "reviewers", "remove", str(R2)], env=bot.env(), cwd=tmp_path, check=True
    )  # the CLI seeded both first, then removed one
    bot.start()  # seeds again: R2 is known, and stays removed
    try:
        _submitted(tmp_path, filing_id)
        fake.wait_until(lambda: _submit_cards(fake, R1, filing_id), 30)
        assert fake.chat_messages(R2) == []
        listed = json.loads(_reviewers(bot, "--json"))
        assert [r["telegram_id"] for r in listed] == [R1]
    finally:
        assert bot.stop() == 0, bot.output()


def test_a_review_group_that_refuses_the_card_sends_it_to_the_reviewers_privately(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    filing_id = _filing(tmp_path)
    fake.block(GROUP)  # the bot was removed from the group
    env = {
        "BEIAN_REVIEWERS": f"{R1},{R2}",
        "BEIAN_REVIEW_CHAT": str(GROUP),
        "BEIAN_SUPERVISOR_CHAT": str(SUPERVISOR),
    }
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _submitted(tmp_path, filing_id, review_chat=GROUP)
        for reviewer in (R1, R2):
            card = fake.wait_until(lambda r=reviewer: _submit_cards(fake, r, filing_id), 30)[0]
            assert "初审通过" in card  # with its buttons: the reviewer acts from it
        assert fake.chat_messages(SUPERVISOR) == []  # the reviewers were reached
        shown = _reviewers(bot)
        line = next(line for line in shown.splitlines() if str(GROUP) in line)
        assert "BEIAN_REVIEW_CHAT" in line and "无法送达" in line and "kicked" in line
        english = _reviewers(bot, "--lang", "en")
        assert "CANNOT BE REACHED" in next(x for x in english.splitlines() if str(GROUP) in x)
    finally:
        assert bot.stop() == 0, bot.output()
    log = bot.output()
    warning = next(line for line in log.splitlines() if "refused in the review chat" in line)
    assert "WARNING" in warning and str(GROUP) in warning
    assert f"sent instead to {R1}, {R2}" in warning
    assert "Traceback" not in log


def test_reviewers_who_cannot_be_reached_are_listed_and_the_supervisor_gets_the_card(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    first, second, third = (_filing(tmp_path) for _ in range(3))
    fake.block(R1)  # registered, but never wrote to the bot
    env = {"BEIAN_REVIEWERS": f"{R1},{R2}", "BEIAN_SUPERVISOR_CHAT": str(SUPERVISOR)}
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _submitted(tmp_path, first)
        fake.wait_until(lambda: _submit_cards(fake, R2, first), 30)
        fake.wait_until(lambda: "refused in the private chat of reviewer" in bot.output())
        listed = {r["telegram_id"]: r for r in json.loads(_reviewers(bot, "--json"))}
        assert listed[R1]["reachable"] is False
        assert "can't initiate conversation" in listed[R1]["last_failure"]
        assert listed[R1]["unreachable_since"] is not None
        assert listed[R2]["reachable"] is True
        assert fake.chat_messages(SUPERVISOR) == []  # R2 had it

        fake.block(R2)  # now nobody can be reached: the supervisor gets the card
        _submitted(tmp_path, second)
        fake.wait_until(lambda: _submit_cards(fake, SUPERVISOR, second), 30)
        assert _submit_cards(fake, SUPERVISOR, first) == []  # only what nobody got
        # its buttons work for a reviewer there (R1 pressing was told 「你不是审核人员」)
        _press(fake, R1, SUPERVISOR, "初审通过")
        fake.wait_until(lambda: _status(tmp_path, second) == "initial_review_passed", 30)
        alerts = [str(c.params.get("text", "")) for c in fake.calls_of("answerCallbackQuery")]
        assert not [a for a in alerts if "不是审核人员" in a], alerts

        fake.unblock(R1)  # R1 wrote to the bot: the next card reaches them, the mark goes
        _submitted(tmp_path, third)
        fake.wait_until(lambda: _submit_cards(fake, R1, third), 30)
        fake.wait_until(lambda: R1 not in _marked(tmp_path), 15)  # the card's row closed
        listed = {r["telegram_id"]: r for r in json.loads(_reviewers(bot, "--json"))}
        assert listed[R1]["reachable"] is True and listed[R1]["last_failure"] is None
        assert listed[R2]["reachable"] is False
    finally:
        assert bot.stop() == 0, bot.output()
    log = bot.output()
    refusals = [line for line in log.splitlines() if "card" in line and "refused in" in line]
    assert all("WARNING" in line for line in refusals) and len(refusals) >= 3
    assert any(f"reviewer {R1}" in line for line in refusals)
    assert any(f"sent instead to {SUPERVISOR}" in line for line in refusals)
    assert "330106198506120015" not in log  # ids of chats, never personal data
    assert "Traceback" not in log
