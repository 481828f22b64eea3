"""The desk's pages: the queue (and its CSV), the dashboard, a filing, a filing's document."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web

from bot.console import dashboard, filing_view, queue
from bot.console.app import PREFIX, desk_of, lang_of, need_reviewer, render
from bot.console.derived import DUE_KINDS
from bot.console.texts import DUE_LABELS, SUBJECTS
from models.db import session_scope
from models.tables import Filing, GeneratedDocument
from rules.enums import FilingStatus, SubjectType
from rules.filing_life import STATUS_LABELS
from rules.text import Lang


def _options(lang: Lang) -> dict[str, Any]:
    return {
        "statuses": [(s.value, STATUS_LABELS[s].get(lang)) for s in FilingStatus],
        "subjects": [(s.value, SUBJECTS[s].get(lang)) for s in SubjectType],
        "due_labels": {k: v.get(lang) for k, v in DUE_LABELS.items()},
        "status_labels": {s.value: STATUS_LABELS[s].get(lang) for s in FilingStatus},
        "subject_labels": {s.value: SUBJECTS[s].get(lang) for s in SubjectType},
    }


async def queue_page(request: web.Request) -> web.Response:
    """The queue: what needs the bureau, by the running deadline; filters, search, pages."""
    await need_reviewer(request)
    desk = desk_of(request)
    lang = await lang_of(request)
    filters = queue.Filters.read(request.query)
    today = desk.context().today
    await desk.fresh()

    def read() -> tuple[int, list[queue.Row]]:
        with session_scope(desk.engine) as session:
            return queue.listing(session, filters, today)

    total, rows = await asyncio.to_thread(read)
    searched = bool(queue.searched_words(filters.q))
    more = searched and total > queue.SEARCH_COUNTED  # a search counted up to its cap
    listed = min(total, queue.SEARCH_COUNTED) if searched else total
    pages = max(1, -(-listed // queue.PAGE_SIZE))
    return await render(
        request,
        "queue.html.j2",
        filters=filters,
        total=queue.SEARCH_COUNTED if more else total,
        more=more,
        short=queue.short_words(filters.q),
        rows=rows,
        pages=pages,
        today=today,
        **_options(lang),
    )


async def queue_csv(request: web.Request) -> web.StreamResponse:
    """The filtered queue as CSV (every page), written in chunks."""
    await need_reviewer(request)
    desk = desk_of(request)
    lang = await lang_of(request)
    filters = queue.Filters.read(request.query)
    today = desk.context().today
    await desk.fresh()

    def lines() -> list[str]:
        with session_scope(desk.engine) as session:
            rows = queue.every(session, filters, today)
            label = lambda s: STATUS_LABELS[s].get(lang)  # noqa: E731
            subject = lambda s: SUBJECTS[s].get(lang)  # noqa: E731
            return list(queue.csv_lines(rows, today, label, subject))

    body = await asyncio.to_thread(lines)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="beian-queue-{today.isoformat()}.csv"',
        }
    )
    await response.prepare(request)
    chunk: list[str] = []
    for line in body:
        chunk.append(line)
        if len(chunk) >= 500:
            await response.write("".join(chunk).encode())
            chunk = []
    await response.write("".join(chunk).encode())
    await response.write_eof()
    return response


async def dashboard_page(request: web.Request) -> web.Response:
    """Counts by status and bureau, due this week, overdue, and days to each outcome."""
    await need_reviewer(request)
    desk = desk_of(request)
    lang = await lang_of(request)
    today = desk.context().today
    await desk.fresh()

    def read() -> dashboard.Dashboard:
        with session_scope(desk.engine) as session:
            return dashboard.build(session, today, lang)

    board = await asyncio.to_thread(read)
    return await render(
        request,
        "dashboard.html.j2",
        board=board,
        bars=dashboard.bars,
        max_days=dashboard.MAX_DAYS,
        today=today,
    )


MAX_ID = 2**63 - 1  # the largest id either database stores (a longer number is no filing)


def filing_id(request: web.Request) -> int:
    """Return the filing id of the path; 404 for a number no filing can have (it was a 500:
    SQLite cannot bind an integer over 64 bits)."""
    found = int(request.match_info["id"])
    if found > MAX_ID:
        raise web.HTTPNotFound(text="no such filing")
    return found


async def show_filing(
    request: web.Request,
    *,
    status: int = 200,
    revealed: set[str] | None = None,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    """Render a filing's page as it is now (with an error and what was typed, after a refusal)."""
    desk = desk_of(request)
    lang = await lang_of(request)
    ctx = desk.context()
    wanted = filing_id(request)

    def read() -> filing_view.FilingPage | None:
        with session_scope(desk.engine) as session:
            filing = session.get(Filing, wanted)
            if filing is None:
                return None
            page = filing_view.build(session, filing, ctx, lang, revealed)
            session.expunge_all()
            return page

    page = await asyncio.to_thread(read)
    if page is None:
        raise web.HTTPNotFound(text="no such filing")
    return await render(
        request,
        "filing.html.j2",
        status=status,
        page=page,
        f=page.filing,
        error=error,
        typed=typed or {},
        today=ctx.today,
        due_kinds=DUE_KINDS,
    )


async def filing_page(request: web.Request) -> web.Response:
    """A filing on one page."""
    await need_reviewer(request)
    return await show_filing(request)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def word_copies(request: web.Request) -> web.StreamResponse:
    """生成Word版: the filing's editable Word copies, made from the same document context as
    its PDFs (as the chat's 「Word版（可编辑）」 makes them), kept beside them and listed on the
    filing's page."""
    await need_reviewer(request)
    desk = desk_of(request)
    wanted = filing_id(request)
    from bot.word_copies import word_copies as make
    from bot.word_copies import write_in_process

    made = await asyncio.to_thread(
        make, desk.engine, wanted, write_in_process, desk.context(), desk.clock()
    )
    if made is None:
        raise web.HTTPNotFound(text="no such filing")
    raise web.HTTPSeeOther(f"{PREFIX}/filings/{wanted}#docs-h")


async def document(request: web.Request) -> web.StreamResponse:
    """One of a filing's stored documents: a PDF in the browser, or downloaded with
    ?download=1; a Word copy downloaded."""
    await need_reviewer(request)
    desk = desk_of(request)
    wanted, doc = filing_id(request), int(request.match_info["doc"])
    if doc > MAX_ID:
        raise web.HTTPNotFound(text="no such document")

    def read() -> tuple[str, bytes, str] | None:
        with session_scope(desk.engine) as session:
            found = session.get(GeneratedDocument, doc)
            if found is None or found.filing_id != wanted:
                return None
            return found.filename, found.content, found.format

    found = await asyncio.to_thread(read)
    if found is None:
        raise web.HTTPNotFound(text="no such document")
    name, content, kind = found
    from urllib.parse import quote

    word = kind == "docx"  # a Word copy: downloaded (a browser cannot show it)
    how = "attachment" if word or request.query.get("download") == "1" else "inline"
    return web.Response(
        body=content,
        headers={
            "Content-Type": DOCX_TYPE if word else "application/pdf",
            "Content-Disposition": f'{how}; filename="filing-{wanted}.{kind}"; '
            f"filename*=UTF-8''{quote(name)}",
            # our own PDF, shown by the browser's viewer (a page's policy would stop it)
            "Content-Security-Policy": "frame-ancestors 'self'",
        },
    )


def today_of(request: web.Request) -> dt.date:
    """Return the desk's today."""
    return desk_of(request).context().today


__all__ = ["PREFIX", "dashboard_page", "document", "filing_page", "queue_csv", "queue_page"]
