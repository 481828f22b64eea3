"""A change (变更) of a certified filing, checked and written in one transaction (any channel).

`report_change_in` takes the new answers (from the chat's reopened interview, or the CLI's
`set` applied by `rules.changes.apply_changes`), works out what changed, asks the lifecycle
(`rules.filing_life.decide`, event REPORT_CHANGE) and writes, in the caller's transaction: the
new answers, their version (who, when, why, what), the audit row, the notices (the applicant's
deadline; the reviewers' card with the diff, personal numbers masked), the change-report
reminders, and a documents delivery (the change report with its rows and a new 备案表).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.deliveries import add_delivery, addressees
from bot.filing_actions import applicant_chat
from dialogs.model import Context
from dialogs.review import change_lines, field_label, field_value
from dialogs.turn import spec_for
from models.filings import (
    add_version,
    apply_decision,
    pending_notice_ids,
    reviewer_ids,
    state_of,
)
from models.tables import Applicant, Filing
from rules.answers import FilingAnswers
from rules.changes import FieldChange, change_deadline, change_rows, diff, flatten, route_advice
from rules.deadlines import Deadline
from rules.enums import DocumentKind
from rules.events import ReportChange
from rules.filing_life import Actor, Refusal, decide
from rules.filing_state import CHANGEABLE, rerouted, steps_of_route
from rules.pack import Pack
from rules.routing import route_of
from rules.text import Lang, Text, t

CHANGE_KINDS: tuple[DocumentKind, ...] = (DocumentKind.CHANGE_REPORT, DocumentKind.FILING_FORM)
NOTHING_CHANGED = t("没有任何信息改变。", "Nothing changes.")


@dataclass(frozen=True)
class ChangeOutcome:
    """What a change did: refused (why), or recorded (what, by when, what to send)."""

    refusal: Text | None = None
    changes: tuple[FieldChange, ...] = ()
    deadline: Deadline | None = None
    advice: Text | None = None
    delivery: int | None = None
    notices: tuple[int, ...] = ()
    status: str | None = None
    told: Text | None = None  # the applicant's notice (deadline, what to do, route advice)

    @property
    def done(self) -> bool:
        """Say whether the change was recorded."""
        return self.refusal is None


def report_change_in(
    session: Session,
    filing: Filing,
    answers: FilingAnswers,
    *,
    on: dt.date,
    reason: str,
    who: Actor,
    ctx: Context,
    now: dt.datetime,
    review_chat: int | None = None,
    lang: Lang = "zh",
    holder: str | None = None,
) -> ChangeOutcome:
    """Record a change of `filing` to `answers` in the caller's transaction (see the module).
    `holder`: the instance that sends the documents right away (else the sweep sends them)."""
    assert filing.id is not None
    change = _what_changes(filing, answers, ctx)
    if change is None:
        return ChangeOutcome(refusal=NOTHING_CHANGED)
    reviewers = reviewer_ids(session)
    chats = [review_chat] if review_chat is not None else sorted(reviewers)
    detail, card = change.lines(private=False), change.lines(private=True)
    route = route_json(answers, ctx.pack)
    moves = steps_of_route(route) if change.advice is not None else None
    action = ReportChange(actor=who, on=on, reason=reason.strip(), detail=detail, card_detail=card,
                          route=moves, in_scope=bool(route["in_scope"]))  # fmt: skip
    decision = decide(state_of(filing), action, pack=ctx.pack, calendar=ctx.calendar, now=now,
                      reviewers=bool(reviewers), today=ctx.today)  # fmt: skip
    if isinstance(decision, Refusal):
        return ChangeOutcome(refusal=decision.reason)
    chat = applicant_chat(session.get(Applicant, filing.applicant_id))
    take_answers(filing, answers, now)
    filing.route = route
    apply_decision(session, filing, decision, now=now, applicant_chat=chat, review_chats=chats,
                   calendar=ctx.calendar, today=ctx.today)  # fmt: skip
    add_version(session, filing, kind="changed", actor=who.audit, now=now,
                changes=[c.to_json() for c in change.changes], reason=reason.strip(),
                changed_on=on)  # fmt: skip
    delivery = add_delivery(
        session,
        filing,
        key=f"change:{now.isoformat()}",
        kinds=CHANGE_KINDS,
        chat_id=chat,
        now=now,
        holder=holder,
        lang=lang,
        change=change.written_report(filing, answers, on, reason, ctx.pack),
    )
    return ChangeOutcome(
        changes=change.changes,
        deadline=change_deadline(on, ctx.pack, ctx.calendar),
        advice=change.advice,
        delivery=delivery,
        notices=pending_notice_ids(session, filing.id),
        status=filing.status.value,
        told=decision.notices[0].text if decision.notices else None,
    )


@dataclass(frozen=True)
class _Change:
    """What a change changes: its rows, the new answers flattened, the questions that word
    them, and advice when the route changes."""

    changes: tuple[FieldChange, ...]
    flat: dict[str, Any]
    spec: Any
    advice: Text | None

    def lines(self, private: bool) -> Text:
        """The change's lines for the applicant, or (`private`: numbers masked) the card."""
        return _lines(self.changes, self.spec, self.flat, private=private, advice=self.advice)

    def written_report(
        self, filing: Filing, answers: FilingAnswers, on: dt.date, reason: str, pack: Pack
    ) -> dict[str, Any]:
        """The change report's data: every item (the chat's lines abbreviate long lists)."""
        label = field_label(self.spec, answers.subject_type.value)
        value = field_value(self.spec, self.flat, budget=None)
        items = [
            {"field": f[:100], "old": o[:1000], "new": n[:1000]}
            for f, o, n in change_rows(self.changes, label, value, lang="zh")
        ][:100]
        return {
            "changed_on": on.isoformat(),
            "reason": reason.strip()[:2000],
            "items": items,
            "psb_number": filing.psb_number,
            # handed to the bureaus the site is filed with, not a new route's others
            "to": addressees([s for s in state_of(filing).steps if s.status in CHANGEABLE], pack),
        }


def _what_changes(filing: Filing, answers: FilingAnswers, ctx: Context) -> _Change | None:
    """Compare `answers` with the filing's; None when nothing changes."""
    old = FilingAnswers.model_validate(filing.data)
    new_json = answers.model_dump(mode="json")
    changes = tuple(diff(old.model_dump(mode="json"), new_json))
    if not changes:
        return None
    advice = route_advice(old, answers, ctx.pack, state_of(filing).steps)
    return _Change(changes, flatten(new_json), spec_for(ctx), advice)


def route_json(answers: FilingAnswers, pack: Pack) -> dict[str, Any]:
    """Return the filing's route in its domain shape (both languages)."""
    route = route_of(answers, pack)
    return {
        "in_scope": route.in_scope,
        "steps": [
            {
                "order": s.order,
                "where": s.where.value,
                "bureau": s.bureau.model_dump(),
                **({"city": s.city} if s.city else {}),
            }
            for s in route.steps
        ],
        "advice": route.advice.model_dump(),
    }


def _lines(
    changes: tuple[FieldChange, ...],
    spec: Any,
    flat: dict[str, Any],
    *,
    private: bool,
    advice: Text | None,
) -> Text:
    zh = change_lines(changes, spec, flat, "zh", private=private)
    en = change_lines(changes, spec, flat, "en", private=private)
    if advice is not None:
        zh, en = [*zh, advice.zh], [*en, advice.en]
    return t("\n".join(zh), "\n".join(en))


def reroute(filing: Filing, answers: FilingAnswers, pack: Pack) -> None:
    """Put `answers`' route on the filing, its steps never submitted worked out again
    (`rules.filing_state.rerouted`): a returned change that had moved the site undoes the
    move of its steps too."""
    route = route_json(answers, pack)
    steps = steps_of_route(route)
    if [s.key for s in steps] == [s.key for s in steps_of_route(filing.route or {})]:
        return
    filing.route = route
    state = rerouted(state_of(filing), steps, in_scope=bool(route["in_scope"]), withdraw=False)
    filing.steps = [s.to_json() for s in state.steps]
    filing.current_step, filing.status = state.current, state.status


def take_answers(filing: Filing, answers: FilingAnswers, now: dt.datetime) -> None:
    """Put confirmed answers on the filing (its data and the columns read from them)."""
    filing.data = answers.model_dump(mode="json")
    filing.site_name = answers.website.name
    filing.icp_number = answers.website.icp_number
    filing.connection_date = answers.connection_date
    filing.subject_type = answers.subject_type
    filing.maintenance, filing.server = answers.maintenance, answers.server
    filing.maintenance_city, filing.server_city = answers.maintenance_city, answers.server_city
    filing.updated_at = now
