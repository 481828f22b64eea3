"""An event on a filing, checked and applied in one transaction (any channel, the CLI too).

`act` loads the filing, checks that the actor may touch it (the applicant owns it; a reviewer
is registered), asks `rules.filing_life.decide`, and writes the decision with its audit row and
outbox rows in one transaction. A filing moved on meanwhile (its version changed, or another
writer won the race) is refused with who did what, never applied twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from dialogs.model import Context
from models.db import session_scope
from models.filings import apply_decision, reviewer_ids, state_of
from models.tables import Applicant, Filing, LifecycleEvent, OutboxMessage
from rules.enums import OutboxStatus
from rules.filing_life import Action, Actor, Decision, Refusal, Role, decide
from rules.lifecycle import FilingEvent
from rules.text import Text, t

NOT_YOURS = t("没有找到这份备案。", "No such filing.")


@dataclass(frozen=True)
class Outcome:
    """What `act` did: the decision (None when refused), the refusal's reason, the notices."""

    decision: Decision | None
    refusal: Text | None
    notices: tuple[int, ...] = ()

    @property
    def done(self) -> bool:
        """Say whether the event was applied."""
        return self.decision is not None


@dataclass(frozen=True)
class Reviewers:
    """Who reviews this city's filings, and where their cards go."""

    configured: tuple[int, ...] = ()
    review_chat: int | None = None

    def ids(self, engine: sa.Engine) -> set[int]:
        """Return every active reviewer's Telegram id."""
        with session_scope(engine) as session:
            return reviewer_ids(session, list(self.configured))

    def chats(self, engine: sa.Engine) -> list[int]:
        """Return where a card goes: the review chat, else each reviewer privately."""
        if self.review_chat is not None:
            return [self.review_chat]
        return sorted(self.ids(engine))


def act(
    engine: sa.Engine,
    filing_id: int,
    *,
    event: FilingEvent,
    who: Actor,
    ctx: Context,
    clock: Callable[[], dt.datetime],
    reviewers: Reviewers,
    applicant_external_id: str | None = None,
    expected_version: int | None = None,
    on: dt.date | None = None,
    reasons: tuple[str, ...] = (),
    psb_number: str | None = None,
    certificate_number: str | None = None,
    note: str | None = None,
) -> Outcome:
    """Apply `event` by `who` to a filing, or refuse it (see the module)."""
    now = clock()
    reviewer_set = reviewers.ids(engine)
    review_chats = reviewers.chats(engine)
    try:
        with session_scope(engine) as session:
            filing = session.get(Filing, filing_id)
            if filing is None:
                return Outcome(None, NOT_YOURS)
            applicant = session.get(Applicant, filing.applicant_id)
            if who.role is Role.APPLICANT and (
                applicant is None or applicant.external_id != applicant_external_id
            ):
                return Outcome(None, NOT_YOURS)  # another applicant's filing: not even named
            if who.role is Role.REVIEWER and int(who.id) not in reviewer_set:
                return Outcome(None, t("你不是审核人员。", "You are not a reviewer."))
            if expected_version is not None and filing.version != expected_version:
                return Outcome(None, _moved_on(session, filing_id))
            action = Action(
                event,
                who,
                on or ctx.today,
                reasons=reasons,
                psb_number=psb_number,
                certificate_number=certificate_number,
                note=note,
            )
            result = decide(
                state_of(filing),
                action,
                pack=ctx.pack,
                calendar=ctx.calendar,
                now=now,
                reviewers=bool(reviewer_set),
            )
            if isinstance(result, Refusal):
                return Outcome(None, result.reason)
            chat = int(applicant.external_id) if applicant and _telegram(applicant) else None
            apply_decision(
                session, filing, result, now=now, applicant_chat=chat, review_chats=review_chats
            )
            notices = session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.filing_id == filing_id,
                    OutboxMessage.kind == "notice",
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            ).all()
            return Outcome(result, None, tuple(int(i) for i in notices if i is not None))
    except StaleDataError:
        with session_scope(engine) as session:
            return Outcome(None, _moved_on(session, filing_id))


def _telegram(applicant: Applicant) -> bool:
    return applicant.channel == "telegram" and applicant.external_id.lstrip("-").isdigit()


def _moved_on(session: Session, filing_id: int) -> Text:
    """Say who moved the filing on, for the one who pressed a button too late."""
    last = session.exec(
        select(LifecycleEvent)
        .where(LifecycleEvent.filing_id == filing_id)
        .order_by(col(LifecycleEvent.id).desc())
    ).first()
    if last is None:
        return t("这份备案已有变化，请刷新。", "This filing has changed; refresh.")
    return t(
        f"这份备案已由 {last.actor} 处理（{last.to_status.value}），无需重复操作。",
        f"{last.actor} already acted on this filing ({last.to_status.value}).",
    )
