"""Reading a file a person named (a pack, answers, a change): bounded, regular files only.

A path may name anything: a folder, a FIFO nobody writes to (opening it would wait for ever),
an endless device (/dev/zero), a file of gigabytes. Each is refused with one line that names
the file and says why, before more than `limit` + 1 bytes are read.
"""

from __future__ import annotations

import errno
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any

MAX_TEXT_FILE = 1024 * 1024  # answers, a change, a pack: a few KB each


class UnreadableFileError(ValueError):
    """A named file cannot be read as text; the message is one line naming it."""


def read_text(path: Path, limit: int = MAX_TEXT_FILE) -> str:
    """Return a regular file's UTF-8 text, or raise UnreadableFileError (one line)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{path}: not UTF-8 text (byte {exc.start + 1})") from exc


def read_bytes(path: Path, limit: int) -> bytes:
    """Return a regular file's bytes, or raise UnreadableFileError (one line)."""
    try:
        # O_NONBLOCK: a FIFO opens at once (and is then refused) instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: {_why(exc)}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFileError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise UnreadableFileError(f"{path}: not a regular file (a device, FIFO or socket)")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: {_why(exc)}") from exc
    finally:
        os.close(fd)
    if size > limit:
        raise UnreadableFileError(f"{path}: larger than {_size(limit)}")
    return b"".join(chunks)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


def load_yaml(text: str) -> Any:
    """Parse YAML (or JSON) safely. A date the calendar does not have (2026-02-30) stays the
    text it was, for the validation to refuse with the file's other problems: PyYAML's own
    date would raise ValueError (a traceback) before anything else was looked at."""
    import yaml

    return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader


@cache
def _loader() -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return Loader
