"""The data key (issue 26, item 3): where it comes from, its first start, and its rotation.

The key that seals personal data in the database (`models.sealed`) comes from BEIAN_DATA_KEY
when it is set, else from the key file (BEIAN_KEY_FILE, default beian.key in the data folder),
which the first start creates with mode 0600. Either holds one key, or several during a
rotation: the first seals, the others only open what they sealed. A key is never printed, logged
or put in a message: only its id (8 hex digits of a hash of it) is.

A missing key is not made up when the database already holds sealed values (a new key would
open none of them): that start stops with one line saying so. Every process that opens the
database checks that its keys open the newest value of each sealed column (`use`): a wrong key
stops the start, rather than failing every turn later.

`beian keys rotate` puts a new key first (in the key file; with BEIAN_DATA_KEY, the operator
does), seals every value again under it while the old key still opens what is not done yet (a
running bot re-reads a changed key file within a second, at once when it meets a key it does
not hold), and then removes the old key from the key file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.settings import Settings
from models import sealed
from models.sealed import Keyring, SealError

log = logging.getLogger(__name__)

ENV = "BEIAN_DATA_KEY"
HEADER = (
    "# beian's data key: it opens the personal data sealed in the database (ID numbers,\n"
    "# mobiles, e-mail addresses, names, documents). Back it up apart from the database\n"
    "# (README, 'The data key'): without it the sealed data cannot be read by anyone.\n"
    "# The first key seals; any after it only opens what it sealed (a rotation under way).\n"
)
ROTATION_PASSES = 30  # passes of `rotate` over rows a running bot sealed under the old key


class KeySetupError(Exception):
    """The key cannot be had: one line for the operator (never the key)."""


@dataclass(frozen=True)
class KeySource:
    """Where this process's keys come from: BEIAN_DATA_KEY, or a key file."""

    env: bool
    path: Path

    def __str__(self) -> str:
        return ENV if self.env else f"the key file {self.path}"


def source_of(settings: Settings) -> KeySource:
    """Return where the keys come from for `settings`."""
    return KeySource(settings.beian_data_key is not None, settings.key_file())


def _parse(text: str, origin: str) -> list[bytes]:
    try:
        return sealed.parse_keys(text, origin=origin)
    except SealError as exc:
        raise KeySetupError(str(exc)) from None


def read_file(path: Path) -> list[bytes]:
    """Return the keys of a key file (KeySetupError: unreadable, or not keys). Bounded (64 KB),
    a regular file only: a FIFO or /dev/zero is refused, not waited on or read for ever."""
    from rules.files import UnreadableFileError, read_bytes

    try:
        text = read_bytes(path, 64 * 1024).decode("utf-8")
    except (UnicodeDecodeError, UnreadableFileError) as exc:
        why = f"{path}: not text" if isinstance(exc, UnicodeDecodeError) else exc
        raise KeySetupError(f"the key file cannot be read: {why}") from None
    return _parse(text, f"the key file {path}")


def write_file(path: Path, keys: Sequence[bytes], *, new: bool = False) -> None:
    """Write `keys` to the key file, replacing it whole (mode 0600, synced). `new`: only if
    there is no key file yet (FileExistsError when another process made one first)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = HEADER + "".join(sealed.encode_key(key) + "\n" for key in keys)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        if new:  # whole or not at all, and never over another's: two first starts at once
            os.link(temporary, path)
            temporary.unlink()
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # the rename itself, on disk
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _watch(path: Path) -> Callable[[], list[bytes] | None]:
    """A keyring's reload for a key file: its keys when the file changed, else None (a file
    being replaced, or broken meanwhile, keeps the keys in hand)."""
    seen: list[tuple[int, int, int] | None] = [_signature(path)]

    def reload() -> list[bytes] | None:
        now = _signature(path)
        if now is None or now == seen[0]:
            return None
        try:
            keys = read_file(path)
        except KeySetupError as exc:
            log.warning("the key file changed but cannot be used (%s); keeping the keys", exc)
            return None
        seen[0] = now
        log.info("the key file changed: keys now %s", ", ".join(sealed.key_id(k) for k in keys))
        return keys

    return reload


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def file_mode(path: Path) -> int | None:
    """Return the key file's permission bits (None: no file)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def load(settings: Settings, *, create: bool = True) -> Keyring:
    """Return the keyring of `settings`: BEIAN_DATA_KEY's keys, else the key file's — created
    (one new key, 0600) when there is none and `create`, unless the database already holds
    sealed values. KeySetupError: one line."""
    source = source_of(settings)
    if settings.beian_data_key is not None:
        text = settings.beian_data_key.get_secret_value()
        if not text.strip():
            raise KeySetupError(
                f"{ENV} is set but empty: give the key (32 bytes in base64, as `beian keys "
                "generate` prints), or unset it to use the key file"
            )
        return Keyring(_parse(text, ENV), origin=ENV)
    path = source.path
    if not path.exists():
        if not create:
            raise KeySetupError(f"no data key: {ENV} is not set and {path} does not exist")
        _refuse_new_key_for_sealed_data(settings, path)
        key = sealed.new_key()
        try:
            write_file(path, [key], new=True)
        except FileExistsError:  # another instance started at the same moment made it
            return Keyring(read_file(path), origin=str(source), reload=_watch(path))
        log.warning(
            "created the data key %s in %s (0600): back it up apart from the database (README)",
            sealed.key_id(key),
            path,
        )
        return Keyring([key], origin=str(source), reload=_watch(path))
    mode = file_mode(path) if path.is_file() else None  # anything else: refused when read
    if mode is not None and mode & 0o077:
        log.warning("the key file %s can be read by others (mode %o): chmod 600 it", path, mode)
    return Keyring(read_file(path), origin=str(source), reload=_watch(path))


def _refuse_new_key_for_sealed_data(settings: Settings, path: Path) -> None:
    found = database_keys(settings.database_url)
    if found:
        raise KeySetupError(
            f"no data key: {ENV} is not set and {path} does not exist, but the database holds "
            f"values sealed under key {', '.join(sorted(found))}: put that key back (the key "
            f"file from its backup, or {ENV}); a new key would open none of them"
        )


def database_keys(url: str) -> set[str]:
    """Return the key ids of the newest sealed value of each sealed column (empty for a
    database with none, or none yet). A column that cannot be read is skipped, and so is the
    inbox (its values live minutes; its processed rows, none sealed, would be walked)."""
    from sqlmodel import SQLModel

    import models.tables  # noqa: F401  (the tables, on SQLModel.metadata)
    from models import resealing
    from models.db import make_engine

    engine = make_engine(url)
    found: set[str] = set()
    try:
        with engine.connect() as conn:
            chosen = resealing.each_place(conn, resealing.places(SQLModel.metadata))
        for place in chosen:
            if place.table == "inbox":
                continue
            with engine.connect() as conn:
                try:
                    kid = resealing.newest_key(conn, place)
                except sa.exc.DBAPIError:  # a column not there yet (an older schema)
                    continue
                if kid is not None:
                    found.add(kid)
    finally:
        engine.dispose()
    return found


def use(settings: Settings, *, check: bool = True) -> Keyring:
    """Load the keys of `settings`, check they open the database's newest sealed values, and
    make them this process's keyring. KeySetupError: one line."""
    keyring = load(settings)
    if check:
        unknown = database_keys(settings.database_url) - set(keyring.ids)
        if unknown:
            raise KeySetupError(
                f"the database holds values sealed under key {', '.join(sorted(unknown))}, "
                f"which {keyring.origin} does not hold (it holds {', '.join(keyring.ids)}): "
                "give the key they were sealed with"
            )
    sealed.install(keyring)
    return keyring


def ensure(settings: Settings) -> Keyring:
    """Return the keyring in use, loading the one of `settings` when none is (benches)."""
    return sealed.installed() or use(settings)


# --- rotation ----------------------------------------------------------------------------------


@dataclass
class Rotation:
    """What `rotate` did."""

    current: str
    retired: list[str]
    resealed: int = 0
    remaining: int = 0
    new_key: bool = False


def counts(engine: sa.Engine) -> dict[str, dict[str | None, int]]:
    """Return, for each sealed column (table.column), how many values each key id sealed
    (None: values with nothing sealed: an empty object, a processed update)."""
    from sqlmodel import SQLModel

    import models.tables  # noqa: F401
    from models import resealing

    found: dict[str, dict[str | None, int]] = {}
    with engine.connect() as conn:
        for place in resealing.each_place(conn, resealing.places(SQLModel.metadata)):
            found[place.context] = resealing.count_by_key(conn, place)
    return found


def _resealer(place: Any, keyring: Keyring) -> Callable[[Any], Any]:
    """A row's value opened (under whichever key) and sealed again under the current one."""
    import json

    def again(stored: Any) -> Any:
        if stored is None:
            return None
        kid = sealed.sealed_key_id(stored)
        if kid == keyring.current:
            return None
        if place.kind == "json":
            value = json.loads(stored) if isinstance(stored, str) else stored
            if value == {}:
                return None
            if kid is not None:
                value = sealed.open_json(value, context=place.context, keyring=keyring)
            return sealed.seal_json(value, context=place.context, keyring=keyring)
        if place.kind == "bytes":
            data = bytes(stored)
            if kid is not None:
                data = sealed.open_bytes(data, context=place.context, keyring=keyring)
            return sealed.seal_bytes(data, context=place.context, keyring=keyring)
        text = str(stored)
        if kid is not None:
            text = sealed.open_text(text, context=place.context, keyring=keyring)
        return sealed.seal_text(text, context=place.context, keyring=keyring)

    return again


def reseal(
    engine: sa.Engine,
    keyring: Keyring,
    *,
    after_batch: Callable[[str, int], None] | None = None,
) -> int:
    """Seal every value not sealed under `keyring`'s current key again under it (a pass over
    every sealed column); return how many were written."""
    from sqlmodel import SQLModel

    import models.tables  # noqa: F401
    from models import resealing

    with engine.connect() as conn:
        chosen = resealing.each_place(conn, resealing.places(SQLModel.metadata))
    written = 0
    for place in chosen:
        hook = (lambda n, c=place.context: after_batch(c, n)) if after_batch else None
        written += resealing.rewrite(
            engine,
            place,
            _resealer(place, keyring),
            only_keys_other_than=keyring.current,
            after_batch=hook,
        )
    return written


def not_current(engine: sa.Engine, current: str) -> int:
    """Return how many values are sealed under another key than `current`."""
    return sum(
        n
        for per_key in counts(engine).values()
        for kid, n in per_key.items()
        if kid is not None and kid != current
    )


def rotate(
    settings: Settings,
    engine: sa.Engine,
    say: Callable[[str], None],
    *,
    pause: float = 1.0,
    after_batch: Callable[[str, int], None] | None = None,
) -> Rotation:
    """Rotate the data key (see the module); KeySetupError when there is nothing to rotate to
    or the rotation could not finish (the old key is then kept)."""
    source = source_of(settings)
    load(settings, create=False)  # KeySetupError: no key, or one that is not a key
    keys, new = _keys_to_rotate(settings, source, say)
    keyring = Keyring(keys, origin=str(source))
    current = keyring.current
    _refuse_keys_not_held(engine, keyring, source)
    sealed.install(keyring)
    result = Rotation(current, [k for k in keyring.ids if k != current], new_key=new)
    if source.env and len(keys) == 1 and not_current(engine, current) == 0:
        raise KeySetupError(
            f"nothing to rotate: {ENV} holds one key ({current}) and every value is sealed "
            f"under it. Put a new key first ({ENV}=NEW,{current}; `beian keys generate` "
            "prints one), restart the bot with it, and run this again"
        )
    _reseal_all(engine, keyring, result, pause=pause, after_batch=after_batch)
    if not source.env and len(keys) > 1:
        write_file(source.path, [keys[0]])
    sealed.install(Keyring([keys[0]], origin=str(source), reload=None if source.env else _watch(
        source.path)))  # fmt: skip
    return result


def _keys_to_rotate(
    settings: Settings, source: KeySource, say: Callable[[str], None]
) -> tuple[list[bytes], bool]:
    """The keys of the rotation, the new one first, and whether it was made now: the key file
    gets a new key before its only one (with several, a rotation cut short is taken up);
    BEIAN_DATA_KEY holds the operator's."""
    if source.env:
        assert settings.beian_data_key is not None
        return _parse(settings.beian_data_key.get_secret_value(), ENV), False
    keys = read_file(source.path)
    if len(keys) != 1:
        return keys, False
    keys = [sealed.new_key(), *keys]
    write_file(source.path, keys)
    say(f"new key {sealed.key_id(keys[0])} written to {source.path}")
    return keys, True


def _refuse_keys_not_held(engine: sa.Engine, keyring: Keyring, source: KeySource) -> None:
    """Stop before anything changes when the database holds values sealed under a key the
    keyring does not hold (resealing the rest would leave them unopenable)."""
    unknown = {
        kid
        for per_key in counts(engine).values()
        for kid in per_key
        if kid is not None and kid not in keyring.ids
    }
    if unknown:
        raise KeySetupError(
            f"values sealed under key {', '.join(sorted(unknown))} are in the database, and "
            f"{source} does not hold it: nothing rotated (they would be lost)"
        )


def _reseal_all(
    engine: sa.Engine,
    keyring: Keyring,
    result: Rotation,
    *,
    pause: float,
    after_batch: Callable[[str, int], None] | None,
) -> None:
    """Seal every value again under the current key, pass after pass while a running bot
    still seals under the old one; KeySetupError when some remain after ROTATION_PASSES."""
    for attempt in range(ROTATION_PASSES):
        result.resealed += reseal(engine, keyring, after_batch=after_batch)
        result.remaining = not_current(engine, keyring.current)
        if result.remaining == 0:
            return
        if attempt + 1 < ROTATION_PASSES:  # a running bot still sealing under the old key
            time.sleep(pause)
    raise KeySetupError(
        f"{result.remaining} values are still sealed under "
        f"{', '.join(result.retired)} after {ROTATION_PASSES} passes: a bot is still "
        "sealing under the old key (started with another key file or BEIAN_DATA_KEY?). "
        "Restart it with the new key and run this again; the old key is kept"
    )


def wipe_free_pages(engine: sa.Engine) -> bool:
    """SQLite: rewrite the file (VACUUM) and empty the WAL, so no free page keeps values
    sealed under a retired key; True when done (PostgreSQL: False, see the README)."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return True
