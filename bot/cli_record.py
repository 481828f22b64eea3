"""`beian filings record`: the bureau's outcomes from the command line (issue 28), for bureaus
that do not use Telegram. The chat's own path (`bot.filing_actions.act`) with the operator as
the actor: the same decision and checks, audited, and the applicant told by the bot."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from rules.text import REASON_LIMIT, Lang


class Recorded(StrEnum):
    """What happened, as the bureau says it."""

    SUBMITTED = "submitted"
    INITIAL_PASSED = "initial-passed"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    MATERIALS_RECEIVED = "materials-received"
    CERTIFIED = "certified"
    CHANGE_APPROVED = "change-approved"
    CHANGE_RETURNED = "change-returned"
    ICON_PLACED = "icon-placed"


_CHANGE_REVIEW = {Recorded.CHANGE_APPROVED, Recorded.CHANGE_RETURNED}


def _event(recorded: Recorded) -> Any:
    from rules.lifecycle import FilingEvent as E

    return {
        Recorded.SUBMITTED: E.SUBMIT,
        Recorded.INITIAL_PASSED: E.PASS_INITIAL_REVIEW,
        Recorded.RETURNED: E.RETURN,
        Recorded.RESUBMITTED: E.RESUBMIT,
        Recorded.MATERIALS_RECEIVED: E.RECEIVE_MATERIALS,
        Recorded.CERTIFIED: E.CERTIFY,
        Recorded.CHANGE_APPROVED: E.CERTIFY,
        Recorded.CHANGE_RETURNED: E.RETURN,
    }.get(recorded)


def _refuse(filing_id: int, why: str, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps({"id": filing_id, "ok": False, "problems": [why]}, ensure_ascii=False)
        )
    else:
        typer.echo(why, err=True)
    raise typer.Exit(1)


def _which_review(state: Any, event: Any, recorded: Recorded, lang: Lang) -> str | None:
    """Say why `recorded` does not fit the step it acts on: a change's review is recorded as
    change-approved / change-returned, a filing's as certified / returned."""
    from rules.enums import FilingStatus
    from rules.filing_life import Role, acting_step

    change = acting_step(state, event, Role.OPERATOR).status is FilingStatus.CHANGE_REPORTED
    if change and recorded in (Recorded.CERTIFIED, Recorded.RETURNED):
        better = "change-approved" if recorded is Recorded.CERTIFIED else "change-returned"
        return (f"这份备案在等变更审核：请用 {better}。" if lang == "zh"
                else f"This filing awaits the review of a change: use {better}.")  # fmt: skip
    if not change and recorded in _CHANGE_REVIEW:
        return ("这份备案没有待审核的变更。" if lang == "zh"
                else "This filing has no change awaiting review.")  # fmt: skip
    return None


def filings_record(
    filing_id: Annotated[int, typer.Argument()],
    recorded: Annotated[Recorded, typer.Argument(metavar="EVENT", help="What happened.")],
    on: Annotated[str, typer.Option("--on", help="The day it happened (YYYY-MM-DD).")],
    step: Annotated[
        int | None, typer.Option("--step", help="The route's step (default: the one in progress).")
    ] = None,
    reason: Annotated[
        list[str] | None, typer.Option("--reason", help="A return's reason (repeatable).")
    ] = None,
    psb_number: Annotated[
        str | None, typer.Option("--psb-number", help="公安备案号 (certified).")
    ] = None,
    certificate: Annotated[str | None, typer.Option("--certificate", help="备案证编号.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[Lang | None, typer.Option("--lang", help="zh (default) or en.")] = None,
) -> None:
    """Record what the bureau (or the applicant) did, as the chat's buttons do: the same checks;
    a refused event changes nothing (one line, exit 1); the applicant is told by the bot."""
    from bot.cli_operators import _context, _engine, _now
    from bot.filing_actions import act, record_icon
    from bot.reviewers import reviewers_of
    from models.db import session_scope
    from models.filings import state_of
    from models.tables import Applicant, Filing
    from rules.filing_life import STATUS_LABELS, Actor, Role, make_event

    settings, ctx = _context()
    language: Lang = lang or settings.beian_lang
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        _refuse(filing_id, f"--on: not a date (YYYY-MM-DD): {on}", as_json)
    engine = _engine()
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        if filing is None:
            _refuse(filing_id, f"no filing {filing_id}", as_json)
        assert filing is not None
        applicant = session.get(Applicant, filing.applicant_id)
        state, version = state_of(filing), filing.version
        who = (applicant.channel, applicant.external_id) if applicant else ("", "")
    operator = Actor(Role.OPERATOR, "cli")
    too_long = next((r for r in reason or () if len(r.strip()) > REASON_LIMIT), None)
    if too_long is not None:  # never cut: the applicant would read half a reason as whole
        length = len(too_long.strip())
        why = f"--reason: at most {REASON_LIMIT} characters (this one has {length}); not recorded"
        _refuse(filing_id, why, as_json)
    if recorded is Recorded.ICON_PLACED:
        if day > ctx.today:
            _refuse(filing_id, "日期不能在将来。" if language == "zh" else
                    "The date cannot be in the future.", as_json)  # fmt: skip
        from bot.filing_actions import ICON_RECORDED

        said = record_icon(engine, filing_id, channel=who[0], external_id=who[1], on=day,
                           clock=_now, actor=operator.audit, notify=True)  # fmt: skip
        if said != ICON_RECORDED:
            _refuse(filing_id, said.get(language), as_json)
        status = state.status
    else:
        event = _event(recorded)
        wrong = _which_review(state, event, recorded, language)
        if wrong is not None:
            _refuse(filing_id, wrong, as_json)
        typed = make_event(
            event,
            operator,
            day,
            step=step,
            reasons=tuple(r.strip() for r in reason or () if r.strip()),
            psb_number=psb_number,
            certificate=(certificate or "").strip()[:64] or None,
        )
        outcome = act(
            engine,
            filing_id,
            typed,
            ctx=ctx,
            clock=_now,
            reviewers=reviewers_of(settings),
            expected_version=version,  # what was checked above is what is decided on
        )
        if outcome.decision is None:
            _refuse(filing_id, (outcome.refusal.get(language) if outcome.refusal else "refused"),
                    as_json)  # fmt: skip
        assert outcome.decision is not None
        status = outcome.decision.to_status
    payload = {"id": filing_id, "ok": True, "event": recorded.value, "on": day.isoformat(),
               "status": status.value}  # fmt: skip
    line = f"#{filing_id} {recorded.value} {day.isoformat()}: {STATUS_LABELS[status].get(language)}"
    typer.echo(json.dumps(payload, ensure_ascii=False) if as_json else line)
