"""Folders a person names for the CLI's output (`--out`): checked before anything is done.

A path may be a file, a folder of the kernel's process filesystem (/proc/self), a read-only
place: each is refused with one line naming it, instead of a traceback after the work (a
render, the database read) was done.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class OutputFolderError(ValueError):
    """Files cannot be written into a named folder; the message is one line naming it."""


def folder_problem(path: Path) -> str | None:
    """Return why files cannot be written into `path` (None: they can); creates nothing that
    stays (a probe file is made and removed)."""
    if path.exists():
        if not path.is_dir():
            return f"{path}: exists and is not a folder"
        return _probe(path, path)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path}: {parent} is not a folder"
    return _probe(parent, path)


def _probe(folder: Path, named: Path) -> str | None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".beian-probe-"):
            return None
    except OSError as exc:
        where = "" if folder == named else f" in {folder}"
        return f"{named}: cannot write{where} ({exc.strerror or type(exc).__name__})"


def prepare_folder(path: Path) -> None:
    """Create `path` (0700) if needed; raise OutputFolderError when files cannot go there."""
    problem = folder_problem(path)
    if problem is not None:
        raise OutputFolderError(problem)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise OutputFolderError(f"{path}: {exc.strerror or type(exc).__name__}") from exc


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600: documents and exports hold ID numbers),
    whole: written aside and renamed over `path`, so that a file there before (of any mode)
    is replaced, not rewritten in place keeping its mode, and a symbolic link there is
    replaced, not followed to wherever it points."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
