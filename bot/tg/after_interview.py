"""/status and /documents once the interview is over (split out of `bot.tg.handlers`): the
applicant's filings, or a reviewer's own answer."""

from __future__ import annotations

import asyncio

from telegram import Message

from bot.tg import filings, ui
from bot.tg.delivery import reply
from bot.tg.filings import CHANNEL
from bot.tg.services import BotContext, services_of
from models.db import session_scope
from models.filings import applicant_by_channel, reviewer_ids
from models.repo import active_interview
from rules.text import t


async def after_the_interview(context: BotContext, message: Message) -> bool:
    """/status and /documents once the interview is over: the applicant's filings (False when
    an interview is in progress, or there is no filing: the interview answers)."""
    services = services_of(context)
    user = message.from_user
    assert user is not None

    def interviewing() -> bool | None:
        """True: an interview is going on (or none was ever started); None: neither, and the
        sender is a reviewer who never filed (their /status is not an interview's)."""
        with session_scope(services.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, str(user.id))
            if applicant is None or applicant.id is None:
                return None if user.id in reviewer_ids(session) else True
            return active_interview(session=session, applicant_id=applicant.id) is not None

    words = (message.text or "").split()
    lang = ui.language_of(user.language_code)
    going_on = False if len(words) > 1 else await asyncio.to_thread(interviewing)
    if going_on is None:
        await reply(context.bot, message, REVIEWER_STATUS.get(lang))
        return True
    if len(words) > 1 or going_on:
        return False  # "/start group" and the like, or an interview going on: the interview's
    if words[0] == "/documents":
        return await filings.resend_latest(context, message.chat_id, user.id)
    return await filings.send_status(context, message.chat_id, user.id, lang)


REVIEWER_STATUS = t(
    "你是审核人员。新的备案和变更会以卡片发给你（或审核群），按卡片上的按钮处理；也可以在审核台"
    "处理（发送 /console 获取登录链接）。要为自己的网站备案，请发送 /start。",
    "You are a reviewer: new filings and changes come to you (or the review group) as cards "
    "with buttons; or use the desk (send /console for a sign-in link). To file a site of your "
    "own, send /start.",
)
