"""The composition root: builds each channel from settings (no module-level singletons)."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from bot.deliveries import render_in_process
from bot.logs import setup_logging
from bot.settings import Settings
from dialogs.model import Context
from documents.coverage import GlyphCoverage
from models import migrate
from models.db import make_engine
from rules.clock import local_date, system_clock
from rules.pack import Pack, load_pack
from rules.text import Lang
from rules.workdays import WorkdayCalendar


def context_factory(
    settings: Settings,
    pack: Pack,
    clock: Callable[[], dt.datetime] = system_clock,
    glyphs: Callable[[], GlyphCoverage | None] = lambda: None,
    reads_photos: bool = False,
) -> Callable[[], Context]:
    """Return a function giving each turn its context (today moves on; a frozen day does not)."""
    calendar = WorkdayCalendar(pack.calendar)

    def context() -> Context:
        today = settings.beian_today or local_date(clock())
        coverage = glyphs()
        undrawable = coverage.missing if coverage is not None else None
        return Context(
            pack=pack,
            calendar=calendar,
            today=today,
            undrawable=undrawable,
            reads_photos=reads_photos,
        )

    return context


def chat_main(
    settings: Settings, *, lang: Lang | None, out: Path, as_name: str | None, word: bool = False
) -> int:
    """Run the terminal chat; return its exit code."""
    from bot.keys import KeySetupError, use
    from bot.reviewers import reviewers_of, seed_configured
    from bot.terminal import run_chat

    setup_logging(file=settings.data_dir() / "logs" / "beian.log")
    pack = load_pack(settings.beian_pack, settings.beian_pack_dir)
    try:
        use(settings)  # the data key: before anything sealed is read or written
    except KeySetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    seed_configured(engine, settings, system_clock())
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    ocr = settings.ocr_worker()  # its process starts with the first photo
    try:
        return run_chat(
            engine=engine,
            context=context_factory(
                settings, pack, glyphs=_fonts_coverage, reads_photos=ocr is not None
            ),
            clock=system_clock,
            render_set=render_in_process,
            external_id=as_name or _user_name(),
            lang=lang or settings.beian_lang,
            switch_lang=lang is not None,
            out=out,
            word=word,
            stdin=sys.stdin,
            stdout=sys.stdout,
            reviewers=reviewers_of(settings),
            ocr=ocr,
        )
    except KeyboardInterrupt:
        return 130
    finally:
        if ocr is not None:
            ocr.close()
        engine.dispose()


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "terminal"


def _fonts_coverage() -> GlyphCoverage:
    from documents.fonts import coverage  # the terminal renders in this process anyway

    return coverage()
