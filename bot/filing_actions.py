"""An event on a filing, checked and applied in one transaction (any channel, the CLI too).

`act` loads the filing, checks that the actor may touch it (the applicant owns it; a reviewer
is registered), asks `rules.filing_life.decide`, and writes the decision with its audit row and
outbox rows in one transaction. A filing moved on meanwhile (its version changed, or another
writer won the race) is refused with who did what, never applied twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from bot.change_return import undo_if_returned
from bot.deliveries import DRAFT_KINDS, add_delivery, cancellation_statement
from bot.filing_checks import OWN_FILING, number_taken, own_filing
from bot.filing_status import describe as describe  # its home since issue 27
from bot.reopening import NOT_AMENDABLE as NOT_AMENDABLE  # its home since 2026-12-06
from bot.reopening import Reopening as Reopening
from bot.reopening import reopening as reopening
from bot.wx.ids import chat_number
from dialogs.model import Context
from models.db import session_scope
from models.filings import (
    add_notice,
    add_version,
    apply_decision,
    pending_notice_ids,
    reviewer_ids,
    schedule_reminders,
    state_of,
    stop_reminders,
)
from models.interviews import InboxKey, mark_inbox_done
from models.tables import Applicant, Filing, LifecycleEvent, Reviewer
from rules.deadlines import compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.events import RECORD_ICON
from rules.filing_life import (
    STATUS_LABELS,
    Actor,
    Audience,
    Decision,
    Event,
    Notice,
    Refusal,
    ReminderChange,
    Role,
    awaits_online,
    decide,
)
from rules.filing_state import filed_steps
from rules.lifecycle import next_status
from rules.plan import date_text
from rules.reminder_kinds import APPLICANT, ReminderKind
from rules.reminders import series
from rules.standing import icon_due, online_recorded
from rules.text import Lang, Text, t

NOT_YOURS = t("没有找到这份备案。", "No such filing.")


@dataclass(frozen=True)
class Outcome:
    """What `act` did: the decision (None when refused), the refusal's reason, the notices."""

    decision: Decision | None
    refusal: Text | None
    notices: tuple[int, ...] = ()
    delivery: int | None = None  # documents to send (a cancellation's statement)
    repeated: bool = False  # its update was handled already (by another instance): say nothing

    @property
    def done(self) -> bool:
        """Say whether the event was applied."""
        return self.decision is not None


@dataclass(frozen=True, kw_only=True)  # Reviewers((55,)) meant ids once: now a TypeError
class Reviewers:
    """Who reviews this city's filings (the `reviewer` table: BEIAN_REVIEWERS only seeds it,
    `bot.reviewers.seed_configured`), where their cards go (BEIAN_REVIEW_CHAT, else each
    reviewer privately) and where a card goes when none of them can be reached
    (BEIAN_SUPERVISOR_CHAT)."""

    review_chat: int | None = None
    supervisor_chat: int | None = None

    def ids(self, engine: sa.Engine) -> set[int]:
        """Return every active reviewer's Telegram id."""
        with session_scope(engine) as session:
            return reviewer_ids(session)

    def chats(self, engine: sa.Engine) -> list[int]:
        """Return where a card goes: the review chat, else each reviewer privately."""
        if self.review_chat is not None:
            return [self.review_chat]
        return sorted(self.ids(engine))


def act(
    engine: sa.Engine,
    filing_id: int,
    event: Event,
    *,
    ctx: Context,
    clock: Callable[[], dt.datetime],
    reviewers: Reviewers,
    applicant_external_id: str | None = None,
    expected_version: int | None = None,
    holder: str | None = None,
    lang: Lang = "zh",
    inbox: InboxKey | None = None,
    reply: Callable[[tuple[int, ...], int | None], list[Any] | None] | None = None,
) -> Outcome:
    """Apply `event` (by its actor) to a filing, or refuse it (see the module). `holder`: the
    instance that sends a cancellation's statement right away (else the sweep sends it).

    `inbox`: the update that asked, marked done in the same transaction, with what `reply`
    plans to send (given the notices and the delivery): a crash after the commit neither loses
    the replies nor handles the update again (it would be refused as "already handled")."""
    now = clock()
    reviewer_set = reviewers.ids(engine)
    review_chats = reviewers.chats(engine)
    try:
        with session_scope(engine) as session:
            filing = session.get(Filing, filing_id)
            applicant = session.get(Applicant, filing.applicant_id) if filing else None
            found = _actor_checked(filing, applicant, event, applicant_external_id, reviewer_set)
            if isinstance(found, Text):
                return Outcome(None, found)
            event = found
            assert filing is not None
            if expected_version is not None and filing.version != expected_version:
                return Outcome(None, _stale(session, filing, event))
            before = state_of(filing)
            result = decide(before, event, pack=ctx.pack, calendar=ctx.calendar,
                            now=now, reviewers=bool(reviewer_set), today=ctx.today)  # fmt: skip
            result = number_taken(session, filing, event) or result
            if isinstance(result, Refusal):
                return Outcome(None, result.reason)
            chat = applicant_chat(applicant)
            apply_decision(session, filing, result, now=now, applicant_chat=chat,
                           review_chats=review_chats, calendar=ctx.calendar,
                           today=ctx.today)  # fmt: skip
            undo_if_returned(session, filing, before, result, now, ctx.pack)
            delivery = cancellation_statement(session, filing, event, chat, now, holder, lang,
                                              filed=filed_steps(before), pack=ctx.pack)  # fmt: skip
            notices = pending_notice_ids(session, filing_id)
            if inbox is not None:
                plan = reply(notices, delivery) if reply is not None else None
                if not mark_inbox_done(session, inbox, now, plan):
                    session.rollback()  # handled already, by another instance: nothing written
                    return Outcome(None, None, repeated=True)
            return Outcome(result, None, notices, delivery)
    except StaleDataError:
        with session_scope(engine) as session:
            return Outcome(None, _moved_on(session, filing_id, event.actor, event.name))


def _actor_checked(
    filing: Filing | None,
    applicant: Applicant | None,
    event: Event,
    applicant_external_id: str | None,
    reviewer_ids: set[int],
) -> Event | Text:
    """Check that the event's actor may touch the filing (the applicant owns it, a reviewer is
    registered) and return the event as the audit names its actor (one name per applicant),
    or what to say instead (another applicant's filing is not even named)."""
    who = event.actor
    if filing is None:
        return NOT_YOURS
    if who.role is Role.APPLICANT:
        if applicant is None or applicant.external_id != applicant_external_id:
            return NOT_YOURS
        return replace(event, actor=Actor(Role.APPLICANT, str(applicant.id)))
    if who.role is Role.REVIEWER and int(who.id) not in reviewer_ids:
        return t("你不是审核人员。", "You are not a reviewer.")
    if who.role is Role.REVIEWER and own_filing(applicant, who.id):
        return OWN_FILING
    return event


def plan_filing_reminders(
    session: Session, filing: Filing, ctx: Context, now: dt.datetime, chat_id: int | None
) -> None:
    """The 30 days to submit, reminded 7, 3 and 1 days before, on the day and the day after,
    from the connection date (a site not online yet has none until it is); planned again
    when an amendment moves the date, while the filing is still only prepared."""
    if filing.status is not FilingStatus.PREPARED:
        return
    changes = [ReminderChange(ReminderKind.FILING, 1)]  # what was planned before goes
    if filing.connection_date is not None:
        due = compute_deadline(PeriodKind.FILING, filing.connection_date, ctx.pack, ctx.calendar)
        changes.append(ReminderChange(ReminderKind.FILING, 1, due.due))
    schedule_reminders(
        session,
        filing,
        changes,
        calendar=ctx.calendar,
        now=now,
        applicant_chat=chat_id,
        today=ctx.today,
    )


ONLINE_ALREADY = t(
    "这份备案已经有开通日期（或已提交），无需再登记。",
    "This filing already has its online date (or is submitted).",
)


def record_online(
    engine: sa.Engine,
    filing_id: int,
    *,
    channel: str,
    external_id: str,
    on: dt.date,
    ctx: Context,
    clock: Callable[[], dt.datetime],
    actor: str | None = None,
) -> Text:
    """A site that was not online yet went online on `on`: its 30 days to file start (the
    deadline and its reminders are planned now). Returns what to tell the applicant.
    `actor`: who recorded it when not the applicant (the CLI)."""
    now = clock()
    if on > ctx.today:
        return t("开通日期不能在将来。", "The online date cannot be in the future.")
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        if (
            filing is None
            or applicant is None
            or (applicant.channel, applicant.external_id) != (channel, external_id)
        ):
            return NOT_YOURS
        if not awaits_online(state_of(filing)):
            return ONLINE_ALREADY
        data = {**filing.data, "connection_date": on.isoformat(), "planned_online_date": None}
        filing.data = data
        filing.connection_date = on
        filing.updated_at = now
        session.add(filing)
        change = {"field": "connection_date", "old": None, "new": on.isoformat()}
        add_version(session, filing, kind="online", actor=actor or f"applicant:{applicant.id}",
                    now=now,
                    changes=[change], reason="网站已开通")  # fmt: skip
        chat = applicant_chat(applicant)
        plan_filing_reminders(session, filing, ctx, now, chat)
        # The drafts said 「尚未开通」: made again with the day (sent, or written by the
        # terminal's next run).
        add_delivery(session, filing, key=f"online:{now.isoformat()}", kinds=DRAFT_KINDS,
                     chat_id=chat, now=now, holder=None, lang=applicant.language)  # fmt: skip
    due = compute_deadline(PeriodKind.FILING, on, ctx.pack, ctx.calendar)
    reminded = chat is not None and any(
        r.to == APPLICANT
        for r in series(ReminderKind.FILING, 1, due.due, ctx.calendar, today=ctx.today)
    )
    return online_recorded(on, due, ctx.today, reminded)


ICON_RECORDED = t(
    "已记录：备案图标已放置，不再提醒。", "Recorded: the filing icon is placed; no more reminders."
)
ICON_ALREADY = t(
    "这份备案没有等待放置的备案图标（尚未备案完成，或已经记录过）。",
    "This filing has no icon waiting (not certified yet, or already recorded).",
)


def icon_before(certified: dt.date) -> Text:
    """The refusal of an icon dated before the filing was certified."""
    day = date_text(certified)
    return t(
        f"放置图标的日期不能早于备案完成（发证）的日期（{day.zh}）。",
        f"The icon cannot be dated before the filing was certified ({day.en}).",
    )


def record_icon(
    engine: sa.Engine,
    filing_id: int,
    *,
    channel: str,
    external_id: str,
    on: dt.date,
    clock: Callable[[], dt.datetime],
    actor: str | None = None,
    notify: bool = False,
) -> Text:
    """The applicant placed the filing icon on the site: kept on each certified step that
    waited for it (with an audit row), its reminders stop. Returns what to tell them.
    `actor`: who recorded it when not the applicant (the CLI); `notify`: tell the applicant
    too (an outbox notice, sent by the bot), as they were not the one who pressed."""
    now = clock()
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        if (
            filing is None
            or applicant is None
            or (applicant.channel, applicant.external_id) != (channel, external_id)
        ):
            return NOT_YOURS
        state = state_of(filing)
        if not icon_due(state):
            return ICON_ALREADY
        waiting = (FilingStatus.CERTIFIED, FilingStatus.CHANGE_REPORTED)
        certified = max((s.certified_on for s in state.steps if s.certified_on), default=None)
        if certified is not None and on < certified:  # the icon comes with the certificate
            return icon_before(certified)
        filing.steps = [
            (
                replace(s, icon_placed_on=on) if s.status in waiting and not s.icon_placed_on else s
            ).to_json()
            for s in state.steps
        ]
        filing.updated_at = now
        session.add(filing)
        event = LifecycleEvent(
            filing_id=filing_id,
            actor=actor or f"applicant:{applicant.id}",
            from_status=filing.status,
            to_status=filing.status,
            reason="已放置备案图标",
            at=now,
            event=RECORD_ICON,
            data={"on": on.isoformat()},
        )
        session.add(event)
        stop_reminders(session, filing_id, ReminderKind.ICON)
        chat = applicant_chat(applicant)
        if notify and chat is not None:
            session.flush()
            notice = Notice(Audience.APPLICANT, "update", ICON_RECORDED, filing.current_step)
            add_notice(session, filing, notice, chat, event_id=event.id or 0, now=now)
    return ICON_RECORDED


def applicant_chat(applicant: Applicant | None) -> int | None:
    """Return the chat the applicant's notices and reminders go to: their Telegram user id,
    the inbox's number for their WeChat openid (the row's channel says which: `models.outbox.
    add`), or None on a channel nothing is sent to (the terminal)."""
    if applicant is None:
        return None
    if applicant.channel == "wechat":
        return chat_number(applicant.external_id)
    if applicant.channel != "telegram":
        return None
    return int(applicant.external_id) if applicant.external_id.lstrip("-").isdigit() else None


def actor_name(session: Session, actor: str) -> Text:
    """Name an audit actor for people: a reviewer by the name they registered with, the
    applicant, the operator (the CLI), the system."""
    role, _, ident = actor.partition(":")
    if role == Role.REVIEWER.value and ident.lstrip("-").isdigit():
        found = session.exec(
            select(Reviewer).where(Reviewer.telegram_chat_id == int(ident))
        ).first()
        if found is not None and found.name:
            return t(f"审核人员{found.name}", f"reviewer {found.name}")
        # no name registered (seeded from BEIAN_REVIEWERS): named by their number, as the
        # README promises the faster reviewer is (it said only 「另一位审核人员」)
        return t(f"审核人员（{ident}）", f"reviewer {ident}")
    if role == Role.APPLICANT.value:
        return t("申请人", "the applicant")
    if role == Role.OPERATOR.value:
        return t("管理员（命令行）", "the operator (command line)")
    return t("系统", "the system")


STALE_PRESS = t(
    "这个按钮（链接）是旧的：这份备案在此之后有过修改，没有记录。"
    "请发送 /status 查看最新状态，再在那里操作。",
    "This button (link) is out of date: the filing changed since, and nothing was recorded. "
    "Send /status for its current state and act there.",
)


def _stale(session: Session, filing: Filing, event: Event) -> Text:
    """A press on a version the filing has moved past: moved on by someone (or by this press
    taken twice), or only its details changed and the press is still to do."""
    if next_status(state_of(filing).step.status, event.trigger) is not None:
        return STALE_PRESS
    return _moved_on(session, filing.id or 0, event.actor, event.name)


def _moved_on(session: Session, filing_id: int, who: Actor, wanted: str = "") -> Text:
    """Say who moved the filing on (and to what), for the one who pressed a button too late;
    their own earlier action (a press taken twice) is told as theirs. "Nothing to repeat"
    only when that was the action `wanted` (another decision is not a repeat of it)."""
    last = session.exec(
        select(LifecycleEvent)
        .where(LifecycleEvent.filing_id == filing_id)
        .order_by(col(LifecycleEvent.id).desc())
    ).first()
    if last is None:
        return t("这份备案已有变化，请刷新。", "This filing has changed; refresh.")
    status = STATUS_LABELS[last.to_status]
    if last.actor == who.audit:
        return t(
            f"你已经处理过这份备案（现在是“{status.zh}”），无需重复操作。",
            f"You already acted on this filing (it is now “{status.en}”); nothing to repeat.",
        )
    name = actor_name(session, last.actor)
    if wanted and last.event != wanted:
        return t(
            f"这份备案已由{name.zh}处理（现在是“{status.zh}”），你的操作没有记录。",
            f"{name.en[:1].upper()}{name.en[1:]} acted on this filing first (it is now "
            f"“{status.en}”); your action was not recorded.",
        )
    return t(
        f"这份备案已由{name.zh}处理（现在是“{status.zh}”），无需重复操作。",
        f"{name.en[:1].upper()}{name.en[1:]} already acted on this filing (it is now "
        f"“{status.en}”); nothing to repeat.",
    )
