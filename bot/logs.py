"""Logging as a bureau would keep it: no token, no key, no ID, passport or mobile number in
full, no e-mail address.

Every line (tracebacks included) goes through `mask` on its way out: a bot token becomes
`<token>`, anything shaped like a data key `<key>`, an ID, passport or mobile number keeps its
last 4 characters (written together or spaced as people write them), an e-mail address keeps
only its domain. Code logs ids and reasons, never what a person typed; the mask is the net
under that rule.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from rules.text import mask_number

__all__ = ["MaskingFormatter", "mask", "mask_number", "setup_logging"]

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# Resident ID (18, the last may be X), mainland mobile (11), and passport-like numbers: one or
# two capital letters and 7–10 digits (E12345678; 港澳通行证 H/M…), nothing alphanumeric around.
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])[A-Z]{1,2}\d{7,10}(?![0-9A-Za-z])")
# A data key (BEIAN_DATA_KEY, the key file: 32 bytes in base64, 43 or 44 characters), should
# one ever reach a line: never printed by beian itself.
_KEY = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{43}=?(?![A-Za-z0-9+/=_-])")
# A number abroad as the interview stores it: +852 9123 4567, +1 650-253-0000.
_ABROAD = re.compile(r"\+\d{1,3}(?:[ -]?\d){6,14}(?!\d)")
# The same numbers as people space them: 138 0013 8000, 330106 19850612 0015 (or with "-").
_ID_SPACED = re.compile(r"(?<![0-9A-Za-z])\d{6}[ -]\d{8}[ -]\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE_SPACED = re.compile(r"(?<![\d+])1[3-9]\d[ -]\d{4}[ -]\d{4}(?!\d)")
# An e-mail address: its mailbox is hidden, its domain kept (which provider, not who).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _keep_last4(match: re.Match[str]) -> str:
    whole = match.group(0)
    return "*" * (len(whole) - 4) + whole[-4:]


def mask(text: str) -> str:
    """Hide secrets and personal numbers in `text` (the last 4 of a number are kept)."""
    text = _TOKEN.sub("<token>", text)
    text = _KEY.sub("<key>", text)
    text = _EMAIL.sub("***@", text)
    text = _ID_SPACED.sub(_keep_last4, text)
    text = _MOBILE_SPACED.sub(_keep_last4, text)
    text = _ID.sub(_keep_last4, text)
    text = _MOBILE.sub(_keep_last4, text)
    text = _ABROAD.sub(_keep_last4, text)
    return _PASSPORT.sub(_keep_last4, text)


class MaskingFormatter(logging.Formatter):
    """Format a record as usual, then mask the whole line (message and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(*, file: Path | None = None, level: int = logging.INFO) -> None:
    """Log to `file` (created 0600 in a 0700 folder) or to stderr, masked, at `level`."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        os.chmod(file, 0o600)  # an older file may have been created world-readable
        handler: logging.Handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, which holds the token; transitions logs every state change.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per migration step
