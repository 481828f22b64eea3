"""One turn of an applicant's interview: load it, advance it, carry out its effects, store it.

Everything a turn writes (the interview's new state, a submitted filing with its audit event
and its documents) is committed in one transaction; if rendering fails nothing is stored and
the applicant can confirm again.

Most turns are one answer to one question. `Conversations` takes those quickly: it remembers
each applicant's interview after a turn (with its row version) and writes the next state
without reading it back — two statements, checked against the version, so a change made
elsewhere in the meantime (another instance, the CLI) is never overwritten: the turn is then
taken the whole way, from the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.present import route_json
from dialogs.engine import begin, handle
from dialogs.model import (
    Cancel,
    Context,
    Input,
    InterviewState,
    NewInterview,
    Resume,
    Step,
    Submit,
)
from documents.render import DocumentContext, RenderedDocument
from models.db import Raw, session_scope
from models.repo import (
    InterviewContent,
    add_applicant,
    add_interview,
    advance_interview,
    create_filing,
    find_interview,
    get_or_create_applicant,
    latest_interview,
    mark_update_processed,
    save_interview,
    set_applicant_language,
)
from models.tables import Applicant, Filing, GeneratedDocument, Interview
from rules.answers import FilingAnswers
from rules.enums import DocumentKind, InterviewStatus
from rules.routing import route_filing
from rules.text import Lang

log = logging.getLogger(__name__)
KEEP_CANCELLED = dt.timedelta(days=30)
# Update ids an interview remembers. Telegram redelivers what a bot did not confirm: at most a
# batch of getUpdates (or one webhook retry), of which one person's share is a few.
RECENT_UPDATES = 20

UpdateKey = tuple[int, int]  # (bot id, update id)


def _recent(stored: list[Any]) -> tuple[UpdateKey, ...]:
    return tuple((int(pair[0]), int(pair[1])) for pair in stored)


def _with_update(
    recent: tuple[UpdateKey, ...], update_key: UpdateKey | None
) -> tuple[UpdateKey, ...]:
    if update_key is None:
        return recent
    return (*recent, update_key)[-RECENT_UPDATES:]


# The documents an applicant receives on submission (the change report comes with changes).
SUBMISSION_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.FILING_FORM,
    DocumentKind.RESPONSIBILITY,
    DocumentKind.CHECKLIST,
    DocumentKind.GUIDE,
)

RenderSet = Callable[
    [tuple[DocumentKind, ...], FilingAnswers, DocumentContext], list[RenderedDocument]
]


@dataclass(frozen=True)
class Turn:
    """What a channel shows after one input: the step, and the documents of a submission."""

    step: Step
    applicant_id: int
    interview_id: int
    version: int  # the interview row's version after this turn
    active: bool  # the interview is still being answered (not submitted, not cancelled)
    recent: tuple[UpdateKey, ...]  # the interview's recent_updates after this turn
    documents: list[RenderedDocument] = field(default_factory=list)
    filing_id: int | None = None


def _restore(interview: Interview) -> InterviewState:
    return InterviewState.restore(
        question=interview.state or None,
        answers=interview.answers,
        history=interview.history,
        lang=interview.language,
        flow=interview.flow,
    )


def _expired(interview: Interview, now: dt.datetime) -> bool:
    return (
        interview.status is InterviewStatus.CANCELLED
        and interview.purge_after is not None
        and interview.purge_after <= now
    )


def _filing_from(
    answers: FilingAnswers, ctx: Context, applicant_id: int, interview_id: int
) -> Filing:
    route = route_filing(
        answers.maintenance,
        answers.server,
        ctx.pack,
        answers.maintenance_city,
        answers.server_city,
    )
    return Filing(
        applicant_id=applicant_id,
        interview_id=interview_id,
        subject_type=answers.subject_type,
        maintenance=answers.maintenance,
        server=answers.server,
        maintenance_city=answers.maintenance_city,
        server_city=answers.server_city,
        route=route_json(route, "zh"),  # the same shape as `beian route --json`
        connection_date=answers.connection_date,
        data=answers.model_dump(mode="json"),
        site_name=answers.website.name,
        icp_number=answers.website.icp_number,
    )


def _render(step: Step, ctx: Context, render_set: RenderSet) -> list[RenderedDocument]:
    """Render a submission's documents (nothing for any other step)."""
    for effect in step.effects:
        if isinstance(effect, Submit):
            doc_ctx = DocumentContext(
                pack=ctx.pack, today=ctx.today, calendar=ctx.calendar, submitted_on=ctx.today
            )
            return render_set(SUBMISSION_KINDS, effect.answers, doc_ctx)
    return []


def _submit(
    session: Session,
    *,
    answers: FilingAnswers,
    documents: list[RenderedDocument],
    ctx: Context,
    applicant: Applicant,
    interview: Interview,
    now: dt.datetime,
) -> Filing:
    assert applicant.id is not None
    assert interview.id is not None
    filing = create_filing(
        session=session,
        filing=_filing_from(answers, ctx, applicant.id, interview.id),
        actor=f"applicant:{applicant.id}",
        now=now,
    )
    assert filing.id is not None
    for doc in documents:
        session.add(
            GeneratedDocument(
                filing_id=filing.id,
                kind=doc.kind,
                filename=doc.filename,
                sha256=sha256(doc.pdf).hexdigest(),
                pages=doc.pages,
                size=len(doc.pdf),
                content=doc.pdf,
                created_at=now,
            )
        )
    return filing


def take_turn(
    *,
    engine: sa.Engine,
    channel: str,
    external_id: str,
    inp: Input,
    ctx: Context,
    now: dt.datetime,
    render_set: RenderSet,
    lang: Lang = "zh",
    display_name: str | None = None,
    update_key: tuple[int, int] | None = None,
) -> Turn | None:
    """Advance the applicant's interview by one input and store the result.

    With `update_key` (bot id, update id) the update is recorded in the same transaction, and
    an update seen before returns None: a redelivered update changes nothing. Seen before means
    in `processed_update` (whole turns) or in the interview's `recent_updates` (quick turns).
    """
    with session_scope(engine) as session:
        applicant = get_or_create_applicant(
            session=session, channel=channel, external_id=external_id, display_name=display_name
        )
        assert applicant.id is not None
        interview = latest_interview(session=session, applicant_id=applicant.id)
        recent = _recent(interview.recent_updates) if interview is not None else ()
        if update_key is not None and update_key in recent:
            return None  # answered by a quick turn
        expired = interview is not None and _expired(interview, now)
        current = None if expired else interview
        step = begin(ctx, lang) if current is None else handle(_restore(current), inp, ctx)
        # Rendered before the first write: SQLite's write lock is not held while the
        # documents render, so other applicants' turns go on meanwhile.
        documents = _render(step, ctx, render_set)
        if update_key is not None and not mark_update_processed(
            session=session, bot_id=update_key[0], update_id=update_key[1], now=now
        ):
            return None
        if interview is not None and expired:
            interview.answers, interview.history, interview.flow = {}, [], {}
            interview.status = InterviewStatus.DONE  # purged: the next message starts afresh
            session.add(interview)
        if current is None or any(isinstance(e, NewInterview) for e in step.effects):
            interview = Interview(
                applicant_id=applicant.id,
                state="",
                language=step.state.lang,
                created_at=now,
                updated_at=now,
            )
            session.add(interview)
            session.flush()
        assert interview is not None
        filing_id: int | None = None
        for effect in step.effects:
            if isinstance(effect, Submit):
                filing = _submit(
                    session,
                    answers=effect.answers,
                    documents=documents,
                    ctx=ctx,
                    applicant=applicant,
                    interview=interview,
                    now=now,
                )
                filing_id = filing.id
                interview.status = InterviewStatus.DONE
            elif isinstance(effect, Cancel):
                interview.status = InterviewStatus.CANCELLED
                interview.purge_after = now if effect.delete else now + KEEP_CANCELLED
            elif isinstance(effect, Resume):
                interview.status = InterviewStatus.ACTIVE
                interview.purge_after = None
        state = step.state
        recent = _with_update(recent, update_key)  # carried over to a new interview
        save_interview(
            session=session,
            interview=interview,
            state=state.question or "",
            answers=state.answers,
            history=state.history,
            flow=state.to_flow(),
            language=state.lang,
            now=now,
            recent_updates=[list(pair) for pair in recent],
        )
        applicant.language = state.lang
        session.add(applicant)
    assert interview.id is not None
    return Turn(
        step=step,
        applicant_id=applicant.id,
        interview_id=interview.id,
        version=interview.version,
        active=interview.status is InterviewStatus.ACTIVE,
        recent=recent,
        documents=documents,
        filing_id=filing_id,
    )


@dataclass(frozen=True)
class Known:
    """An interview as its last turn left it: enough to take the next step without reading."""

    applicant_id: int
    interview_id: int
    version: int
    state: InterviewState
    recent: tuple[UpdateKey, ...]  # its recent_updates


class Miss(enum.Enum):
    """A quick turn that could not be taken (and wrote nothing): take the whole turn."""

    MISS = "miss"


@dataclass(frozen=True)
class Who:
    """The person a turn is for, as a channel knows them."""

    channel: str
    external_id: str
    lang: Lang = "zh"  # the language a new interview starts in
    display_name: str | None = None


def _found(raw: Raw, who: Who) -> Known | int | Miss | None:
    """Read the applicant's interview: Known when active, the applicant id when it has none,
    None for a stranger, MISS when its latest interview is closed (the whole turn decides)."""
    stored = find_interview(raw, channel=who.channel, external_id=who.external_id)
    if stored is None:
        return None
    if stored.interview_id is None:
        return stored.applicant_id
    if not stored.active:
        return Miss.MISS
    state = InterviewState.restore(
        question=stored.state or None,
        answers=stored.answers,
        history=stored.history,
        lang=stored.language,
        flow=stored.flow,
    )
    recent = _recent(stored.recent_updates)
    return Known(stored.applicant_id, stored.interview_id, stored.version, state, recent)


def quick_turn(
    raw: Raw,
    known: Known | None,
    who: Who,
    *,
    inp: Input,
    ctx: Context,
    now: dt.datetime,
    update_key: tuple[int, int] | None = None,
) -> Turn | Miss | None:
    """Take a turn with plain statements: at most one read, one write (three on first contact).

    `known` is the interview as remembered; without it the applicant's latest interview is
    read. Misses (writing nothing) when the step has effects (a submission, a cancel, a new
    interview after a closed one: those take the whole turn), when the interview is closed, or
    when it is no longer at the remembered version. Returns None for an update seen before:
    the interview's `recent_updates` hold its last update ids, written by the same UPDATE that
    stores the state, so no row per update is needed.
    """
    try:
        found = known if known is not None else _found(raw, who)
        if found is Miss.MISS:
            raw.rollback()
            return Miss.MISS
        recent = found.recent if isinstance(found, Known) else ()
        if update_key is not None and update_key in recent:
            raw.rollback()
            return None
        step = handle(found.state, inp, ctx) if isinstance(found, Known) else begin(ctx, who.lang)
        if step.effects:
            raw.rollback()
            return Miss.MISS
        state = step.state
        recent = _with_update(recent, update_key)
        content = InterviewContent(
            state.question or "",
            state.answers,
            state.history,
            state.to_flow(),
            state.lang,
            [list(pair) for pair in recent],
        )
        if isinstance(found, Known):
            applicant_id, interview_id = found.applicant_id, found.interview_id
            version = found.version
            if not advance_interview(
                raw, interview_id=interview_id, expected_version=version, content=content, now=now
            ):
                raw.rollback()
                return Miss.MISS
            version += 1
            if state.lang != found.state.lang:
                set_applicant_language(raw, applicant_id=applicant_id, language=state.lang)
        else:
            if found is None:
                new_id = add_applicant(
                    raw,
                    channel=who.channel,
                    external_id=who.external_id,
                    display_name=who.display_name,
                    language=state.lang,
                    now=now,
                )
                if new_id is None:  # created meanwhile by another writer
                    raw.rollback()
                    return Miss.MISS
                found = new_id
            applicant_id, version = found, 1
            interview_id = add_interview(raw, applicant_id=applicant_id, content=content, now=now)
        raw.commit()
    except raw.errors.OperationalError as exc:  # SQLite busy: the whole turn waits, off the loop
        raw.rollback()
        log.info("quick turn missed: %s", exc)
        return Miss.MISS
    except BaseException:
        raw.rollback()
        raise
    return Turn(
        step=step,
        applicant_id=applicant_id,
        interview_id=interview_id,
        version=version,
        active=True,
        recent=recent,
    )


class Conversations:
    """Take turns for many applicants: quick where possible, whole otherwise.

    A quick turn (`quick_turn`) is an answer to a question, or a first contact: plain
    statements, and no read at all when the interview is remembered from its last turn. The
    memory holds the last `capacity` active interviews. On SQLite quick turns run on the event
    loop — their statements take ~30 µs, a hop to a worker thread ~90 µs — on one connection
    that never waits for a lock; on PostgreSQL they run in a worker thread. Whole turns
    (submissions with their rendering, cancel and resume, misses) always run in a thread.
    Turns of one applicant must not run concurrently (`bot.tg.ordering` runs a chat in order).
    """

    def __init__(self, engine: sa.Engine, capacity: int = 10_000) -> None:
        self.engine = engine
        self.capacity = capacity
        self.inline = engine.dialect.name == "sqlite"
        self.counts: Counter[str] = Counter()  # quick / whole / missed / repeated
        self._known: OrderedDict[tuple[str, str], Known] = OrderedDict()
        self._conn: sa.Connection | None = None
        self._raw: Raw | None = None
        self._commits = 0  # quick commits on the loop's connection since the last checkpoint
        self._checkpoint: asyncio.Future[None] | None = None

    def known(self, channel: str, external_id: str) -> Known | None:
        """Return what is remembered of an applicant's interview."""
        return self._known.get((channel, external_id))

    def _remember(self, key: tuple[str, str], turn: Turn) -> None:
        if not turn.active:
            self._known.pop(key, None)
            return
        self._known[key] = Known(
            turn.applicant_id, turn.interview_id, turn.version, turn.step.state, turn.recent
        )
        self._known.move_to_end(key)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)

    def _inline_connection(self) -> Raw:
        if self._raw is None or self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
            # Never block the event loop on a lock: a busy database makes the turn a miss,
            # and the whole turn waits for the lock in a worker thread.
            self._conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            # Nor on moving the WAL into the database file (~4 ms every 1,000 pages, which a
            # commit on this connection would otherwise do now and then): `_checkpoint_soon`
            # does that in a worker thread.
            self._conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            self._conn.commit()
            self._raw = Raw(self._conn)
        return self._raw

    def _pooled_quick_turn(
        self,
        known: Known | None,
        who: Who,
        inp: Input,
        ctx: Context,
        now: dt.datetime,
        update_key: tuple[int, int] | None,
    ) -> Turn | Miss | None:
        with self.engine.connect() as conn:
            return quick_turn(
                Raw(conn), known, who, inp=inp, ctx=ctx, now=now, update_key=update_key
            )

    async def turn(
        self,
        who: Who,
        *,
        inp: Input,
        ctx: Context,
        now: dt.datetime,
        render_set: RenderSet,
        update_key: tuple[int, int] | None = None,
    ) -> Turn | None:
        """Take one turn; None when the update was seen before."""
        key = (who.channel, who.external_id)
        known = self._known.pop(key, None)  # forgotten until this turn is stored
        result: Turn | Miss | None
        if self.inline:
            raw = self._inline_connection()
            result = quick_turn(raw, known, who, inp=inp, ctx=ctx, now=now, update_key=update_key)
            if result is not Miss.MISS:
                self._checkpoint_soon()
        else:
            result = await asyncio.to_thread(
                self._pooled_quick_turn, known, who, inp, ctx, now, update_key
            )
        if result is Miss.MISS:
            self.counts["missed" if known is not None else "whole"] += 1
            result = await asyncio.to_thread(
                take_turn,
                engine=self.engine,
                channel=who.channel,
                external_id=who.external_id,
                inp=inp,
                ctx=ctx,
                now=now,
                render_set=render_set,
                lang=who.lang,
                display_name=who.display_name,
                update_key=update_key,
            )
        else:
            self.counts["quick"] += 1
        if result is None:
            self.counts["repeated"] += 1
            if known is not None:  # a redelivered update: the interview is as it was
                self._known[key] = known
        else:
            self._remember(key, result)
        return result

    CHECKPOINT_EVERY = 250  # quick commits (each writes 2–4 pages; SQLite's default is 1,000)

    def _checkpoint_soon(self) -> None:
        self._commits += 1
        if self._commits < self.CHECKPOINT_EVERY or self._checkpoint is not None:
            return
        self._commits = 0
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._run_checkpoint))
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _run_checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpoint_done(self, future: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.warning("WAL checkpoint failed: %s", error)
        else:
            self.counts["checkpoints"] += 1

    async def settle(self) -> None:
        """Wait for a checkpoint in progress (before closing)."""
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])

    def close(self) -> None:
        """Close the event loop's connection (before the engine is disposed)."""
        if self._conn is not None:
            self._conn.close()
            self._conn, self._raw = None, None


def render_in_process(
    kinds: tuple[DocumentKind, ...], answers: FilingAnswers, ctx: DocumentContext
) -> list[RenderedDocument]:
    """Render in this process (the terminal channel; the bot uses its pool)."""
    from documents.render import render

    return [render(kind, answers, ctx) for kind in kinds]
