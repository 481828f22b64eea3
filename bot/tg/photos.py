"""A photo in a private chat (a Telegram photo, or an image sent as a file): downloaded into
memory, read by the OCR worker, dropped; the interview shows what was read (issue 30).

The photo is never written to disk or to the database: the audit keeps its SHA-256 only.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.error import TelegramError

from bot.ocr.images import MAX_BYTES, TOO_LARGE
from bot.ocr.reading import read_photo_bytes
from bot.ocr.worker import OcrWorker
from bot.tg.services import BotContext, services_of
from dialogs.model import Input, PhotoRead
from rules.text import t

log = logging.getLogger(__name__)
CHANNEL = "telegram"

NOT_DOWNLOADED = t(
    "没能从Telegram取得这张照片，请重新发送。",
    "The photo could not be fetched from Telegram; please send it again.",
)


def photo_file(message: Message) -> tuple[str, int | None] | None:
    """Return the file id and size of the message's photo (its largest size) or image
    document; None when it has neither."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document.file_id, document.file_size
    return None


async def read_photo(update: Update, context: BotContext) -> Input | None:
    """Read the message's photo into an interview input; None: no photo, or none read here."""
    message = update.message
    services = services_of(context)
    if message is None or services.ocr is None:
        return None
    found = photo_file(message)
    if found is None:
        return None
    file_id, size = found
    if size is not None and size > MAX_BYTES:  # said before anything is downloaded
        return Input.photographed(PhotoRead(problem=TOO_LARGE))
    try:
        data = bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
    except TelegramError as exc:
        log.info("update %s: photo not downloaded: %s", update.update_id, exc.message)
        return Input.photographed(PhotoRead(problem=NOT_DOWNLOADED))
    read = await _read(services.ocr, data, update, context)
    del data  # only in memory, and only until here
    log.info("update %s: photo read", update.update_id)
    return Input.photographed(read)


async def _read(worker: OcrWorker, data: bytes, update: Update, context: BotContext) -> PhotoRead:
    user = update.effective_user
    assert user is not None
    engine = services_of(context).db.engine
    return await asyncio.to_thread(
        read_photo_bytes, worker, data, engine=engine, channel=CHANNEL, external_id=str(user.id)
    )
