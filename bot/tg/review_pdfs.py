"""A reviewer's 私发PDF on Telegram: a card carries masked data only (a whole review group may
read it), so the filing's PDFs, with full ID numbers, go to the presser's private chat,
each sending logged (`console_reveal`, as the desk logs a number shown). Moved out of
bot/tg/filings.py in issue 27."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import Forbidden

from bot.tg.delivery import answer, send_document
from bot.tg.filings import stored_pdfs
from bot.tg.services import BotContext, services_of
from documents.captions import reviewer_caption
from models.db import session_scope
from models.tables import ConsoleReveal
from rules.text import Lang, t

log = logging.getLogger(__name__)

_REVIEW_PDFS = ("filing-form", "responsibility")  # what the applicant filed, to check
_PDFS_SENT = t("PDF 已私发给你（含完整证件号码，已记录查看）。",
               "The PDFs were sent to you privately (with full ID numbers; logged).")  # fmt: skip
_PDFS_BLOCKED = t(
    "无法私发：请先在与本机器人的私聊中发送 /start，再按此按钮。",
    "Cannot send privately: send /start to this bot in a private chat first, then press again.",
)
_NO_PDFS = t("这份备案还没有生成的 PDF。", "This filing has no generated PDFs yet.")


async def send_pdfs_privately(context: BotContext, query: Any, filing_id: int, lang: Lang) -> None:
    """A registered reviewer's 私发PDF: the filing's PDFs with full numbers to their private
    chat (never to the group), each sending logged with who and when (the desk's log of
    numbers shown, `console_reveal`, field "pdf:<kind>")."""
    services = services_of(context)
    engine = services.db.engine
    user = query.from_user
    stored = await asyncio.to_thread(stored_pdfs, engine, filing_id, list(_REVIEW_PDFS))
    if not stored:
        await answer(query, _NO_PDFS.get(lang), True)
        return
    try:
        for kind, _, name, content in stored:
            what = reviewer_caption(kind).get("zh")
            await send_document(context.bot, user.id, content, name, what)
    except Forbidden:
        log.warning("filing %s: PDFs not sent to reviewer %s (403: no private chat)", filing_id,
                    user.id)  # fmt: skip
        await answer(query, _PDFS_BLOCKED.get(lang), True)
        return

    def record() -> None:
        with session_scope(engine) as session:
            for kind, *_ in stored:
                field = f"pdf:{kind.value}"
                at = services.clock()
                session.add(
                    ConsoleReveal(filing_id=filing_id, reviewer_id=user.id, field=field, at=at)
                )

    await asyncio.to_thread(record)
    log.info("filing %s: PDFs sent privately to reviewer %s", filing_id, user.id)
    await answer(query, _PDFS_SENT.get(lang), True)
