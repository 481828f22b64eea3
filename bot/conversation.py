"""One turn of an applicant's interview: load it, advance it, store it with its effects.

There is one algorithm (`take_turn`) over two stores (`models.interviews`): the fast store
writes a turn that only moves the interview on with one statement checked against the row's
version; the ORM store writes a turn together with what its effects add (a submitted filing,
its outbox rows) in one transaction. `Conversations` tries the fast store first — on the
interview as remembered from its last turn, so most turns read nothing — and takes the turn
again on the ORM store, from what is stored, when the fast store cannot write it or the row
moved on meanwhile (another instance, the CLI): memory can be stale but never wins.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from dialogs.engine import begin, handle
from dialogs.model import (
    Cancel,
    Context,
    Finished,
    Input,
    InterviewState,
    NewInterview,
    Resume,
    Step,
    Submit,
)
from models.database import Database
from models.db import session_scope
from models.fast_store import FastStore
from models.interviews import (
    Content,
    Extra,
    InboxKey,
    InterviewStore,
    OrmStore,
    Stored,
    Write,
    inbox_done,
)
from rules.enums import InterviewStatus
from rules.retention import KEEP_CANCELLED_INTERVIEW
from rules.text import Lang

KEEP_CANCELLED = KEEP_CANCELLED_INTERVIEW  # rules.retention
WHOLE_ATTEMPTS = 3  # a whole turn conflicts only when another writer creates the applicant
DISPLAY_NAME_LIMIT = 200


@dataclass(frozen=True)
class Who:
    """The person a turn is for, as a channel knows them."""

    channel: str
    external_id: str
    lang: Lang = "zh"  # the language a new interview starts in
    display_name: str | None = None


@dataclass(frozen=True)
class Turn:
    """What a channel shows after one input."""

    step: Step
    applicant_id: int
    interview_id: int
    version: int  # the interview row's version after this turn
    status: InterviewStatus
    effects: Any = None  # what the effects' writes returned (e.g. the submitted filing)

    @property
    def active(self) -> bool:
        """Say whether the interview is still being answered (not submitted, not cancelled)."""
        return self.status is InterviewStatus.ACTIVE


class Retry(enum.Enum):
    """The store could not write the turn: take it again on the ORM store, from the database."""

    RETRY = "retry"


# Carries a step's effects out inside the turn's transaction: given the session, the step, the
# applicant and interview ids and the moment, returns what the channel needs (e.g. a filing).
EffectWriter = Callable[[Session, Step, int, int, dt.datetime], Any]
# What a channel will send for a step, given what its effects' writes returned: a JSON plan
# stored with the turn (`models.inbox`), so a crash after the commit loses no reply.
ReplyPlanner = Callable[[Step, Any], list[Any] | None]


def clean_display_name(name: str | None) -> str | None:
    """Keep a display name storable everywhere: valid Unicode, no controls, at most 200."""
    if not name:
        return None
    kept = "".join(c for c in name if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF).strip()
    return kept[:DISPLAY_NAME_LIMIT] or None


def restore(content: Content) -> InterviewState:
    """Rebuild an interview state from its stored columns."""
    return InterviewState.restore(
        question=content.question or None,
        answers=content.answers,
        history=content.history,
        lang=content.language,
        flow=content.flow,
    )


def content_of(state: InterviewState) -> Content:
    """Return the columns a state is stored in."""
    return Content(state.question or "", state.answers, state.history, state.to_flow(), state.lang)


def _expired(stored: Stored, now: dt.datetime) -> bool:
    return (
        stored.status is InterviewStatus.CANCELLED
        and stored.purge_after is not None
        and stored.purge_after <= now
    )


def plan_turn(
    stored: Stored | None, who: Who, inp: Input, ctx: Context, now: dt.datetime
) -> tuple[Step, Write]:
    """Advance the stored interview by one input; return the step and what to store."""
    fresh = stored is None or stored.content is None
    expired = stored is not None and not fresh and _expired(stored, now)
    if fresh or expired:
        step = begin(ctx, who.lang)
    else:
        assert stored is not None
        assert stored.content is not None
        step = handle(restore(stored.content), inp, ctx)
    status = stored.status if stored is not None and not fresh and not expired else None
    status = status or InterviewStatus.ACTIVE
    purge_after = stored.purge_after if stored is not None and not expired else None
    new_interview = bool(expired)
    for effect in step.effects:
        if isinstance(effect, Submit | Finished):
            status = InterviewStatus.DONE
        elif isinstance(effect, Cancel):
            status = InterviewStatus.CANCELLED
            purge_after = now if effect.delete else now + KEEP_CANCELLED
        elif isinstance(effect, Resume):
            status, purge_after = InterviewStatus.ACTIVE, None
        elif isinstance(effect, NewInterview):
            status, purge_after, new_interview = InterviewStatus.ACTIVE, None, True
    write = Write(
        content_of(step.state),
        status=status,
        purge_after=purge_after,
        new_interview=new_interview,
        purge_previous=bool(expired),
    )
    return step, write


def take_turn(
    store: InterviewStore,
    who: Who,
    inp: Input,
    ctx: Context,
    now: dt.datetime,
    *,
    inbox: InboxKey | None = None,
    known: Stored | None = None,
    effect_writer: EffectWriter | None = None,
    replies: ReplyPlanner | None = None,
) -> Turn | Retry:
    """Take one turn on `store`: read (unless `known`), advance, write.

    Returns RETRY, having written nothing, when the store cannot write this turn (its effects
    need the ORM store) or the interview moved on since it was read.
    """
    stored = known if known is not None else store.load(who.channel, who.external_id)
    step, write = plan_turn(stored, who, inp, ctx, now)
    if stored is not None and any(isinstance(e, NewInterview) for e in step.effects):
        # Another interview begins (/new): the last filing's unit and people are offered.
        # Read only for this turn, on the store that will write it.
        if not store.accepts(stored, write, None):
            return Retry.RETRY
        previous = store.last_filing_answers(stored.applicant_id)
        if previous is not None:
            again = replace(ctx, previous=previous, memo={})  # a context lives for one step
            step, write = plan_turn(stored, who, inp, again, now)
    planned = step
    write = replace(
        write,
        inbox=inbox,
        reply=(lambda result: replies(planned, result)) if replies and inbox else None,
    )
    extra: Extra | None = None
    if any(isinstance(e, Submit) for e in step.effects):
        if effect_writer is None:
            raise ValueError("a submission needs an effect writer (its filing is written with it)")
        writer = effect_writer

        def extra(session: Session, applicant_id: int, interview_id: int) -> Any:
            return writer(session, step, applicant_id, interview_id, now)

    if not store.accepts(stored, write, extra):
        return Retry.RETRY
    saved = store.save(
        who.channel,
        who.external_id,
        clean_display_name(who.display_name),
        stored,
        write,
        now,
        extra,
    )
    if saved is None:
        return Retry.RETRY
    return Turn(
        step, saved.applicant_id, saved.interview_id, saved.version, write.status, saved.extra
    )


def take_turn_in_session(
    session: Session,
    who: Who,
    inp: Input,
    ctx: Context,
    now: dt.datetime,
    *,
    inbox: InboxKey | None = None,
    effect_writer: EffectWriter | None = None,
    replies: ReplyPlanner | None = None,
) -> Turn | None:
    """Take a turn on the ORM store, reading what is stored; None when the inbox row was
    already done (another instance answered that update)."""
    result = take_turn(
        OrmStore(session),
        who,
        inp,
        ctx,
        now,
        inbox=inbox,
        effect_writer=effect_writer,
        replies=replies,
    )
    return None if result is Retry.RETRY else result


class Conversations:
    """Take turns for many applicants: on the fast store from memory where possible.

    The memory holds the last `capacity` active interviews as their last turn stored them.
    Turns of one applicant must not run concurrently (the inbox processor runs a chat's
    updates one at a time; the terminal is one person).
    """

    def __init__(self, db: Database, capacity: int = 10_000) -> None:
        self.db = db
        self.capacity = capacity
        self.counts: Counter[str] = Counter()  # quick / whole / missed / repeated
        self._known: OrderedDict[tuple[str, str], Stored] = OrderedDict()

    def known(self, channel: str, external_id: str) -> Stored | None:
        """Return what is remembered of an applicant's interview."""
        return self._known.get((channel, external_id))

    def forget(self, channel: str, external_id: str) -> None:
        """Drop what is remembered (another writer changed the interview)."""
        self._known.pop((channel, external_id), None)

    def _remember(self, key: tuple[str, str], turn: Turn) -> None:
        # An effect writer that changed the interview row itself (a refused change puts its
        # answers back) says `forget`: the stored row, not this turn's copy, is the truth.
        if not turn.active or getattr(turn.effects, "forget", False):
            self._known.pop(key, None)
            return
        self._known[key] = Stored(
            turn.applicant_id,
            turn.interview_id,
            turn.status,
            content_of(turn.step.state),
            turn.version,
        )
        self._known.move_to_end(key)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)

    def _whole(
        self,
        who: Who,
        inp: Input,
        ctx: Context,
        now: dt.datetime,
        inbox: InboxKey | None,
        effect_writer: EffectWriter | None,
        replies: ReplyPlanner | None = None,
    ) -> Turn | None:
        for _ in range(WHOLE_ATTEMPTS):
            with session_scope(self.db.engine) as session:
                turn = take_turn_in_session(
                    session,
                    who,
                    inp,
                    ctx,
                    now,
                    inbox=inbox,
                    effect_writer=effect_writer,
                    replies=replies,
                )
                if turn is not None:
                    return turn
                if inbox is not None and inbox_done(session, inbox):
                    return None  # answered elsewhere: nothing to do
        raise RuntimeError(f"turn for {who.channel} applicant kept conflicting")

    async def turn(
        self,
        who: Who,
        *,
        inp: Input,
        ctx: Context,
        now: dt.datetime,
        inbox: InboxKey | None = None,
        effect_writer: EffectWriter | None = None,
        replies: ReplyPlanner | None = None,
    ) -> Turn | None:
        """Take one turn; None when its inbox row was already done elsewhere. `replies`
        plans what the channel will send, stored with the turn (with `inbox` only)."""
        key = (who.channel, who.external_id)
        known = self._known.pop(key, None)  # forgotten until this turn is stored

        def quick(raw: Any) -> Turn | Retry:
            return take_turn(
                FastStore(raw),
                who,
                inp,
                ctx,
                now,
                inbox=inbox,
                known=known,
                effect_writer=effect_writer,
                replies=replies,
            )

        result: Turn | Retry | None = await self.db.run(quick, stores_update=True)
        if result is Retry.RETRY:
            self.counts["missed" if known is not None else "whole"] += 1
            result = await asyncio.to_thread(
                self._whole, who, inp, ctx, now, inbox, effect_writer, replies
            )
        else:
            self.counts["quick"] += 1
        if result is None:
            self.counts["repeated"] += 1
            return None
        assert isinstance(result, Turn)
        self._remember(key, result)
        return result
