"""Updates that must not act, secrets and numbers that must not leak: the real bot over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess, Person


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def bot(fake: FakeBotAPI, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path).start()
    yield process
    assert process.stop() == 0, process.output()


def _answered(fake: FakeBotAPI, before: int) -> Any:
    return fake.wait_until(lambda: fake.calls_of("answerCallbackQuery")[before:])[0]


def test_a_forged_button_is_refused_and_logged(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 8001)
    person.says("/start", "网站是以什么身份开办的")
    question = person.last_keyboard()
    assert question is not None
    before = len(fake.calls_of("answerCallbackQuery"))
    update = fake.press_update(person.user_id, question, "subject_type|individual")
    fake.push(update)
    assert _answered(fake, before).params.get("text") == "这个按钮已失效。"
    person.says("/status", "已填写0项")  # nothing was answered
    assert f"update {update['update_id']} refused: a button not made for user 8001" in bot.output()


def test_a_button_of_the_welcome_never_answers_a_later_question(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 8002)
    person.says("/start", "网站是以什么身份开办的")
    welcome = person.last_keyboard()
    assert welcome is not None
    data = welcome["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    person.says("企业", "网站系统在哪里维护")
    # The welcome's own button, its choice id swapped for "local": still the welcome's asking.
    forged = "|".join([data.split("|")[0], "local", data.split("|")[2]])
    before = len(fake.calls_of("answerCallbackQuery"))
    fake.push(fake.press_update(person.user_id, welcome, forged))
    assert _answered(fake, before).params.get("text") == "这个问题已经回答过了。"
    person.says("/status", "已填写1项")


def test_a_button_pressed_on_a_group_message_acts_nowhere(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 8003)
    person.says("/start", "网站是以什么身份开办的")
    own = person.last_keyboard()
    assert own is not None
    data = own["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    group_message = {
        "message_id": 5,
        "date": int(time.time()),
        "chat": {"id": -100777, "type": "supergroup", "title": "群"},
        "text": "网站是以什么身份开办的？",
        "reply_markup": own["reply_markup"],
    }
    before = len(fake.calls_of("answerCallbackQuery"))
    fake.push(fake.press_update(person.user_id, group_message, data))
    assert _answered(fake, before).params.get("text") == "这个按钮已失效。"
    person.says("/status", "已填写0项")  # the presser's interview did not move
    assert fake.calls_of("sendMessage", -100777) == []  # and nothing went into the group
    assert fake.calls_of("editMessageText", -100777) == []


def test_another_user_pressing_my_buttons_changes_nothing(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    owner, other = Person(fake, 8004), Person(fake, 8005)
    owner.says("/start", "网站是以什么身份开办的")
    other.says("/start", "网站是以什么身份开办的")
    message = owner.last_keyboard()
    assert message is not None
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = len(fake.calls_of("answerCallbackQuery"))
    fake.push(fake.press_update(other.user_id, message, data))  # B presses on A's message
    assert _answered(fake, before).params.get("text") == "这个按钮已失效。"
    assert fake.calls_of("editMessageText", owner.user_id) == []
    assert fake.messages[(owner.user_id, message["message_id"])].get("reply_markup")
    owner.says("/status", "已填写0项")
    other.says("/status", "已填写0项")


def test_an_edited_message_is_not_an_answer(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 8006)
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in SUBMITTING["enterprise"].until("connection_date"):
        person.says(said, expected)
    first = fake.text_update(person.user_id, "企业")["message"]  # an old message, edited
    edit = fake.edited_update(first, "本市")
    fake.push(edit)
    fake.wait_until(
        lambda: any("不会被读取" in c.params["text"] for c in fake.calls_of("sendMessage", 8006))
    )
    person.says("/status", "已填写4项")
    assert f"update {edit['update_id']} refused: an edited message" in bot.output()
    assert "本市" not in bot.output()  # refusals are logged without what was written


def test_the_last_answer_edited_offers_its_new_text(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 8007)
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in SUBMITTING["enterprise"].until("subject_name"):
        person.says(said, expected)
    named = fake.text_update(person.user_id, "示例云帆科技有限公司")
    fake.push(named)
    fake.wait_until(
        lambda: any(
            "统一社会信用代码" in c.params["text"] for c in fake.calls_of("sendMessage", 8007)
        )
    )
    fake.push(fake.edited_update(named["message"], "示例云帆信息技术有限公司"))
    fake.wait_until(lambda: person.button("用新内容"))
    person.says("[用新内容]", "统一社会信用代码")
    person.says("/edit 单位名称", "当前答案：示例云帆信息技术有限公司")


def test_a_broken_character_from_telegram_is_refused_and_nothing_breaks(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 8008)
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in SUBMITTING["enterprise"].until("subject_name"):
        person.says(said, expected)
    person.says("杭\ud800州", "无法识别的字符")  # a lone surrogate, as JSON can carry it
    for command, expected in (("/status", "已填写5项"), ("/back", "当前答案"), ("保留", "全称")):
        person.says(command, expected)
    assert "抱歉" not in "".join(c.params["text"] for c in fake.calls_of("sendMessage", 8008))


def test_an_odd_display_name_does_not_stop_anyone(fake: FakeBotAPI, bot: BotProcess) -> None:
    update = fake.text_update(8009, "/start")
    update["message"]["from"]["first_name"] = "名\x00" + "字" * 300 + "\ud800"
    fake.push(update)
    fake.wait_until(lambda: fake.calls_of("sendMessage", 8009))
    Person(fake, 8009).says("企业", "网站系统在哪里维护")


def test_the_database_is_readable_by_its_owner_only(fake: FakeBotAPI, bot: BotProcess) -> None:
    Person(fake, 8010).says("/start", "网站是以什么身份开办的")
    for name in ("bot.db", "bot.db-wal"):
        path = bot.workdir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_render_workers_start_with_the_bot(fake: FakeBotAPI, bot: BotProcess) -> None:
    assert bot.process is not None

    def workers() -> int:
        found = 0
        for proc in Path("/proc").iterdir():
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if b"multiprocessing.forkserver" in cmdline and str(bot.workdir).encode() in environ:
                found += 1
        return found

    # The fork server and its workers run before anybody has confirmed anything.
    assert fake.wait_until(lambda: workers() >= 3, 30)


def test_a_refused_token_is_one_line_without_the_token(fake: FakeBotAPI, tmp_path: Path) -> None:
    process = BotProcess(fake, tmp_path)
    wrong = "987654321:WRONGtokenForTheLocalFakeBotApiServer"
    env = {**process.env(), "TELEGRAM_BOT_TOKEN": wrong}
    done = subprocess.run(
        [str(BEIAN), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    output = done.stdout + done.stderr
    assert "Telegram refused the token" in output
    assert wrong not in output
    assert wrong.split(":")[1] not in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) <= 2


def test_no_id_or_mobile_number_reaches_the_log_of_a_failing_run(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 8011)
    person.says("/start", "网站是以什么身份开办的")
    *answers, _ = SUBMITTING["enterprise"]
    for said, expected in answers[:-2]:
        person.says(said, expected)
    fake.fail("sendMessage", 400, times=3)  # the summary (all numbers in it) cannot be sent
    fake.push(fake.text_update(person.user_id, answers[-2][0]))
    fake.wait_until(lambda: [c for c in fake.calls_of("sendMessage", 8011) if c.status == 400])
    time.sleep(0.5)
    log = bot.output()
    assert "failed" in log or "refused" in log or "Error" in log
    for number in ("330106198506120015", "330102199001010020", "13900139000", "13700137000"):
        assert number not in log, number
    assert TOKEN not in log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_malformed_webhook_body_gets_400_and_its_size_in_the_log(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    args = ["--webhook-url", url, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3cret"]
    bot = BotProcess(fake, tmp_path, webhook=args).start()
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}

    async def post(body: bytes) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            return response.status

    try:
        assert asyncio.run(post(b"{not json" + b"x" * 50_000)) == 400
        assert asyncio.run(post(json.dumps({"no": "update_id"}).encode())) == 400
        assert asyncio.run(post(b"[" + b"1," * 3_000_000 + b"1]")) == 413
        update = fake.text_update(8012, "/start")
        assert fake.post_to_webhook(update, url, "s3cret") == 200
        fake.wait_until(lambda: fake.calls_of("sendMessage", 8012))
    finally:
        assert bot.stop() == 0, bot.output()
    log = bot.output()
    assert "not an update (50009 bytes)" in log
    assert "xxxxxxxxxx" not in log
    assert max(len(line) for line in log.splitlines()) < 500
    assert "CRITICAL" not in log


def test_files_of_the_terminal_chat_are_private_and_logs_go_to_the_data_folder(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'beian.db'}",
        "BEIAN_TODAY": "2026-11-28",
    }
    said = "\n".join(s for s, _ in SUBMITTING["individual"]) + "\n"
    done = subprocess.run(
        [str(BEIAN), "chat", "--out", str(tmp_path / "out"), "--as", "p"],
        input=said,
        env=env,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    pdfs = list((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 4
    for path in [*pdfs, tmp_path / "data" / "beian.db", tmp_path / "data" / "logs" / "beian.log"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (tmp_path / "out", tmp_path / "data", tmp_path / "data" / "logs"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert list(elsewhere.iterdir()) == []  # nothing written where the command ran
