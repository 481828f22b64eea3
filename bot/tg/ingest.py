"""Where updates come in: long polling or a webhook server, both storing before acknowledging.

Polling: a batch from getUpdates is stored (and committed) before the next getUpdates, whose
offset tells Telegram the batch arrived. Webhook: a request is answered 200 only after its
update is stored. Either way an update Telegram considers delivered is in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.tg.inbox import InboxProcessor

log = logging.getLogger(__name__)
# getUpdates is called through do_api_request on purpose: the raw JSON is what the inbox keeps.
warnings.filterwarnings("ignore", message=".*Bot.getUpdates.*do_api_request", category=UserWarning)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open
MAX_BODY = 1024 * 1024  # a webhook update is a few KB; anything larger is refused (413)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


async def poll(
    bot: Bot,
    processor: InboxProcessor,
    stop: asyncio.Event,
    *,
    timeout: int = POLL_TIMEOUT,
    allowed_updates: list[str] | None = None,
) -> None:
    """Long-poll until `stop` is set; each batch is stored before the offset moves past it."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": timeout,
                    "allowed_updates": allowed_updates or list(Update.ALL_TYPES),
                },
                read_timeout=timeout + 10,
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([fetch, stopped], return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():  # stopping: nothing of this poll was stored or acknowledged
            fetch.cancel()
            break
        stopped.cancel()
        try:
            batch: list[dict[str, Any]] = fetch.result() or []
        except InvalidToken:
            log.error("Telegram refused the token while polling; stopping")
            stop.set()
            break
        except Conflict:
            failures += 1
            log.error("another process is polling this bot's token (409 Conflict); retrying")
            await _pause(stop, min(30.0, 2.0 * failures))
            continue
        except (TimedOut, NetworkError, TelegramError) as exc:
            failures += 1
            log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
            await _pause(stop, min(30.0, 0.5 * 2 ** min(failures, 6)))
            continue
        failures = 0
        if not batch:
            continue
        await processor.accept(batch)  # stored: the next getUpdates may acknowledge them
        offset = max(int(raw["update_id"]) for raw in batch if isinstance(raw, dict)) + 1


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
