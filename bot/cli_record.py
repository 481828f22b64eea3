"""`beian filings record`: the bureau's outcomes from the command line (issue 28), for bureaus
that do not use Telegram. The chat's own path (`bot.filing_actions.act`) with the operator as
the actor: the same decision and checks, audited, and the applicant told by the bot."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from rules.text import REASON_LIMIT, Lang

if TYPE_CHECKING:
    from rules.enums import FilingStatus
    from rules.filing_life import Actor


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
    ONLINE = "online"  # a site filed before it went online went online (its 30 days start)


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


def _operator() -> Actor:
    """The actor the audit names: the operator, at the command line."""
    from rules.filing_life import Actor, Role

    return Actor(Role.OPERATOR, "cli")


def _refuse(filing_id: int, why: str, as_json: bool) -> NoReturn:
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
    from bot.cli_operators import _context, _engine
    from rules.filing_life import STATUS_LABELS, make_event

    settings, ctx = _context()
    language: Lang = lang or settings.beian_lang
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        _refuse(filing_id, f"--on：不是日期（YYYY-MM-DD）：{on}" if language == "zh"
                else f"--on: not a date (YYYY-MM-DD): {on}", as_json)  # fmt: skip
    asked = _Asked(filing_id, recorded, day, language, as_json)
    engine = _engine()
    state, version, who = _as_it_is(engine, asked)
    _reasons_fit(asked, reason or [])
    _numbers_fit(asked, psb_number, certificate)
    told = ""
    if recorded is Recorded.ICON_PLACED:
        _icon_placed(asked, engine, who, ctx.today)
        status = state.status
    elif recorded is Recorded.ONLINE:
        told = "\n" + _online(asked, engine, who, state, ctx)
        status = state.status
    else:
        event = _event(recorded)
        wrong = _which_review(state, event, recorded, language)
        if wrong is not None:
            asked.refuse(wrong)
        typed = make_event(
            event,
            _operator(),
            day,
            step=step,
            reasons=tuple(r.strip() for r in reason or () if r.strip()),
            psb_number=psb_number,
            certificate=(certificate or "").strip() or None,
        )
        status = _decided(asked, engine, typed, version, ctx, settings)
    payload = {"id": filing_id, "ok": True, "event": recorded.value, "on": day.isoformat(),
               "status": status.value}  # fmt: skip
    line = f"#{filing_id} {recorded.value} {day.isoformat()}: {STATUS_LABELS[status].get(language)}"
    typer.echo(json.dumps(payload, ensure_ascii=False) if as_json else line + told)


@dataclass(frozen=True)
class _Asked:
    """What `filings record` was asked to record, and how to answer."""

    filing_id: int
    recorded: Recorded
    day: dt.date
    lang: Lang
    as_json: bool

    def refuse(self, why: str) -> NoReturn:
        """Say why nothing was recorded (one line), exit 1."""
        _refuse(self.filing_id, why, self.as_json)


def _numbers_fit(asked: _Asked, psb_number: str | None, certificate: str | None) -> None:
    """A certification names its 公安备案号; a certificate's number is one line, not too long
    (it was cut at 64 characters, and kept a line break): else refuse, naming the option."""
    from rules.events.certificate import certificate_problem

    zh = asked.lang == "zh"
    if asked.recorded is Recorded.CERTIFIED and not (psb_number or "").strip():
        asked.refuse("--psb-number：复审通过须填写公安备案号" if zh
                     else "--psb-number: a certification needs the filing number")  # fmt: skip
    wrong = certificate_problem((certificate or "").strip())
    if wrong is not None:
        asked.refuse(f"--certificate：{wrong.zh}" if zh else f"--certificate: {wrong.en}")


def _reasons_fit(asked: _Asked, reasons: list[str]) -> None:
    """Refuse a reason over REASON_LIMIT: never cut (the applicant would read half of it as
    the whole)."""
    too_long = next((r for r in reasons if len(r.strip()) > REASON_LIMIT), None)
    if too_long is not None:
        length = len(too_long.strip())
        asked.refuse(
            f"--reason：原因最多{REASON_LIMIT}字（这条{length}字），未记录。"
            if asked.lang == "zh"
            else f"--reason: at most {REASON_LIMIT} characters (this one has {length}); "
            "not recorded"
        )


def _as_it_is(engine: Any, asked: _Asked) -> tuple[Any, int, tuple[str, str]]:
    """The filing's state and version now, and its applicant's channel and id."""
    from models.db import session_scope
    from models.filings import state_of
    from models.tables import Applicant, Filing

    with session_scope(engine) as session:
        filing = session.get(Filing, asked.filing_id)
        if filing is None:
            asked.refuse(f"没有备案 #{asked.filing_id}" if asked.lang == "zh"
                         else f"no filing {asked.filing_id}")  # fmt: skip
        applicant = session.get(Applicant, filing.applicant_id)
        who = (applicant.channel, applicant.external_id) if applicant else ("", "")
        return state_of(filing), filing.version, who


def _icon_placed(asked: _Asked, engine: Any, who: tuple[str, str], today: dt.date) -> None:
    """Record the day the filing's number and icon went on the site, or refuse."""
    from bot.cli_operators import _now
    from bot.filing_actions import ICON_RECORDED, record_icon

    _not_to_come(asked, today)
    said = record_icon(engine, asked.filing_id, channel=who[0], external_id=who[1], on=asked.day,
                       clock=_now, actor=_operator().audit, notify=True)  # fmt: skip
    if said != ICON_RECORDED:
        asked.refuse(said.get(asked.lang))


def _online(asked: _Asked, engine: Any, who: tuple[str, str], state: Any, ctx: Any) -> str:
    """Record the day a site filed before it went online went online (the chat's own path:
    its deadline and reminders planned), or refuse; return the deadline as the applicant
    would be told it."""
    from bot.cli_operators import _now
    from bot.filing_actions import NOT_YOURS, ONLINE_ALREADY, record_online
    from rules.filing_life import awaits_online

    _not_to_come(asked, ctx.today)
    if not awaits_online(state):
        asked.refuse(ONLINE_ALREADY.get(asked.lang))
    said = record_online(engine, asked.filing_id, channel=who[0], external_id=who[1],
                         on=asked.day, ctx=ctx, clock=_now, actor=_operator().audit)  # fmt: skip
    if said in (ONLINE_ALREADY, NOT_YOURS):  # recorded meanwhile by another
        asked.refuse(said.get(asked.lang))
    return said.get(asked.lang)


def _not_to_come(asked: _Asked, today: dt.date) -> None:
    """Refuse a day to come (what has not happened cannot be recorded)."""
    if asked.day > today:
        future = "日期不能在将来。" if asked.lang == "zh" else "The date cannot be in the future."
        asked.refuse(future)


def _decided(
    asked: _Asked, engine: Any, typed: Any, version: int, ctx: Any, settings: Any
) -> FilingStatus:
    """Apply the event through the chat's own path; its new status, or refuse."""
    from bot.cli_operators import _now
    from bot.filing_actions import act
    from bot.reviewers import reviewers_of

    outcome = act(
        engine,
        asked.filing_id,
        typed,
        ctx=ctx,
        clock=_now,
        reviewers=reviewers_of(settings),
        expected_version=version,  # what was checked above is what is decided on
    )
    if outcome.decision is None:
        asked.refuse(outcome.refusal.get(asked.lang) if outcome.refusal else "refused")
    return outcome.decision.to_status
