"""The real bot (`beian serve`, a subprocess) over HTTP against a local Bot API server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dialogs.transcripts import SUBMITTING
from tests.documents.pdf_text import page_texts, squeeze
from tests.fakes.bot_api import Call, FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess, Person

SITE_NAMES = {
    "enterprise": "云帆科技官网",
    "government": "示例市图书馆",
    "individual": "小𠮷的笔记",
}


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


@pytest.mark.parametrize("subject", sorted(SUBMITTING))
def test_a_whole_interview_over_the_bot_api_ends_with_the_pdfs(
    fake: FakeBotAPI, bot: BotProcess, subject: str
) -> None:
    person = Person(fake, 5000 + len(subject))
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in SUBMITTING[subject]:
        person.says(said, expected)

    def four_documents() -> list[Call] | None:
        calls = fake.calls_of("sendDocument", person.user_id)
        return calls if len(calls) >= 4 else None

    documents = fake.wait_until(four_documents)
    assert "Traceback" not in bot.output()
    names = [next(iter(call.files.values()))[0] for call in documents]
    assert any(name.startswith("备案表") for name in names)
    form = next(c for c in documents if next(iter(c.files.values()))[0].startswith("备案表"))
    pdf = next(iter(form.files.values()))[1]
    assert pdf[:5] == b"%PDF-"
    assert SITE_NAMES[subject] in squeeze("".join(page_texts(pdf)))
    assert "预填稿" in form.params["caption"]  # not the papers to stamp: the system makes those
    seal = "签字" if subject == "individual" else "盖章"
    assert f"须{seal}的一式两份《备案表》在初审合格后从备案系统下载生成" in form.params["caption"]
    assert fake.calls_of("sendChatAction", person.user_id)
    actions = {c.params["action"] for c in fake.calls_of("sendChatAction", person.user_id)}
    assert "upload_document" in actions


def test_the_command_menu_is_set_in_chinese_and_english(fake: FakeBotAPI, bot: BotProcess) -> None:
    calls = fake.calls_of("setMyCommands")
    by_language = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert {"zh", "en"} <= set(by_language)
    assert any(
        cmd["command"] == "back" and "返回" in cmd["description"] for cmd in by_language["zh"]
    )
    assert any(
        cmd["command"] == "back" and "Previous" in cmd["description"] for cmd in by_language["en"]
    )


def test_pressing_a_button_edits_the_question_and_removes_its_buttons(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 6001)
    person.says("/start", "网站是以什么身份开办的")
    question = person.last_keyboard()
    assert question is not None
    for row in question["reply_markup"]["inline_keyboard"]:
        for button in row:
            assert len(button["callback_data"].encode()) <= 64
            assert button["callback_data"].isascii()
    person.says("[企业]", "网站系统在哪里维护")
    edited = fake.messages[(person.user_id, question["message_id"])]
    assert edited["text"].endswith("✔ 企业")
    assert "reply_markup" not in edited


def test_a_stale_button_gets_a_polite_answer_not_a_crash(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 6002)
    person.says("/start", "网站是以什么身份开办的")
    old = person.last_keyboard()
    assert old is not None
    person.says("企业", "网站系统在哪里维护")
    before = len(fake.calls_of("answerCallbackQuery"))
    dropped = len(fake.calls_of("editMessageReplyMarkup", person.user_id))
    data = old["reply_markup"]["inline_keyboard"][-1][-1]["callback_data"]  # 个人, as sent
    fake.push(fake.press_update(person.user_id, old, data))
    answer = fake.wait_until(lambda: fake.calls_of("answerCallbackQuery")[before:])[0]
    assert answer.params.get("text") == "这个问题已经回答过了。"
    assert fake.wait_until(
        lambda: len(fake.calls_of("editMessageReplyMarkup", person.user_id)) > dropped
    )
    person.says("/status", "已填写1项")  # the stale press changed nothing


def test_photos_and_stickers_get_a_reminder_of_the_question(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 6003)
    person.says("/start", "网站是以什么身份开办的")
    for kind in ("photo", "sticker", "voice"):
        sent = len(fake.calls_of("sendMessage", person.user_id))
        fake.push(fake.media_update(person.user_id, kind))
        reply = fake.wait_until(
            lambda sent=sent: fake.calls_of("sendMessage", person.user_id)[sent:]
        )[0]
        assert "请先回答这个问题" in reply.params["text"]
        assert "网站是以什么身份开办的" in reply.params["text"]


def test_a_group_gets_a_link_to_a_private_chat(fake: FakeBotAPI, bot: BotProcess) -> None:
    fake.push(fake.text_update(6004, "/start", chat_id=-100123))
    reply = fake.wait_until(lambda: fake.calls_of("sendMessage", -100123))[0]
    assert "https://t.me/beian_test_bot?start=" in reply.params["text"]
    assert "私聊" in reply.params["text"]


def test_english_telegram_users_get_english(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 6005, language_code="en")
    person.says("/start", ("Hello! I am beian", "Who runs the website?", "Enterprise"))


def test_a_duplicate_update_is_processed_once(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 6006)
    person.says("/start", "网站是以什么身份开办的")
    update = fake.text_update(person.user_id, "企业")
    fake.push(update)
    fake.wait_until(lambda: any("✔ 企业" in m.get("text", "") for m in fake.chat_messages(6006)))
    fake.push(update)  # delivered again, as after a timeout
    person.says("/status", "已填写1项")
    echoes = [m for m in fake.chat_messages(6006) if "✔ 企业" in m.get("text", "")]
    assert len(echoes) == 1


def test_a_429_storm_is_ridden_out_honouring_retry_after(fake: FakeBotAPI, bot: BotProcess) -> None:
    person = Person(fake, 6007)
    person.says("/start", "网站是以什么身份开办的")
    fake.fail("sendMessage", 429, times=3, retry_after=1)
    person.says("企业", ("✔ 企业", "网站系统在哪里维护"))
    sends = fake.calls_of("sendMessage", person.user_id)
    refused = [c for c in sends if c.status == 429]
    assert len(refused) == 3
    first_ok = next(c for c in sends if c.status == 200 and c.at > refused[0].at)
    assert first_ok.at - refused[0].at >= 2.9  # three waits of retry_after = 1 s


def test_a_500_from_telegram_is_logged_and_the_next_message_works(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 6008)
    person.says("/start", "网站是以什么身份开办的")
    fake.fail("sendMessage", 500, times=1)
    fake.push(fake.text_update(person.user_id, "企业"))
    fake.wait_until(lambda: [c for c in fake.calls_of("sendMessage", 6008) if c.status == 500])
    fake.wait_until(
        lambda: any("抱歉" in c.params["text"] for c in fake.calls_of("sendMessage", 6008))
    )
    person.says("/status", "已填写1项")  # the answer was stored before the reply failed
    assert "update" in bot.output()  # the failure is logged with its update id
    assert "Traceback" not in "".join(c.params["text"] for c in fake.calls_of("sendMessage"))


def test_restarting_the_bot_mid_interview_continues_where_it_was(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    first = BotProcess(fake, tmp_path).start()
    person = Person(fake, 6009)
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in SUBMITTING["enterprise"].until("credential"):
        person.says(said, expected)
    assert first.stop() == 0, first.output()
    second = BotProcess(fake, tmp_path).start()
    try:
        for said, expected in SUBMITTING["enterprise"][6:9]:
            person.says(said, expected)
        person.says("/status", ("第5/7步", "还剩23天"))
    finally:
        assert second.stop() == 0, second.output()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_mode_checks_the_secret_token(fake: FakeBotAPI, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    bot = BotProcess(
        fake,
        tmp_path,
        webhook=["--webhook-url", url, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3cret"],
    ).start()
    try:
        assert fake.webhook is not None
        assert fake.webhook["url"] == url
        assert fake.webhook["secret_token"] == "s3cret"
        update = fake.text_update(7001, "/start")
        assert fake.post_to_webhook(update, url, None) == 403
        assert fake.post_to_webhook(fake.text_update(7001, "/start"), url, "wrong") == 403
        assert fake.calls_of("sendMessage", 7001) == []
        assert fake.post_to_webhook(update, url, "s3cret") == 200
        fake.wait_until(
            lambda: any("身份开办" in c.params["text"] for c in fake.calls_of("sendMessage", 7001))
        )
        sent = len(fake.calls_of("sendMessage", 7001))
        assert fake.post_to_webhook(update, url, "s3cret") == 200  # a redelivery
        answer = fake.text_update(7001, "企业")
        assert fake.post_to_webhook(answer, url, "s3cret") == 200
        fake.wait_until(
            lambda: any(
                "网站系统在哪里维护" in c.params["text"] for c in fake.calls_of("sendMessage", 7001)
            )
        )
        texts = [c.params["text"] for c in fake.calls_of("sendMessage", 7001)[sent:]]
        assert not any("网站是以什么身份开办的" in t for t in texts)  # /start not handled twice
    finally:
        assert bot.stop() == 0, bot.output()


def test_serve_refuses_a_placeholder_token(fake: FakeBotAPI, tmp_path: Path) -> None:
    import subprocess

    from tests.fakes.driver import BEIAN

    process = BotProcess(fake, tmp_path)
    env = {**process.env(), "TELEGRAM_BOT_TOKEN": "your-token-here"}
    done = subprocess.run(
        [str(BEIAN), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "placeholder" in done.stderr
    assert fake.calls == []


def test_sigterm_finishes_the_update_in_hand(fake: FakeBotAPI, tmp_path: Path) -> None:
    bot = BotProcess(fake, tmp_path).start()
    person = Person(fake, 6010)
    person.says("/start", "网站是以什么身份开办的")
    fake.slow("sendMessage", 3.0)
    arrived = fake.arrivals.count("sendMessage")
    fake.push(fake.text_update(person.user_id, "企业"))
    fake.wait_until(lambda: fake.arrivals.count("sendMessage") > arrived, 10)
    assert bot.stop() == 0, bot.output()  # SIGTERM while the reply is still in flight
    replies = [c.params["text"] for c in fake.calls_of("sendMessage", person.user_id)]
    assert any("网站系统在哪里维护" in text for text in replies)


def test_one_applicants_documents_do_not_hold_up_another_applicant(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    submitting, answering = Person(fake, 7001), Person(fake, 7002)
    submitting.says("/start", "网站是以什么身份开办的")
    *answers, (confirm, _) = SUBMITTING["enterprise"]
    for said, expected in answers:
        submitting.says(said, expected)
    answering.says("/start", "网站是以什么身份开办的")

    # The confirmation (its documents take a few hundred milliseconds to render) and another
    # person's answer arrive together.
    fake.push(fake.text_update(submitting.user_id, confirm))
    fake.push(fake.text_update(answering.user_id, "企业"))

    def replied() -> tuple[Call, Call] | None:
        documents = fake.calls_of("sendDocument", submitting.user_id)
        answer = [
            c
            for c in fake.calls_of("sendMessage", answering.user_id)
            if "网站系统在哪里维护" in c.params.get("text", "")
        ]
        return (documents[0], answer[0]) if len(documents) >= 4 and answer else None

    first_document, answer = fake.wait_until(replied)
    assert answer.at < first_document.at  # answered while the documents were rendering
