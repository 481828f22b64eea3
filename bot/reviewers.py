"""One list of reviewers for every channel, and a card that cannot be delivered (issue 26).

The `reviewer` table is the list; BEIAN_REVIEWERS seeds it when `beian serve` starts and when
a CLI command opens the database (`seed_configured`), so `beian filings change` run where the
setting is not set still writes the reviewers' cards, and the running bot sends them.

A reviewers' card refused with 403 (a reviewer who never wrote to the bot or blocked it, a
review group the bot was removed from) is not silent (`card_refused`): a WARNING names the
chat, the chat is marked unreachable (`beian reviewers list` shows it) until a card gets
through, and the card goes where it still can — from a group to the reviewers privately;
when no reviewer can be reached, to BEIAN_SUPERVISOR_CHAT. The new rows are outbox rows like
the first (sent by the delivery sweep within seconds, retried as any notice).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.filing_actions import Reviewers
from bot.settings import Settings
from models import outbox
from models.db import session_scope
from models.filings import reviewer_ids
from models.reviewers import mark_unreachable, seed_reviewers, unreachable
from models.tables import OutboxMessage
from rules.enums import OutboxStatus

log = logging.getLogger(__name__)


def reviewers_of(settings: Settings) -> Reviewers:
    """Return where this deployment's cards go (the reviewers themselves are in the table)."""
    return Reviewers(
        review_chat=settings.beian_review_chat, supervisor_chat=settings.beian_supervisor_chat
    )


def seed_configured(engine: sa.Engine, settings: Settings, now: dt.datetime) -> list[int]:
    """Register BEIAN_REVIEWERS' ids never registered before; return those added."""
    ids = settings.reviewer_ids()
    if not ids:
        return []
    with session_scope(engine) as session:
        added = seed_reviewers(session, ids, now)
    if added:
        log.info("reviewers %s registered from BEIAN_REVIEWERS", ", ".join(map(str, added)))
    return added


def notice_refused(
    engine: sa.Engine,
    row_id: int,
    chat_id: int,
    payload: dict[str, Any],
    error: str,
    now: dt.datetime,
    reviewers: Reviewers,
) -> None:
    """A notice was refused with 403: a reviewers' card goes elsewhere (`card_refused`); an
    applicant's is closed as failed (they blocked the bot: nowhere else to send it)."""
    if payload.get("kind") == "card":
        card_refused(engine, row_id, chat_id, error, now, reviewers)
        return
    log.info("notice %s not sent: the bot may not write to that chat", row_id)
    with session_scope(engine) as session:
        outbox.finish(session, row_id, status=OutboxStatus.FAILED, now=now, error="403")


def card_refused(
    engine: sa.Engine,
    row_id: int,
    chat_id: int,
    error: str,
    now: dt.datetime,
    reviewers: Reviewers,
) -> list[int]:
    """Close a card refused in `chat_id` as failed, mark the chat and send the card where it
    can still go (see the module); return the new outbox rows' ids."""
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, row_id)
        outbox.finish(session, row_id, status=OutboxStatus.FAILED, now=now, error=error)
        if row is None:
            return []
        active = reviewer_ids(session)
        role = _role_of(chat_id, active, reviewers)
        mark_unreachable(session, chat_id, role, error, now)
        blocked = set(unreachable(session))
        reachable = sorted(active - blocked - {chat_id})
        if role == "supervisor":
            targets: list[int | None] = []  # the end of the line
        elif role == "reviewer":  # the other reviewers have their own copies
            targets = [] if reachable else [reviewers.supervisor_chat]
        else:  # the group (or a chat no longer configured): each reviewer privately
            targets = list(reachable) or [reviewers.supervisor_chat]
        sent_to = [t for t in targets if t is not None and t != chat_id]
        added = _copies(session, row, sent_to, now)
    if sent_to:
        then = "sent instead to " + ", ".join(map(str, sent_to))
    elif role == "supervisor":
        then = "nowhere else to send it"
    elif reachable:
        then = "the other reviewers have their own copies"
    else:
        then = "nobody else can be reached (no reviewer, and BEIAN_SUPERVISOR_CHAT is not set)"
    log.warning("card %s refused in %s %s (%s); %s", row_id, _ROLES[role], chat_id, error, then)
    return added


def _role_of(chat_id: int, active: set[int], reviewers: Reviewers) -> str:
    """What a chat is to the bureau: its review chat, a reviewer's, the supervisor's, or other."""
    if chat_id == reviewers.review_chat:
        return "review_chat"
    if chat_id in active:
        return "reviewer"
    if chat_id == reviewers.supervisor_chat:
        return "supervisor"
    return "chat"


def _copies(
    session: Session, row: OutboxMessage, targets: list[int], now: dt.datetime
) -> list[int]:
    """Add a copy of the card `row` for each chat of `targets`; return the new rows' ids."""
    added: list[int] = []
    prefix = row.dedupe_key.rsplit(":", 1)[0]  # notice:<event>:<notice>, then the chat
    for target in targets:
        new_id = outbox.add(
            session,
            OutboxMessage(
                kind=row.kind,
                dedupe_key=f"{prefix}:{target}",  # one copy per chat, however often asked
                filing_id=row.filing_id,
                applicant_id=row.applicant_id,
                chat_id=target,
                due_at=now,
                payload=dict(row.payload),
                created_at=now,
            ),
        )
        if new_id is not None:
            added.append(new_id)
    return added


_ROLES = {
    "review_chat": "the review chat",
    "reviewer": "the private chat of reviewer",
    "supervisor": "the supervisor chat",
    "chat": "chat",
}
