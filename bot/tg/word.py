"""The Word copies on Telegram (issue 31): the 「Word版（可编辑）」 button under a filing's status
and after /documents' PDFs; a press sends the .docx of the forms, made then in the render pool.

Not sent by default: the chat stays short for the many who need only the PDFs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import InlineKeyboardMarkup, InputFile
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.tg.services import BotContext, services_of
from bot.word_copies import word_copies
from documents.captions import caption
from rules.standing import WORD_LABEL
from rules.text import Lang, t

log = logging.getLogger(__name__)
WORD = "w"  # a filing button's code: send its Word copies
OFFER = t(
    f"需要改一行再打印？按「{WORD_LABEL.zh}」获取可编辑的《备案表》《安全责任告知书》"
    "《复审材料清单》。",
    f"Need to change a line before printing? Press “{WORD_LABEL.en}” for the filing form, "
    "the responsibility notice and the checklist as editable Word files.",
)
_GONE = t("这份备案已不存在。", "This filing no longer exists.")


async def offer_word_copies(
    context: BotContext, chat_id: int, lang: Lang, markup: InlineKeyboardMarkup
) -> None:
    """Offer the Word copies (after the PDFs of /documents): a line and its button."""
    await context.bot.send_message(chat_id, OFFER.get(lang), reply_markup=markup)


async def send_word_copies(context: BotContext, chat_id: int, filing_id: int) -> None:
    """Make the filing's Word copies (render pool, never on the loop) and send them with the
    PDFs' captions."""
    services = services_of(context)
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    copies = await asyncio.to_thread(
        word_copies,
        services.db.engine,
        filing_id,
        services.renderer.render_docx_blocking,
        services.context(),
        services.clock(),
    )
    if copies is None:
        await context.bot.send_message(chat_id, _GONE.get("zh"))
        return
    for kind, name, content in copies.documents:
        what = caption(kind, individual=copies.individual).get(copies.lang)
        await context.bot.send_document(chat_id, InputFile(content, filename=name), caption=what)
    log.info("filing %s: %s Word copies sent", filing_id, len(copies.documents))
