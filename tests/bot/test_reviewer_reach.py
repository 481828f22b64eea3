"""One list of reviewers for the bot and the CLI (issue 26 item 9): a running `beian serve`,
`beian filings change` run beside it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.filing_actions import Reviewers, act
from bot.submission import filing_from
from dialogs.model import Context
from models.db import make_engine, session_scope
from models.repo import create_filing, get_or_create_applicant
from rules.answers import FilingAnswers
from rules.filing_life import Actor, Role
from rules.lifecycle import FilingEvent
from rules.pack import load_pack
from rules.workdays import WorkdayCalendar
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
            event=event,
            who=Actor(Role.OPERATOR, "test"),
            ctx=_context(),
            clock=lambda: NOW,
            reviewers=Reviewers(),
            psb_number="京公网安备11010502030143号",
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
        event=FilingEvent.SUBMIT,
        who=Actor(Role.APPLICANT, str(APPLICANT)),
        ctx=_context(),
        clock=lambda: NOW,
        reviewers=Reviewers(review_chat=review_chat),
        applicant_external_id=str(APPLICANT),
    )
    engine.dispose()
    assert outcome.done, outcome.refusal


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
