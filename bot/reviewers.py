"""One list of reviewers for every channel (issue 26).

The `reviewer` table is the list; BEIAN_REVIEWERS seeds it when `beian serve` starts and when
a CLI command opens the database (`seed_configured`), so `beian filings change` run where the
setting is not set still writes the reviewers' cards, and the running bot sends them.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from bot.filing_actions import Reviewers
from bot.settings import Settings
from models.db import session_scope
from models.reviewers import seed_reviewers

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
