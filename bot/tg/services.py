"""What the handlers share, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.conversation import Conversations
from bot.filing_actions import Reviewers
from bot.ocr.worker import OcrWorker
from bot.tg.metrics import Metrics
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
    reviewers: Reviewers = field(default_factory=Reviewers)
    delivering: set[int] = field(default_factory=set)  # outbox rows being sent right now
    # The message of each chat whose buttons answer the question now asked: its buttons go
    # once the question is answered by any means. In memory: after a restart an older
    # keyboard stays on screen, and a press on it is refused as stale (its asking is old).
    keyboards: dict[int, int] = field(default_factory=dict)
    # A prompt waiting for typed words in a chat (a return's reasons, a 公安备案号): chat id →
    # (the prompt's reference, when it was asked). A reviewer who answers without Telegram's
    # reply feature is answered too. In memory: a chat's updates come to the instance that
    # holds it; after a restart, a reply to the prompt (the reply feature) still works.
    prompts: dict[int, tuple[str, dt.datetime]] = field(default_factory=dict)
    # A reviewer's card whose button asked for typed words, by (chat, filing): redrawn when
    # the words record the decision (best effort: in this process's memory)
    cards: dict[tuple[int, int], int] = field(default_factory=dict)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)  # this process's (bot.tg.metrics)
    console_url: str = "http://127.0.0.1:8080"  # where /console's sign-in links point
    ocr: OcrWorker | None = None  # reads photos of the licence and ID cards (None: not here)
    # The registered reviewers' ids as last read (every ROSTER_EVERY seconds, and at once when
    # an invite is redeemed here): a bare /start from one of them is a reviewer's, answered
    # without the interview, and a new applicant's /start reads nothing more (`roster`).
    roster: frozenset[int] = frozenset()

    def read_roster(self) -> None:
        """Read the registered reviewers' ids (blocking: in a worker thread)."""
        self.roster = frozenset(self.reviewers.ids(self.db.engine))

    def close(self) -> None:
        """Stop the renderer and close the database."""
        for task in self.background:
            task.cancel()
        self.renderer.close()
        if self.ocr is not None:
            self.ocr.close()
        self.db.close()


class BotData:
    """The application's bot_data: the services, typed (PTB's `ContextTypes(bot_data=…)`)."""

    services: Services | None = None


BotContext = CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services_of(context: BotContext) -> Services:
    """Return the services the application opened."""
    services = context.bot_data.services
    assert services is not None, "the services are opened before the first update"
    return services
