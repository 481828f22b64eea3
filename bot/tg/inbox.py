"""Telegram's adapter of the inbox processor (`bot.chat_inbox`): updates parsed with
python-telegram-bot, answered by the `Application`'s handlers.

`accept` stores updates (and commits) before the caller acknowledges them to Telegram (the
webhook's 200, the next getUpdates offset), then wakes their chats; everything after that —
claims, order, crash recovery, stored replies, wake-ups between instances — is the
channel-neutral processor's. A handler marks its update done in the transaction of its turn
(`current_ticket`); an update no handler takes is marked done once handled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.chat_inbox import (
    CLAIM_LEASE,
    FLUSH_AFTER,
    PURGE_EVERY,
    SWEEP_EVERY,
    ChatInbox,
    Ticket,
    current_ticket,
)
from bot.tg.metrics import Metrics
from models import inbox
from models.database import Database

__all__ = [
    "CLAIM_LEASE",
    "FLUSH_AFTER",
    "PURGE_EVERY",
    "SWEEP_EVERY",
    "InboxProcessor",
    "Ticket",
    "chat_of",
    "current_ticket",
]

log = logging.getLogger(__name__)


def chat_of(update: Update) -> int:
    """Return the chat whose order an update belongs to (its user's, or 0 when neither)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


class InboxProcessor(ChatInbox[Update]):
    """Store Telegram updates, then process them chat by chat through the `Application`."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        db: Database,
        *,
        bot_id: int,
        holder: str,
        clock: Callable[[], dt.datetime],
        apologise: Callable[[int], Coroutine[Any, Any, None]] | None = None,
        # Sends a turn's stored replies (`bot.tg.handlers.send_plan`) that a crash left unsent.
        replay: Callable[[int, list[Any]], Coroutine[Any, Any, None]] | None = None,
        metrics: Metrics | None = None,
        **limits: Any,
    ) -> None:
        super().__init__(
            db=db, bot_id=bot_id, holder=holder, clock=clock, metrics=metrics, **limits
        )
        self.app = app
        self.apologise = apologise
        self.replay = replay

    async def accept(self, raws: list[dict[str, Any]]) -> tuple[list[int], int]:
        """Store raw updates (committed when this returns) and wake their chats.

        Returns the ids that were new and how many were not readable as updates (logged and
        left out); a redelivered update is logged and skipped."""
        parsed: list[tuple[Update, inbox.Received]] = []
        unreadable = 0
        for raw in map(inbox.storable, raws):
            try:
                update = Update.de_json(raw, self.app.bot)
                if update is None:
                    raise ValueError("empty")
                parsed.append((update, inbox.Received(update.update_id, chat_of(update), raw)))
            except (ValueError, TypeError, KeyError, AttributeError):
                unreadable += 1
                if self.metrics is not None:
                    self.metrics.updates.labels("unreadable").inc()
                log.warning("update %s refused: not readable as an update", _id_of(raw))
        return await self.store(parsed), unreadable

    def parse(self, key: int, payload: dict[str, Any]) -> Update:
        update = Update.de_json(payload, self.app.bot)
        if update is None:
            raise ValueError("empty")
        return update

    def chat_of(self, item: Update) -> int:
        return chat_of(item)

    async def handle(self, item: Update) -> bool:
        # Errors are PTB's: its error handler (`bot.tg.handlers.on_error`) apologises.
        await self.app.process_update(item)
        return False  # done when its turn marked the ticket, else marked done after

    async def resend(self, row: inbox.Unsent) -> None:
        if self.replay is not None:
            await self.replay(row.chat_id, row.reply)

    async def apologise_for(self, chat_id: int, item: Update | None) -> None:
        if self.apologise is not None and chat_id:
            await self.apologise(chat_id)


def _id_of(raw: object) -> object:
    return raw.get("update_id") if isinstance(raw, dict) else None
