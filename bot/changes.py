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

from bot.deliveries import add_delivery
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
    old = FilingAnswers.model_validate(filing.data)
    new_json = answers.model_dump(mode="json")
    changes = tuple(diff(old.model_dump(mode="json"), new_json))
    if not changes:
        return ChangeOutcome(refusal=NOTHING_CHANGED)
    spec = spec_for(ctx)
    flat = flatten(new_json)
    advice = route_advice(old, answers, ctx.pack)
    detail, card = (
        _lines(changes, spec, flat, private=private, advice=advice) for private in (False, True)
    )
    reviewers = reviewer_ids(session)
    chats = [review_chat] if review_chat is not None else sorted(reviewers)
    action = ReportChange(actor=who, on=on, reason=reason.strip(), detail=detail, card_detail=card)
    decision = decide(
        state_of(filing),
        action,
        pack=ctx.pack,
        calendar=ctx.calendar,
        now=now,
        reviewers=bool(reviewers),
        today=ctx.today,
    )
    if isinstance(decision, Refusal):
        return ChangeOutcome(refusal=decision.reason)
    applicant = session.get(Applicant, filing.applicant_id)
    chat = applicant_chat(applicant)
    take_answers(filing, answers, now)
    apply_decision(
        session,
        filing,
        decision,
        now=now,
        applicant_chat=chat,
        review_chats=chats,
        calendar=ctx.calendar,
        today=ctx.today,
    )
    add_version(
        session,
        filing,
        kind="changed",
        actor=who.audit,
        now=now,
        changes=[c.to_json() for c in changes],
        reason=reason.strip(),
        changed_on=on,
    )
    # the written report lists every item (the chat's lines abbreviate long lists)
    label = field_label(spec, answers.subject_type.value)
    value = field_value(spec, flat, budget=None)
    items = [
        {"field": f[:100], "old": o[:1000], "new": n[:1000]}
        for f, o, n in change_rows(changes, label, value, lang="zh")
    ][:100]
    delivery = add_delivery(
        session,
        filing,
        key=f"change:{now.isoformat()}",
        kinds=CHANGE_KINDS,
        chat_id=chat,
        now=now,
        holder=holder,
        lang=lang,
        change={
            "changed_on": on.isoformat(),
            "reason": reason.strip()[:2000],
            "items": items,
            "psb_number": filing.psb_number,
        },
    )
    return ChangeOutcome(
        changes=changes,
        deadline=change_deadline(on, ctx.pack, ctx.calendar),
        advice=advice,
        delivery=delivery,
        notices=pending_notice_ids(session, filing.id),
        status=filing.status.value,
        told=decision.notices[0].text if decision.notices else None,
    )


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
