"""/console in a private chat: a registered reviewer gets a one-time sign-in link to the desk
(valid 15 minutes), privately and without a link preview (a preview would fetch it)."""

from __future__ import annotations

import asyncio
import logging

from telegram import LinkPreviewOptions, Update

from bot.console.auth import create_link_token
from bot.console.cli import link_for
from bot.console.texts import BOT_LINK, BOT_NOT_REVIEWER
from bot.tg import ui
from bot.tg.services import BotContext, services_of

log = logging.getLogger(__name__)
CONSOLE = r"^\s*[/／]console(@\w+)?\s*$"


async def on_console(update: Update, context: BotContext) -> None:
    """Send a reviewer their sign-in link; tell anyone else the desk is for reviewers."""
    message, user = update.message, update.effective_user
    if message is None or user is None or message.chat.id != user.id:
        return
    services = services_of(context)
    lang = ui.language_of(user.language_code)
    token = await asyncio.to_thread(
        create_link_token,
        services.db.engine,
        user.id,
        services.clock(),
    )
    if token is None:
        log.info(
            "update %s refused: /console by user %s, not a reviewer", update.update_id, user.id
        )
        await message.reply_text(BOT_NOT_REVIEWER.get(lang))
        return
    log.info("user %s got a sign-in link to the desk", user.id)
    url = link_for(services.console_url, token)
    await message.reply_text(
        BOT_LINK.fill(lang, url=url), link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
