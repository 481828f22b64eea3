"""A photo of the business licence fills the unit's questions in the Telegram interview after
one confirmation, over the Bot API stand-in (getFile and the file download as Telegram does
them); the photo is not kept, only its hash (issue 30)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dialogs.transcripts import ENTERPRISE
from tests.documents.pdf_text import page_texts, squeeze
from tests.fakes.bot_api import Call, FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess, Person
from tests.fakes.photos import Sample, draw_licence

# The transcript's unit, printed on a licence.
LICENCE = {
    "uscc": "91330106MA2B3C4D5D",
    "name": "示例云帆科技有限公司",
    "type": "有限责任公司（自然人投资或控股）",
    "legal_representative": "林云帆",
    "address": "示例市示例区云帆路88号云帆大厦12层",
    "established": "2019-03-08",
}


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def bot(fake: FakeBotAPI, tmp_path: Path) -> Iterator[BotProcess]:
    # A generous time-out: the machine running the suite may be busy.
    process = BotProcess(fake, tmp_path, env={"BEIAN_OCR_TIMEOUT": "120"}).start()
    yield process
    assert process.stop() == 0, process.output()


def _upto(question: str) -> int:
    return next(i for i, (_, expected) in enumerate(ENTERPRISE) if question in str(expected))


def test_a_licence_photo_fills_the_unit_after_one_confirmation_and_the_pdf_has_it(
    fake: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    person = Person(fake, 7301)
    person.says("/start", "网站是以什么身份开办的")
    asked = ""
    for said, expected in ENTERPRISE[: _upto("开办单位的全称") + 1]:
        asked = person.says(said, expected)
    assert "发送营业执照照片可自动填写" in asked  # this install reads photos

    # A file that is no image: refused in words (no traceback), the question asked again.
    seen = len(fake.chat_messages(person.user_id))
    fake.push(fake.photo_update(person.user_id, b"%PDF-1.7 not a photo", as_document=True))
    refused = fake.wait_until(
        lambda: (
            "\n".join(m.get("text", "") for m in fake.chat_messages(person.user_id)[seen:]) or None
        )
    )
    assert "不是能识别的图片" in refused and "也可以直接输入" in refused
    assert "开办单位的全称" in refused

    photo = Sample("business_license", LICENCE, draw_licence(LICENCE), "e2e").jpeg(85)
    seen = len(fake.chat_messages(person.user_id))
    fake.push(fake.photo_update(person.user_id, photo))
    shown = fake.wait_until(
        lambda: (
            "\n".join(m.get("text", "") for m in fake.chat_messages(person.user_id)[seen:]) or None
        ),
        60,
    )
    assert "从营业执照照片中识别到" in shown
    assert "统一社会信用代码：91330106MA2B3C4D5D ✔" in shown
    assert "单位名称：示例云帆科技有限公司" in shown
    assert "法定代表人姓名：林云帆" in shown
    assert fake.downloads, "the photo was fetched through getFile and the file download"

    person.says("[使用这些信息]", ("已填入", "邮政编码"))  # name, code, address: all filled
    rest = ENTERPRISE[_upto("邮政编码") + 1 :]
    for said, expected in rest:
        if said == "林云帆":
            continue  # read from the licence: not asked
        if said == "0571-88886666":
            expected = "法定代表人的证件号码"
        person.says(said, expected)

    def documents() -> list[Call] | None:
        calls = fake.calls_of("sendDocument", person.user_id)
        return calls if len(calls) >= 4 else None

    sent = fake.wait_until(documents, 60)
    form = next(c for c in sent if next(iter(c.files.values()))[0].startswith("备案表"))
    text = squeeze("".join(page_texts(next(iter(form.files.values()))[1])))
    assert "91330106MA2B3C4D5D" in text
    assert "示例云帆科技有限公司" in text and "林云帆" in text

    # Only the photo's hash is kept: no image anywhere in the bot's folder, nor in the database.
    with sqlite3.connect(tmp_path / "bot.db") as db:
        rows = db.execute("SELECT sha256, kind, outcome FROM photo_reading").fetchall()
    garbage = hashlib.sha256(b"%PDF-1.7 not a photo").hexdigest()
    assert rows == [
        (garbage, None, "refused"),
        (hashlib.sha256(photo).hexdigest(), "business_license", "read"),
    ]
    assert not [p for p in tmp_path.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    assert photo[:64] not in (tmp_path / "bot.db").read_bytes()
    assert "Traceback" not in bot.output()
