"""The desk as a person meets it: `beian console` in its own process beside `beian serve` (the
local Bot API stand-in), a database of filings in several states, Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from models import migrate
from models.db import make_engine
from rules.lifecycle import FilingEvent as E
from tests.fakes.driver import BEIAN
from tests.fakes.filings import answers, context, make_filing, move

TODAY = dt.date(2026, 11, 28)
REVIEWER, SECOND = 9101, 9102
APPLICANT, OTHER = 8101, 8103
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


def moment(day: str, hour: int = 10) -> dt.datetime:
    """Return a moment of a day in Asia/Shanghai, as UTC."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(dt.UTC)


def free_port() -> int:
    """Return a free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Seeded:
    """The filings the desk's tests find, by what they are for."""

    ids: dict[str, int] = field(default_factory=dict)


def seed(engine: sa.Engine) -> Seeded:
    """Store filings in several states, moved on through the chat's own `act`."""
    ctx = context(TODAY)
    found = Seeded()
    a = str(APPLICANT)

    def filing(key: str, kind: str, site: str, domain: str, unit: str | None = None,
               who: str = a) -> int:  # fmt: skip
        raw = answers(kind, site, domain, unit)
        found.ids[key] = make_filing(engine, ctx, raw, applicant=who, now=moment("2026-10-30"))
        return found.ids[key]

    def submit(i: int, day: str, who: str = a) -> None:
        move(engine, ctx, i, E.SUBMIT, at=moment(day), applicant=who)

    i = filing(
        "return", "enterprise", "云帆科技官网", "www.yunfan.example.cn", "示例云帆科技有限公司"
    )
    submit(i, "2026-11-25")
    i = filing(
        "certify", "enterprise", "星河商城", "shop.xinghe.example.cn", "示例星河贸易有限公司"
    )
    submit(i, "2026-11-16")
    move(engine, ctx, i, E.PASS_INITIAL_REVIEW, at=moment("2026-11-19"), reviewer=REVIEWER)
    move(engine, ctx, i, E.RECEIVE_MATERIALS, at=moment("2026-11-26"), reviewer=REVIEWER)
    i = filing("overdue", "enterprise", "示例市政务公开网", "gov.example.cn", "示例市数据管理局")
    submit(i, "2026-11-02")
    i = filing(
        "race", "enterprise", "双子星书店", "books.gemini.example.cn", "示例双子星文化有限公司"
    )
    submit(i, "2026-11-26")
    filing("prepared", "individual", "小𠮷的笔记", "note.example.cn", who=str(OTHER))
    i = filing("certified", "enterprise", "明月茶社", "tea.example.cn", "示例明月茶业有限公司")
    submit(i, "2026-11-03")
    move(engine, ctx, i, E.PASS_INITIAL_REVIEW, at=moment("2026-11-05"), reviewer=REVIEWER)
    move(engine, ctx, i, E.RECEIVE_MATERIALS, at=moment("2026-11-09"), reviewer=REVIEWER)
    move(engine, ctx, i, E.CERTIFY, at=moment("2026-11-11"), reviewer=REVIEWER,
         psb_number="京公网安备11010502030143号", certificate="SL-2026-001")  # fmt: skip
    return found


def env(database: Path, **extra: str) -> dict[str, str]:
    """Return the environment both processes run with."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "BEIAN_TODAY": TODAY.isoformat(),
        "BEIAN_PACK": "example",
        "BEIAN_REVIEWERS": f"{REVIEWER},{SECOND}",
        **extra,
    }


class Console:
    """`beian console` in its own process."""

    def __init__(self, database: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = database
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Console:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BEIAN), "console", "--listen", f"127.0.0.1:{self.port}"],
                env=env(self.database),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(encoding="utf-8")
            try:
                urllib.request.urlopen(f"{self.base}/console/signin", timeout=1)
            except urllib.error.HTTPError:
                return self  # 401: it answers
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the desk did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def link(self, reviewer: int = REVIEWER) -> str:
        """Return a fresh sign-in link, as `beian reviewers login-link` prints it."""
        done = subprocess.run(
            [str(BEIAN), "reviewers", "login-link", str(reviewer), "--base-url", self.base],
            env=env(self.database),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1].split()[-1]  # the last word of its line


def chromium() -> str:
    """Return Debian's Chromium (installed by scripts/install-system-deps.sh)."""
    found = shutil.which("chromium")
    assert found, "chromium is not installed: run scripts/install-system-deps.sh"
    return found


def migrated(database: Path) -> sa.Engine:
    """Return an engine on a fresh database at the newest schema."""
    migrate.upgrade(f"sqlite:///{database}")
    return make_engine(f"sqlite:///{database}")
