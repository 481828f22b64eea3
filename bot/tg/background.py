"""What `beian serve` does beside the updates: due reminders, and the deliveries and notices a
failure or a crash left unsent. The rows are the schedule: nothing is kept in memory, and a
restart goes on from them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Any

from telegram.ext import Application

from bot.deliveries import claim_deliveries
from bot.settings import Settings
from bot.tg.delivery import deliver_documents
from bot.tg.filings import deliver_notices, pending_notices
from bot.tg.services import Services
from models import outbox
from models.db import session_scope

log = logging.getLogger(__name__)

DELIVERY_SWEEP_EVERY = 5.0  # seconds
NOTICE_SETTLED = 3.0  # seconds: a newer notice is its writer's to send (bot.tg.filings)


async def remind_forever(
    services: Services,
    app: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    settings: Settings,
) -> None:
    """Send due reminders every BEIAN_REMIND_EVERY seconds (the rows are the schedule: nothing
    is kept in memory, and a restart goes on from them; first, those this instance held)."""
    from bot.tg.reminders import Pacer, dispatch

    pacer = Pacer(settings.beian_remind_rate or None)
    frozen = settings.beian_now  # scripts and tests: the reminders' own clock, frozen
    clock = (lambda: frozen) if frozen is not None else services.clock
    own = True
    while not stop.is_set():
        try:
            counts = await dispatch(
                services.db.engine,
                app.bot,
                context=services.context,
                clock=clock,
                worker=services.holder,
                reviewers=services.reviewers,
                button_key=services.button_key,
                supervisor_chat=settings.beian_supervisor_chat,
                pacer=pacer,
                own=own,
                db=services.db,  # the per-reminder statements on the loop's connection
            )
            services.metrics.reminders_done(counts)
            own = False
        except Exception:
            log.exception("reminders dispatch failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.beian_remind_every)


async def sweep_deliveries(
    services: Services,
    app: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    recovered: list[int],
) -> None:
    """Send the deliveries a crash left (`recovered`), then any a failure or another
    instance's crash leaves, every DELIVERY_SWEEP_EVERY seconds."""
    due = recovered
    while not stop.is_set():
        try:
            for delivery_id in due:
                log.info("delivery %s resumed", delivery_id)
                await deliver_documents(services, app.bot, delivery_id)
            # a transition's notices a crash (or a failed send) left unsent
            notices = await asyncio.to_thread(pending_notices, services.db.engine)
            await deliver_notices(services, app.bot, notices, settled=NOTICE_SETTLED)
        except Exception:
            log.exception("delivery sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), DELIVERY_SWEEP_EVERY)
        try:
            due = await asyncio.to_thread(
                partial(
                    claim_deliveries,
                    services.db.engine,
                    services.holder,
                    services.clock(),
                    skip=set(services.delivering),
                )
            )
        except Exception:
            log.exception("delivery sweep failed")
            due = []


async def take_back_what_a_crash_left(services: Services) -> list[int]:
    """Claim the deliveries this instance held when it died (before any update is taken, so
    none is mistaken for one in progress) and release its claimed notices; return the
    deliveries' ids."""
    recovered = await asyncio.to_thread(
        partial(
            claim_deliveries,
            services.db.engine,
            services.holder,
            services.clock(),
            skip=set(),
            recovering=True,
        )
    )
    await asyncio.to_thread(release_own_notices, services.db.engine, services.holder)
    return recovered


def release_own_notices(engine: Any, holder: str) -> None:
    """Notices this instance had claimed when it died are sent now, not after their lease."""
    with session_scope(engine) as session:
        released = outbox.release_own(session, worker=holder, kinds=("notice",))
    if released:
        log.info("%s notices claimed before a restart taken back", released)
