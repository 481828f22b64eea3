"""The local Bot API server refuses what Telegram refuses, with Telegram's descriptions: every
end-to-end test then checks the bot against Telegram's limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.fakes import bot_api
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _post(fake: FakeBotAPI, method: str, **params: Any) -> tuple[int, str | None]:
    """Call the server as a bot does (JSON body); return the status and the description."""

    async def post() -> tuple[int, str | None]:
        url = f"{fake.base_url}/bot{TOKEN}/{method}"
        async with aiohttp.ClientSession() as session, session.post(url, json=params) as answer:
            body = await answer.json()
            return answer.status, body.get("description")

    return asyncio.run(post())


def _buttons(*buttons: dict[str, str]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


def test_a_text_is_1_to_4096_utf16_code_units(fake: FakeBotAPI) -> None:
    fake.expect_refusals(bot_api.TEXT_EMPTY, bot_api.TEXT_BLANK, bot_api.TEXT_TOO_LONG)
    assert _post(fake, "sendMessage", chat_id=1, text="字" * 4096) == (200, None)
    assert _post(fake, "sendMessage", chat_id=1, text="字" * 4097) == (400, bot_api.TEXT_TOO_LONG)
    # 𠮷 is one character to Python and two UTF-16 code units to Telegram
    assert _post(fake, "sendMessage", chat_id=1, text="𠮷" * 2048) == (200, None)
    assert _post(fake, "sendMessage", chat_id=1, text="𠮷" * 2049) == (400, bot_api.TEXT_TOO_LONG)
    assert _post(fake, "sendMessage", chat_id=1, text="a" * 4096 + "\n\n") == (200, None)  # trimmed
    assert _post(fake, "sendMessage", chat_id=1, text="") == (400, bot_api.TEXT_EMPTY)
    assert _post(fake, "sendMessage", chat_id=1) == (400, bot_api.TEXT_EMPTY)
    assert _post(fake, "sendMessage", chat_id=1, text=" \n ") == (400, bot_api.TEXT_BLANK)
    refused = [(call.method, why) for call, why in fake.refusals]
    assert refused[0] == ("sendMessage", "Bad Request: message is too long")
    assert len(refused) == 5
    assert len(fake.calls_of("sendMessage")) == 8  # refused calls are recorded (status 400)
    assert [c.status for c in fake.calls_of("sendMessage")].count(400) == 5


def test_a_caption_is_at_most_1024(fake: FakeBotAPI) -> None:
    fake.expect_refusals(bot_api.CAPTION_TOO_LONG)

    async def send(caption: str) -> tuple[int, str | None]:
        form = aiohttp.FormData()
        form.add_field("chat_id", "1")
        form.add_field("caption", caption)
        form.add_field("document", b"%PDF-", filename="a.pdf")
        url = f"{fake.base_url}/bot{TOKEN}/sendDocument"
        async with aiohttp.ClientSession() as session, session.post(url, data=form) as answer:
            return answer.status, (await answer.json()).get("description")

    assert asyncio.run(send("说" * 1024)) == (200, None)
    assert asyncio.run(send("说" * 1025)) == (400, "Bad Request: message caption is too long")


def test_buttons_need_a_text_and_1_to_64_bytes_of_data(fake: FakeBotAPI) -> None:
    fake.expect_refusals(
        bot_api.BUTTON_DATA_INVALID, bot_api.BUTTON_TEXT_INVALID, bot_api.TEXT_BUTTON
    )
    ok = _buttons({"text": "是", "callback_data": "x" * 64})
    assert _post(fake, "sendMessage", chat_id=1, text="问", reply_markup=ok) == (200, None)
    for data in ("x" * 65, "字" * 22):  # 22 Chinese characters are 66 bytes
        markup = _buttons({"text": "是", "callback_data": data})
        answer = _post(fake, "sendMessage", chat_id=1, text="问", reply_markup=markup)
        assert answer == (400, "Bad Request: BUTTON_DATA_INVALID")
    markup = _buttons({"text": "是", "callback_data": ""})
    assert _post(fake, "sendMessage", chat_id=1, text="问", reply_markup=markup) == (
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard",
    )
    markup = _buttons({"text": " ", "callback_data": "x"})
    assert _post(fake, "sendMessage", chat_id=1, text="问", reply_markup=markup) == (
        400,
        bot_api.BUTTON_TEXT_INVALID,
    )


def test_an_answer_to_a_press_is_at_most_200(fake: FakeBotAPI) -> None:
    fake.expect_refusals(bot_api.ANSWER_TOO_LONG)
    assert _post(fake, "answerCallbackQuery", callback_query_id="1", text="好" * 200) == (200, None)
    assert _post(fake, "answerCallbackQuery", callback_query_id="1", text="好" * 201) == (
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )
    assert _post(fake, "answerCallbackQuery", callback_query_id="1") == (200, None)


def test_an_edit_must_find_its_message_and_change_it(fake: FakeBotAPI) -> None:
    fake.expect_refusals(bot_api.EDIT_NOT_FOUND, bot_api.TEXT_TOO_LONG)
    markup = _buttons({"text": "是", "callback_data": "a"})
    _post(fake, "sendMessage", chat_id=1, text="问题", reply_markup=markup)
    sent = fake.chat_messages(1)[-1]["message_id"]
    same = {"chat_id": 1, "message_id": sent, "text": "问题", "reply_markup": markup}
    assert _post(fake, "editMessageText", **same) == (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
    )
    keyboard = {"chat_id": 1, "message_id": sent, "reply_markup": markup}
    assert _post(fake, "editMessageReplyMarkup", **keyboard) == (400, bot_api.NOT_MODIFIED)
    assert _post(fake, "editMessageText", **{**same, "text": "问题 ✔ 是"}) == (200, None)
    longer = {**same, "text": "字" * 4097}
    assert _post(fake, "editMessageText", **longer) == (400, bot_api.TEXT_TOO_LONG)
    assert _post(fake, "editMessageReplyMarkup", chat_id=1, message_id=sent) == (200, None)
    # the buttons are gone: taking them off again changes nothing
    no_buttons = {"chat_id": 1, "message_id": sent}
    assert _post(fake, "editMessageReplyMarkup", **no_buttons) == (400, bot_api.NOT_MODIFIED)
    gone = {"chat_id": 1, "message_id": sent + 99, "text": "x"}
    assert _post(fake, "editMessageText", **gone) == (400, "Bad Request: message to edit not found")
    assert _post(fake, "editMessageReplyMarkup", chat_id=1, message_id=sent + 99) == (
        400,
        "Bad Request: message to edit not found",
    )


def test_a_refusal_no_test_expected_is_reported(fake: FakeBotAPI) -> None:
    _post(fake, "sendMessage", chat_id=1, text="字" * 5000)
    assert fake.unexpected_refusals() == [("sendMessage", bot_api.TEXT_TOO_LONG)]
    fake.expect_refusals(bot_api.TEXT_TOO_LONG)  # this test provoked it: the check passes
    assert fake.unexpected_refusals() == []


def test_a_sent_photo_is_fetched_as_from_telegram_get_file_then_its_path(
    fake: FakeBotAPI,
) -> None:
    update = fake.photo_update(42, b"\xff\xd8 a photo's bytes")
    sizes = update["message"]["photo"]
    assert sizes[-1]["width"] > sizes[0]["width"]  # Telegram lists a photo's sizes, largest last

    async def fetch(file_id: str) -> tuple[int, Any, bytes]:
        async with aiohttp.ClientSession() as session:
            url = f"{fake.base_url}/bot{TOKEN}/getFile"
            async with session.post(url, json={"file_id": file_id}) as answer:
                body = await answer.json()
            if not body["ok"]:
                return answer.status, body["description"], b""
            path = body["result"]["file_path"]
            async with session.get(f"{fake.base_url}/file/bot{TOKEN}/{path}") as got:
                return got.status, body["result"], await got.read()

    status, result, data = asyncio.run(fetch(sizes[-1]["file_id"]))
    assert status == 200 and data == b"\xff\xd8 a photo's bytes"
    assert result["file_size"] == len(data) and result["file_path"].startswith("photos/")
    assert asyncio.run(fetch("no-such-file"))[:2] == (400, bot_api.INVALID_FILE_ID)

    async def wrong_token() -> int:
        async with aiohttp.ClientSession() as session:
            url = f"{fake.base_url}/file/bot1:other/{result['file_path']}"
            async with session.get(url) as got:
                return got.status

    assert asyncio.run(wrong_token()) == 404
    fake.files["big"] = b"\0" * (bot_api.DOWNLOAD_LIMIT + 1)
    assert asyncio.run(fetch("big"))[:2] == (400, bot_api.FILE_TOO_BIG)
