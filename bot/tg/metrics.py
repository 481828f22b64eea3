"""Operations (issue 16): `/healthz` and Prometheus metrics on the webhook server.

`/healthz` answers 200 when the database answers and nothing waits too long — the oldest
unprocessed update (inbox lag) and the oldest due, unsent outbox row (outbox lag: documents,
notices, reminders) — else 503, with the figures as JSON either way, for a load balancer or
systemd's watchdog script. `/metrics` is Prometheus' text format: updates processed and their
latency, document sets ready or failed, reminders sent and failed, the inbox's and the
outbox's depth (read from the database at each scrape: every instance reports the same
shared queues).

Each process has its own registry (`Metrics`), so tests may run several bots in one process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlmodel import col

from models.tables import InboxUpdate, OutboxMessage
from rules.enums import OutboxStatus

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

INBOX_LAG_LIMIT = 60.0  # seconds an update may wait before the instance counts as unhealthy
OUTBOX_LAG_LIMIT = 600.0  # seconds a due outbox row may wait (a reminder's retry backs off)


class Metrics:
    """The counters and gauges of one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "beian_updates", "Telegram updates processed", ["outcome"], registry=r
        )
        self.step_seconds = Histogram(
            "beian_update_seconds",
            "Time to process one update (its turn, its commit, its replies)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.renders = Counter(
            "beian_document_sets",
            "Document sets of deliveries: ready to send (rendered, or stored before) or failed",
            ["outcome"],
            registry=r,
        )
        self.reminders = Counter("beian_reminders", "Reminders by outcome", ["outcome"], registry=r)
        self.inbox_depth = Gauge(
            "beian_inbox_depth", "Updates stored and not processed yet", registry=r
        )
        self.inbox_lag = Gauge(
            "beian_inbox_lag_seconds", "Age of the oldest unprocessed update", registry=r
        )
        self.outbox_depth = Gauge(
            "beian_outbox_depth", "Outbox rows due and not sent yet", registry=r
        )
        self.outbox_lag = Gauge(
            "beian_outbox_lag_seconds", "How long the oldest due outbox row has waited", registry=r
        )

    def reminders_done(self, counts: Any) -> None:
        """Count what a reminders dispatch did (`bot.tg.reminders.Counts`)."""
        for outcome in ("sent", "failed", "retried", "skipped"):
            value = getattr(counts, outcome, 0)
            if value:
                self.reminders.labels(outcome).inc(value)


@dataclass(frozen=True)
class Queues:
    """The shared queues as one instance sees them now."""

    inbox_depth: int
    inbox_lag: float
    outbox_depth: int
    outbox_lag: float

    @property
    def healthy(self) -> bool:
        """Say whether nothing waits past its limit."""
        return self.inbox_lag <= INBOX_LAG_LIMIT and self.outbox_lag <= OUTBOX_LAG_LIMIT


def read_queues(engine: sa.Engine, now: dt.datetime) -> Queues:
    """Count what waits in the inbox and the outbox (two indexed queries)."""
    with engine.connect() as conn:
        inbox_count, inbox_oldest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(col(InboxUpdate.received_at))).where(
                col(InboxUpdate.done_at).is_(None)
            )
        ).one()
        outbox_count, outbox_oldest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(col(OutboxMessage.due_at))).where(
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                col(OutboxMessage.due_at) <= now,
            )
        ).one()
    return Queues(
        int(inbox_count), _age(inbox_oldest, now), int(outbox_count), _age(outbox_oldest, now)
    )


def _age(oldest: Any, now: dt.datetime) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite through a bare select: the stored ISO text
        oldest = dt.datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max(0.0, float((now - oldest).total_seconds()))


def routes(
    metrics: Metrics, engine: sa.Engine, clock: Callable[[], dt.datetime]
) -> list[tuple[str, str, Callable[[web.Request], Any]]]:
    """The webhook server's operations routes: GET /healthz and GET /metrics."""
    from aiohttp import web  # the webhook server's: polling mode never loads it

    async def healthz(_request: web.Request) -> web.Response:
        try:
            queues = await asyncio.to_thread(read_queues, engine, clock())
        except sa.exc.SQLAlchemyError as exc:
            log.warning("healthz: the database does not answer (%s)", type(exc).__name__)
            body = {"status": "unhealthy", "database": False}
            return web.json_response(body, status=503, dumps=json.dumps)
        body = {
            "status": "ok" if queues.healthy else "unhealthy",
            "database": True,
            "inbox_depth": queues.inbox_depth,
            "inbox_lag_seconds": round(queues.inbox_lag, 3),
            "outbox_depth": queues.outbox_depth,
            "outbox_lag_seconds": round(queues.outbox_lag, 3),
        }
        return web.json_response(body, status=200 if queues.healthy else 503)

    async def scrape(_request: web.Request) -> web.Response:
        try:
            queues = await asyncio.to_thread(read_queues, engine, clock())
        except sa.exc.SQLAlchemyError:
            log.warning("metrics: the queues could not be read")
        else:
            metrics.inbox_depth.set(queues.inbox_depth)
            metrics.inbox_lag.set(queues.inbox_lag)
            metrics.outbox_depth.set(queues.outbox_depth)
            metrics.outbox_lag.set(queues.outbox_lag)
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [("GET", "/healthz", healthz), ("GET", "/metrics", scrape)]
