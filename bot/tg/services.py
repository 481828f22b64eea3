"""What the handlers share, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from telegram.ext import CallbackContext, ExtBot

from bot.conversation import Conversations
from dialogs.model import Context
from documents.pool import DocumentRenderer


@dataclass
class Services:
    """The bot's collaborators: database, rules context, renderer, clock."""

    engine: sa.Engine
    context: Callable[[], Context]
    renderer: DocumentRenderer
    clock: Callable[[], dt.datetime]
    conversations: Conversations
    bot_id: int = 0

    def close(self) -> None:
        """Stop the renderer and close the database."""
        self.renderer.close()
        self.conversations.close()
        self.engine.dispose()


BotContext = CallbackContext[
    ExtBot[None], dict[object, object], dict[object, object], dict[str, object]
]


def services_of(context: BotContext) -> Services:
    """Return the services stored in bot_data."""
    services = context.bot_data["services"]
    assert isinstance(services, Services)
    return services
