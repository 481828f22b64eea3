"""The inbox's housekeeping, done by its sweep (`bot.chat_inbox.ChatInbox.sweep`): done
messages purged once they are KEEP_DONE old (every PURGE_EVERY), and on PostgreSQL the hot
path's planner statistics kept fresh (`models.planner_stats`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

from models import inbox, planner_stats
from models.database import Database

log = logging.getLogger(__name__)

PURGE_EVERY = dt.timedelta(hours=1)


@dataclass
class Upkeep:
    """What the sweep does besides waking chats, each at its own pace."""

    db: Database
    _purged_at: dt.datetime | None = None
    _stats: planner_stats.Keeper = field(default_factory=planner_stats.Keeper)

    async def run(self, now: dt.datetime) -> None:
        """Purge and refresh what is due at `now`."""
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            removed = await self.db.run(lambda raw: inbox.purge_done(raw, now=now))
            if removed:
                log.info("inbox: %s done messages purged", removed)
        if not self.db.sqlite and self._stats.is_due(now):
            await asyncio.to_thread(self.db.pooled, planner_stats.refresh)
