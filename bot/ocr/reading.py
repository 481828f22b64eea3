"""A photo's bytes → the interview's input, with the audit row (its hash only): the same for
every channel (Telegram downloads the photo; the terminal reads a file the applicant names)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa

from bot.ocr.images import MAX_BYTES, TOO_LARGE, PhotoError
from bot.ocr.worker import OcrWorker
from dialogs.model import PhotoRead
from models.db import session_scope
from models.filings import record_photo_reading
from rules.files import UnreadableFileError, read_bytes
from rules.photo_fields import CHECKED_FIELDS, checked
from rules.text import t

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
NO_SUCH_FILE = t("找不到文件 {path}。", "There is no file {path}.")
NOT_OPENED = t(
    "无法读取文件 {path}（不是普通文件，或没有读取权限）。",
    "The file {path} cannot be read (not a regular file, or no permission).",
)


def read_photo_bytes(
    worker: OcrWorker, data: bytes, *, engine: sa.Engine, channel: str, external_id: str
) -> PhotoRead:
    """Read a photo into the interview's input; write its audit row (hash, kind, outcome)."""
    sha256 = hashlib.sha256(data).hexdigest()
    kind: str | None = None
    try:
        found = worker.read(data).reading
        kind, outcome = found.kind, "read"
        read = PhotoRead(
            kind=found.kind,
            fields=dict(found.fields),
            checked=tuple(k for k in (*CHECKED_FIELDS, "birth") if checked(found, k)),
        )
    except PhotoError as exc:
        outcome = "refused"
        read = PhotoRead(problem=exc.reason)
    with session_scope(engine) as session:
        record_photo_reading(
            session,
            channel=channel,
            external_id=external_id,
            sha256=sha256,
            kind=kind,
            outcome=outcome,
        )
    log.info("photo %s (%s, sha256 %s)", outcome, kind, sha256)
    return read


def photo_path(text: str) -> Path | None:
    """Return the image file a typed line names (a path, perhaps quoted as a dropped file
    is), or None: the line is an answer."""
    line = text.strip().strip("'\"")
    if "\n" in line or not line or Path(line).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    path = Path(line).expanduser()
    # A path to a file that is not there is still a path (said so), not an answer.
    return path if path.exists() or "/" in line or "\\" in line else None


def read_photo_file(
    worker: OcrWorker, path: Path, *, engine: sa.Engine, channel: str, external_id: str
) -> PhotoRead:
    """Read the image file at `path` (the applicant's own: it is read, never copied)."""
    if not path.exists():
        return PhotoRead(problem=NO_SUCH_FILE.format(path=str(path)))
    try:
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            return PhotoRead(problem=TOO_LARGE)
        data = read_bytes(path, MAX_BYTES)
    except (UnreadableFileError, OSError):
        return PhotoRead(problem=NOT_OPENED.format(path=str(path)))
    return read_photo_bytes(worker, data, engine=engine, channel=channel, external_id=external_id)
