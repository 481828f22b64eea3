"""Render in a process pool so the event loop never waits on WeasyPrint."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from typing import TYPE_CHECKING

from documents.coverage import Ranges
from documents.model import DocumentContext, RenderedDocument, document_jobs

if TYPE_CHECKING:
    from documents.word import WordDocument
from rules.answers import FilingAnswers
from rules.enums import DocumentKind


def _warm_up() -> None:
    """Load fonts, the stylesheet and the templates once per worker process (it already dies
    with the fork server: `documents.lifeline`)."""
    from documents import context, fonts
    from documents import render as render_module

    render_module._fonts()
    render_module._stylesheet()
    render_module._ua_stylesheet()
    render_module._second_copy_margins(2)
    context._environment()
    fonts.covered_codepoints()


def _coverage_ranges() -> Ranges:
    from documents.fonts import coverage_ranges

    return coverage_ranges()


def _render(kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext) -> RenderedDocument:
    from documents.render import render  # in the worker: the main process loads no WeasyPrint

    return render(kind, answers, ctx)


def _render_docx(kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext) -> WordDocument:
    from documents.word import render_docx  # python-docx loads at the first Word copy asked

    return render_docx(kind, answers, ctx)


def _ready() -> bool:
    return True


class DocumentRenderer:
    """An async front to a pool of warm rendering processes (forkserver: no inherited threads)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or min(4, os.cpu_count() or 1)
        context = multiprocessing.get_context("forkserver")
        # the first ends the fork server with this process; the second loads what workers share
        context.set_forkserver_preload(["documents.lifeline", "documents.preload"])
        # Started here, from this thread: the parent-death signal follows the thread that
        # started the server, and a pool first used from a worker thread (`coverage`, `warm`,
        # `render_blocking`) would lose its server when that thread ends.
        forkserver.ensure_running()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_warm_up
        )

    async def coverage(self) -> Ranges:
        """Return the fonts' coverage, worked out in a worker (this process loads no font).

        Asked first, at the bot's start: the submission that starts a worker waits until the
        fork server has loaded what it preloads (~1 s), so it is made from a thread, not the
        event loop."""
        future = await asyncio.to_thread(self._pool.submit, _coverage_ranges)
        return await asyncio.wrap_future(future)

    def warm(self) -> None:
        """Start every worker now (each loads fonts and templates), without waiting for them:
        the first submission then renders at once instead of after ~9 s of start-up."""
        for _ in range(self.workers):
            self._pool.submit(_ready)

    async def render(
        self, kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext
    ) -> RenderedDocument:
        """Render one document in a worker process."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _render, kind, answers, ctx)

    async def render_set(
        self, kinds: Iterable[DocumentKind], answers: FilingAnswers, ctx: DocumentContext
    ) -> list[RenderedDocument]:
        """Render several documents in parallel, in the order asked (a filing form per bureau
        of a two-city route)."""
        jobs = document_jobs(tuple(kinds), answers, ctx)
        return list(await asyncio.gather(*(self.render(k, answers, c) for k, c in jobs)))

    def render_blocking(
        self, kinds: Iterable[DocumentKind], answers: FilingAnswers, ctx: DocumentContext
    ) -> list[RenderedDocument]:
        """Render several documents in parallel and wait (for a worker thread, not the loop)."""
        jobs = document_jobs(tuple(kinds), answers, ctx)
        futures = [self._pool.submit(_render, kind, answers, c) for kind, c in jobs]
        return [future.result() for future in futures]

    async def render_docx_set(
        self, kinds: Iterable[DocumentKind], answers: FilingAnswers, ctx: DocumentContext
    ) -> list[WordDocument]:
        """Write Word copies in the workers, in the order asked (a form per bureau)."""
        loop = asyncio.get_running_loop()
        jobs = document_jobs(tuple(kinds), answers, ctx)
        return list(
            await asyncio.gather(
                *(loop.run_in_executor(self._pool, _render_docx, k, answers, c) for k, c in jobs)
            )
        )

    def render_docx_blocking(
        self, kinds: Iterable[DocumentKind], answers: FilingAnswers, ctx: DocumentContext
    ) -> list[WordDocument]:
        """Write Word copies in the workers and wait (for a worker thread, not the loop)."""
        jobs = document_jobs(tuple(kinds), answers, ctx)
        futures = [self._pool.submit(_render_docx, kind, answers, c) for kind, c in jobs]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the workers. Callers finish their renders first; a worker still starting up
        (loading fonts, ~3 s) is stopped rather than waited for.

        The pool's manager thread is waited for too: left running, it closes its wake-up pipe
        while the interpreter's exit hook writes to it, and the process ends with a traceback
        (``OSError: Bad file descriptor`` from ``concurrent.futures.process._python_exit``)."""
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(5)
        if manager is not None:
            manager.join(5)

    def __enter__(self) -> DocumentRenderer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
