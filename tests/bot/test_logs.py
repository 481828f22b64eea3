"""Logs keep no secret and no personal number in full, tracebacks included."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.logs import MaskingFormatter, mask, mask_number, setup_logging

TOKEN = "123456789:TESTtokenForTheLocalFakeBotApiServer0"


@pytest.mark.parametrize(
    ("text", "shown", "hidden"),
    [
        (f"POST https://api.telegram.org/bot{TOKEN}/getMe", "<token>", TOKEN),
        ("身份证号码：330106198506120015", "**************0015", "330106198506120015"),
        ("id 11010519491231002X end", "**************002X", "11010519491231002X"),
        ("手机：13800138000，", "*******8000", "13800138000"),
        ("passport E12345678", "*****5678", "E12345678"),
        ("港澳通行证 H1234567890", "*******7890", "H1234567890"),
        ("mobile +852 9123 4567.", "4567", "9123 4567"),
        ("mobile +1 650-253-0000", "0000", "650-253"),
        ("手机 138 0013 8000。", "*********8000", "0013"),  # spaced as people type it
        ("mobile 138-0013-8000", "*********8000", "138-0013"),
        ("身份证 330106 19850612 0015", "0015", "19850612"),
        ("id 330106-19491231-002X", "002X", "19491231"),
        ("email linyf@yunfan.example.cn,", "***@yunfan.example.cn", "linyf"),
        ("mail 林.x+tag@example.cn", "@example.cn", "x+tag"),
    ],
)
def test_numbers_and_tokens_are_masked_keeping_the_last_four(
    text: str, shown: str, hidden: str
) -> None:
    masked = mask(text)
    assert shown in masked
    assert hidden not in masked


def test_what_is_not_personal_stays_readable() -> None:
    line = (
        "update 123456 refused: duplicate; 浙ICP备2025012345号-1; 2026-12-01; chat 5001; "
        "13:45:07 filing 12 at 2026-12-01 09:30; 47.96.12.34; www.example.cn; +0800"
    )
    assert mask(line) == line


def test_mask_number_keeps_the_last_four() -> None:
    assert mask_number("330106198506120015") == "**************0015"
    assert mask_number("1234") == "1234"


def test_a_traceback_is_masked_too(tmp_path: Path) -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "turn failed", None, None)
    try:
        raise ValueError(f"summary: 330106198506120015 13800138000 {TOKEN}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    out = MaskingFormatter("%(message)s").format(record)
    assert "Traceback" in out
    for secret in ("330106198506120015", "13800138000", TOKEN):
        assert secret not in out


def test_a_log_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "beian.log"
    path.parent.mkdir(mode=0o755)
    path.write_text("old\n")
    os.chmod(path, 0o644)
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        setup_logging(file=path)
        logging.getLogger("t").info("手机 13800138000")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "*******8000" in path.read_text(encoding="utf-8")
