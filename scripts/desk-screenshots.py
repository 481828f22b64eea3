"""Screenshots of the bureau's desk for docs/ (run by `make docs`): the queue, a filing and the
dashboard, over the browser tests' example filings, in Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import use_a_bench_key
from bot.console.auth import create_link_token
from models.db import session_scope
from models.filings import add_reviewer
from tests.console.desk import CHROMIUM_ARGS, REVIEWER, Console, chromium, migrated, seed


def main(out: Path) -> None:
    use_a_bench_key()  # the example filings are sealed, here and in the desk's process
    folder = Path(tempfile.mkdtemp(prefix="beian-desk-"))
    engine = migrated(folder / "bot.db")
    with session_scope(engine) as session:
        add_reviewer(session, REVIEWER, "王警官", dt.datetime.now(dt.UTC))
    ids = seed(engine).ids
    console = Console(folder / "bot.db", folder / "console.log").start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
            token = create_link_token(engine, REVIEWER, [], dt.datetime.now(dt.UTC))
            page.goto(f"{console.base}/console/login/{token}")
            page.get_by_role("button", name="登录审核台").click()
            page.screenshot(path=out / "desk-queue.png")
            page.goto(f"{console.base}/console/filings/{ids['certify']}")
            page.screenshot(path=out / "desk-filing.png")
            page.goto(f"{console.base}/console/dashboard")
            page.screenshot(path=out / "desk-dashboard.png", full_page=True)
            browser.close()
    finally:
        console.stop()
        engine.dispose()
    for name in ("desk-queue", "desk-filing", "desk-dashboard"):
        print(out / f"{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
