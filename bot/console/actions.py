"""The desk's actions: a reviewer's decision through `bot.filing_actions.act` (the chat's own
path: one transaction, the optimistic lock on the version the page showed, the applicant's
notices as outbox rows), and showing a masked ID number (logged)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from bot.console import texts
from bot.console.app import desk_of, lang_of, need_reviewer
from bot.console.filing_view import actions_of, is_secret
from bot.console.views import filing_id, show_filing
from bot.filing_actions import STALE_PRESS, act
from models.db import session_scope
from models.tables import ConsoleReveal, Filing, OutboxMessage
from rules.filing_life import RETURN_REASONS, Actor, Role, make_event
from rules.text import Lang, Text

log = logging.getLogger(__name__)


async def reveal(request: web.Request) -> web.Response:
    """Show one masked ID number of the filing, and log who saw it."""
    reviewer = await need_reviewer(request)
    desk = desk_of(request)
    wanted = filing_id(request)
    form = await request.post()
    path = str(form.get("field") or "")[:200]

    def record() -> bool:
        with session_scope(desk.engine) as session:
            filing = session.get(Filing, wanted)
            if filing is None:
                return False
            individual = (filing.data or {}).get("subject_type") == "individual"
            if not is_secret(path, individual):
                return False
            session.add(
                ConsoleReveal(filing_id=wanted, reviewer_id=reviewer, field=path, at=desk.clock())
            )
            return True

    if not await asyncio.to_thread(record):
        raise web.HTTPBadRequest(text="not a masked field")
    log.info("desk: reviewer %s showed %s of filing %s", reviewer, path, wanted)
    return await show_filing(request, revealed={path})


def _day(raw: Any, today: dt.date) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _reasons(form: Any, lang: str) -> tuple[str, ...]:
    chosen = []
    for raw in form.getall("reason", []):
        if str(raw).isdigit() and int(raw) < len(RETURN_REASONS):
            chosen.append(RETURN_REASONS[int(raw)].zh)  # the applicant reads them as the chat's
    own = " ".join(str(form.get("reason_text") or "").split())[:500]
    if own:
        chosen.append(own)
    return tuple(chosen)


async def act_on(request: web.Request) -> web.Response:
    """Record a reviewer's decision on the filing, as the chat's buttons do; a filing moved
    since the page was shown is refused, naming who moved it, and shown as it is now."""
    reviewer = await need_reviewer(request)
    desk = desk_of(request)
    lang = await lang_of(request)
    wanted = filing_id(request)
    form = await request.post()
    ctx = desk.context()
    code = str(form.get("action") or "")
    typed = _typed(form, code)
    version = str(form.get("version") or "")
    on = _day(form.get("on"), ctx.today)
    if not version.isdigit():
        raise web.HTTPBadRequest(text="no version")
    if on is None:
        return await show_filing(request, status=422, error=texts.BAD_DATE.get(lang), typed=typed)
    found = await asyncio.to_thread(_offered, desk, wanted, lang)
    if found is None:
        raise web.HTTPNotFound(text="no such filing")
    choices, current = found
    chosen = choices.get(code)
    asked = _event_asked(code, chosen, current == int(version), form, typed, lang)
    if isinstance(asked, Text):
        return await show_filing(request, status=422, error=asked.get(lang), typed=typed)
    event, data = asked
    typed_event = make_event(event, Actor(Role.REVIEWER, str(reviewer)), on, **data)
    outcome = await asyncio.to_thread(
        lambda: act(
            desk.engine,
            wanted,
            typed_event,
            ctx=ctx,
            clock=desk.clock,
            reviewers=desk.reviewers,
            expected_version=int(version),
        )
    )
    if outcome.refusal is not None:
        moved = current != int(version) or await asyncio.to_thread(_moved, desk, wanted, current)
        log.info("desk: %s on filing %s by reviewer %s refused", code, wanted, reviewer)
        refusal = texts.STALE_PAGE if outcome.refusal == STALE_PRESS else outcome.refusal
        if moved:  # (the chat's "button out of date, send /status" said as a page's)
            error = f"{refusal.get(lang)} {texts.MOVED.get(lang)}"
            return await show_filing(request, status=409, error=error)
        return await show_filing(request, status=422, error=refusal.get(lang), typed=typed)
    log.info("desk: %s on filing %s by reviewer %s", code, wanted, reviewer)
    label = chosen.label if chosen is not None else code
    return await _recorded(request, wanted, label, outcome.notices, lang)


def _typed(form: Any, code: str) -> dict[str, Any]:
    """What the form held, to fill it in again after a refusal."""
    typed: dict[str, Any] = {
        k: str(form.get(k) or "") for k in ("on", "reason_text", "psb_number", "certificate")
    }
    typed["reasons"] = [str(r) for r in form.getall("reason", [])]
    typed["action"] = code
    return typed


def _offered(desk: Any, wanted: int, lang: Lang) -> tuple[dict[str, Any], int] | None:
    """The actions the filing's page offers now, by code, and its version (None: no filing)."""
    with session_scope(desk.engine) as session:
        filing = session.get(Filing, wanted)
        if filing is None:
            return None
        return {a.code: a for a in actions_of(filing, lang)}, filing.version


def _event_asked(
    code: str, chosen: Any, current: bool, form: Any, typed: dict[str, Any], lang: str
) -> tuple[Any, dict[str, Any]] | Text:
    """The event the form asks for and its data, or why it cannot be asked. `chosen`: the
    action offered under `code` (None when the page is no longer current, or never offered
    it); `current`: the filing has not moved since the page was shown."""
    from bot.console.filing_view import Action as Offered

    if chosen is None and current:
        return texts.UNKNOWN_ACTION
    event = chosen.event if chosen is not None else _event_of(code)
    if event is None:
        return texts.UNKNOWN_ACTION
    assert chosen is None or isinstance(chosen, Offered)
    reasons = _reasons(form, lang) if code in ("return", "change_return") else ()
    if code in ("return", "change_return") and not reasons:
        return texts.NO_REASON
    data: dict[str, Any] = {"reasons": reasons}
    if code == "certify":
        data["psb_number"] = typed["psb_number"].strip()
        data["certificate"] = typed["certificate"].strip() or None  # checked by the event
    return event, data


async def _recorded(
    request: web.Request, wanted: int, label: str, notices: tuple[int, ...], lang: Lang
) -> web.Response:
    """Send the notices now (inside `beian serve`), say what was recorded, show the filing."""
    desk = desk_of(request)
    if desk.notify is not None and notices:
        await desk.notify(notices)  # inside `beian serve`: sent now
    session = await get_session(request)
    said = texts.RECORDED.fill(lang, label=label)
    told = await asyncio.to_thread(_told, desk.engine, notices)
    if told:
        said += " " + texts.TOLD.fill(lang, who=("、" if lang == "zh" else ", ").join(
            w.get(lang) for w in told))  # fmt: skip
    if texts.TOLD_APPLICANT not in told:
        said += " " + texts.NOT_TOLD_APPLICANT.get(lang)
    session["flash"] = said
    raise web.HTTPSeeOther(f"/console/filings/{wanted}")


def _told(engine: Any, notices: tuple[int, ...]) -> list[Text]:
    """Who the notices written for a decision go to: the applicant, the review chat (a
    Telegram group: a negative chat id), reviewers privately."""
    from rules.filing_life import Audience

    with session_scope(engine) as session:
        rows = [r for i in notices if (r := session.get(OutboxMessage, i)) is not None]
        found = [(r.payload.get("to"), r.chat_id) for r in rows]
    told = []
    if any(to == Audience.APPLICANT.value for to, _ in found):
        told.append(texts.TOLD_APPLICANT)
    reviewers = [chat for to, chat in found if to == Audience.REVIEWERS.value]
    if any(chat is not None and chat < 0 for chat in reviewers):
        told.append(texts.TOLD_GROUP)
    if any(chat is not None and chat > 0 for chat in reviewers):
        told.append(texts.TOLD_REVIEWERS)
    return told


def _event_of(code: str) -> Any:
    from rules.lifecycle import FilingEvent as E

    return {
        "pass": E.PASS_INITIAL_REVIEW,
        "return": E.RETURN,
        "change_return": E.RETURN,
        "materials": E.RECEIVE_MATERIALS,
        "certify": E.CERTIFY,
        "change_ok": E.CERTIFY,
    }.get(code)


def _moved(desk: Any, wanted: int, seen: int) -> bool:
    with session_scope(desk.engine) as session:
        filing = session.get(Filing, wanted)
        return filing is None or filing.version != seen
