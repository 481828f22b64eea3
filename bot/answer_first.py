"""A quiet chat's message answered before it is stored (`models.inbox.Unstored`): its row is
written with its turn's commit, one commit a step instead of two (issue 26's step target).

For a chat this instance holds with no work in hand. On SQLite after one read: the message is
not stored already (a redelivery) and no message of its chat waits (a failed chat's, or one
another process stored: they go first). On PostgreSQL, where other instances store a chat's
messages at any moment, without it: the turn's own statement checks both
(`models.fast_store`), and so does whatever else stores it first — any other work of its
handler on the database (`models.inbox.flush_unstored`, the pool's checkout), its first
message sent (`bot.tg.effects`, `bot.wx.api`), its acknowledgement after ACK_WITHIN: behind an
earlier message of its chat, or a redelivery of one done already, its handler is stopped
before it writes or sends (`models.inbox.StoreFirst`), and the chat is processed in order.
It is still acknowledged only once its row is committed: with its turn, or stored first by
any other work on the database in a worker thread or through `Database.run`
(`models.inbox.flush_unstored`), or marked done after a handler that wrote nothing, or stored
waiting after ACK_WITHIN; if its chat's work ends without it (the instance stopping, the
claim lost), it is stored as usual.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from models import inbox

if TYPE_CHECKING:
    from bot.chat_inbox import ChatInbox

log = logging.getLogger(__name__)


# How long a message answered first may go unacknowledged while its handler has written
# nothing yet (an interview turn commits within a millisecond or two; a handler that sends
# first waits for Telegram): then it is stored waiting, and marked done as any other. Long
# polling fetches nothing meanwhile, so this is short.
ACK_WITHIN = 0.05  # seconds
RECENT = 4096  # messages processed here remembered (a redelivery to this instance)


@dataclass
class AnswerFirst:
    """The messages of one inbox processor answered before they are stored."""

    unstored: dict[int, inbox.Unstored] = field(default_factory=dict)  # until their turn
    # The messages processed here lately (PostgreSQL, no read first: a redelivery to the
    # instance that answered it is stored first, as usual, and refused there).
    recent: dict[int, None] = field(default_factory=dict)

    def may(self, processor: ChatInbox[Any], row: inbox.Received) -> bool:
        """Say whether `row` may be answered before it is stored, as far as this instance
        knows: its chat held here with no work in hand, nothing being stored, room to
        keep it."""
        p, chat_id = processor, row.chat_id
        return (
            p.answer_first
            and p._writer.alone()
            and not p._stopping
            and chat_id not in p._chats
            and chat_id not in p._queued
            and len(p._chats) < p.max_chats
            and len(p._kept.items) < p.max_local
            and not p._claims.renewal_due(chat_id, p.clock())
            and row.update_id not in self.recent
        )

    async def answer(self, processor: ChatInbox[Any], item: Any, row: inbox.Received) -> bool:
        """Answer `row` first when it may be; return True once it is stored (it may then be
        acknowledged). False, nothing stored, when it is to be stored as usual."""
        if not self.may(processor, row):
            return False
        known = partial(
            inbox.known, bot_id=processor.bot_id, update_id=row.update_id, chat_id=row.chat_id
        )
        if processor.db.sqlite and await processor.db.run(known):
            return False
        if not self.may(processor, row):  # the read waited in a thread (a busy database)
            return False
        record = inbox.Unstored(processor.bot_id, row, processor.clock())
        if not processor.db.sqlite:  # no read first: checked when stored (`inbox.StoreFirst`)
            record.flush = partial(processor.db.run, _nothing)  # (`Database.run` stores it)
        self.unstored[row.update_id] = record
        processor._kept.keep(row, item, processor.max_local)
        processor.wake(row.chat_id, [row.update_id])
        work = processor._chats.get(row.chat_id)
        if work is None or work.task is None:  # not woken (cannot be: `may` said so)
            self._ended(processor, record)
            return False
        task = work.task
        task.add_done_callback(lambda _: self._ended(processor, record))
        # A handler that sends before its first write (a refusal, /help, a 429's wait) does
        # not hold up the acknowledgement: past ACK_WITHIN it is stored waiting.
        late = asyncio.get_running_loop().call_later(ACK_WITHIN, record.settle)
        await record.settled
        late.cancel()
        if not record.stored and not task.done():  # checked: its handler's next work stops
            await processor.db.run(partial(inbox.store_unstored, record=record, check=True))
        return record.stored

    def _ended(self, processor: ChatInbox[Any], record: inbox.Unstored) -> None:
        """Its chat's work ended: forget it here; if that was without it (stopping, the claim
        lost), `answer` then stores it as usual."""
        self.unstored.pop(record.row.update_id, None)
        if not record.stored:
            processor._kept.take(record.row.update_id)
        record.settle()

    def again(self, processor: ChatInbox[Any], record: inbox.Unstored, item: Any) -> None:
        """Its handler was stopped (PostgreSQL: `models.inbox.StoreFirst`): stored behind an
        earlier message of its chat, it is processed after that one, from memory."""
        row = record.row
        log.info("update %s: processed after an earlier message of its chat", row.update_id)
        processor._kept.keep(row, item, processor.max_local)
        work = processor._chats.get(row.chat_id)
        if work is not None:  # (it is: this runs in its chat's work) the chat is looked at again
            work.more = True

    def begin(self, key: int) -> inbox.Unstored | None:
        """A message's turn begins: return it when it was answered before it was stored."""
        self.recent[key] = None
        if len(self.recent) > RECENT:
            del self.recent[next(iter(self.recent))]
        return self.unstored.pop(key, None)


def _nothing(_raw: Any) -> None:
    """Work that only stores the update in hand (`models.database.Database.run` does that)."""
