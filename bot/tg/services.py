"""What the handlers share, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ExtBot

from bot.conversation import Conversations
from dialogs.model import Context
from documents.pool import DocumentRenderer
from models.database import Database


@dataclass
class Services:
    """The bot's collaborators: database, rules context, renderer, clock, identity."""

    db: Database
    context: Callable[[], Context]
    renderer: DocumentRenderer
    clock: Callable[[], dt.datetime]
    conversations: Conversations
    holder: str  # this instance's name in chat claims and outbox leases
    button_key: bytes  # signs inline buttons (from the token: every instance has it)
    bot_id: int = 0
    delivering: set[int] = field(default_factory=set)  # outbox rows being sent right now
    background: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop the renderer and close the database."""
        for task in self.background:
            task.cancel()
        self.renderer.close()
        self.db.close()


BotContext = CallbackContext[
    ExtBot[None], dict[object, object], dict[object, object], dict[str, object]
]


def services_of(context: BotContext) -> Services:
    """Return the services stored in bot_data."""
    services = context.bot_data["services"]
    assert isinstance(services, Services)
    return services
