"""/status and /documents once the interview is over (split out of `bot.tg.handlers`): the
applicant's filings, or a reviewer's own answer; a reviewer's /start and invite."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update

from bot.tg import filings, ui
from bot.tg.delivery import reply
from bot.tg.filings import CHANNEL
from bot.tg.services import BotContext, services_of
from models.db import session_scope
from models.filings import applicant_by_channel, filings_of, redeem_invite, reviewer_ids
from models.repo import active_interview, latest_interview
from rules.text import t

log = logging.getLogger(__name__)


async def reviewer_start(context: BotContext, message: Message) -> bool:
    """A bare /start from a registered reviewer who has not begun filing a site of their own
    (README asks a reviewer to send /start so that the bot may write to them): the reviewer's
    greeting, not the applicant interview's first question. False for everyone else (one
    look at the roster in memory: a new applicant's /start reads nothing more)."""
    services = services_of(context)
    user = message.from_user
    if user is None or user.id not in services.roster:
        return False

    def never_filed() -> bool:
        """No filing of their own, and no answer given in an interview (one opened before
        they were known as a reviewer, or by /new and left at its start, loses nothing)."""
        with session_scope(services.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, str(user.id))
            if applicant is None or applicant.id is None:
                return True
            if filings_of(session, applicant.id):
                return False
            interview = latest_interview(session=session, applicant_id=applicant.id)
            return interview is None or not interview.answers

    if not await asyncio.to_thread(never_filed):
        return False  # filing a site of their own: /start is the interview's, as anyone's
    lang = ui.language_of(user.language_code)
    await reply(context.bot, message, REVIEWER_STATUS.get(lang))
    return True


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
    "处理（发送 /console 获取登录链接）。要为自己的网站备案，请发送 /new。",
    "You are a reviewer: new filings and changes come to you (or the review group) as cards "
    "with buttons; or use the desk (send /console for a sign-in link). To file a site of your "
    "own, send /new.",
)


_ALREADY_A_REVIEWER = t(
    "你已经是审核人员，这个邀请链接没有用掉：请把它交给要登记的那位。",
    "You are a reviewer already; the invite is not used up: give it to the person it is for.",
)


async def on_review_invite(update: Update, context: BotContext, code: str) -> None:
    """`/start review-<code>`: the opener of a valid invite becomes a reviewer."""
    message = update.message
    assert message is not None
    assert message.from_user is not None
    services = services_of(context)
    user = message.from_user
    lang = ui.language_of(user.language_code)
    if user.id in await asyncio.to_thread(services.reviewers.ids, services.db.engine):
        # a link posted in the review group: not used up, nor the reviewer renamed
        await reply(context.bot, message, _ALREADY_A_REVIEWER.get(lang))
        return
    with session_scope(services.db.engine) as session:
        reviewer = redeem_invite(session, code, user.id, user.full_name, services.clock())
    if reviewer is None:
        log.info("review invite refused for user %s", user.id)
        await reply(
            context.bot,
            message,
            t("邀请链接无效或已过期。", "This invite is not valid or has expired.").get(lang),
        )
        return
    log.info("user %s became a reviewer by invite", user.id)
    services.roster = services.roster | {user.id}
    await reply(
        context.bot,
        message,
        t(
            "已登记为审核人员。新的备案和变更会发给你（或审核群），按卡片上的按钮处理。",
            "You are now a reviewer: new filings and changes come to you (or the review "
            "group) as cards with buttons.",
        ).get(lang),
    )
