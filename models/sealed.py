"""Personal data sealed at rest (issue 26, item 3): AES-256-GCM with the application's key.

Every column that carries an applicant's answers, a notice's text, a document or a person's
free text is stored sealed: the answers of an interview, a filing and each of its versions, the
outbox's payloads, the inbox's updates while they wait, the rendered documents, the reasons
typed for a decision or a change, the Telegram display name. A stolen database file (or its
WAL, or a backup) holds no ID number, mobile, e-mail address or name in the clear.

A sealed value names the key it was sealed under (`key_id`: 8 hex digits of a hash of the key,
never the key), so keys can be rotated: the keyring holds the key that seals (the first) and
any older ones, which still open what they sealed until `beian keys rotate` sealed it again.
Each column's name is the AEAD's associated data: a value moved to another column does not
open. What a column stores:

- JSON columns (`SealedJSON`): ``{"k": key id, "v": base64(nonce ‖ ciphertext ‖ tag)}`` —
  still valid JSON, so PostgreSQL's JSONB columns keep their type. An empty object ``{}`` reads
  as ``{}``: it is what an inbox row keeps once its update was processed (nothing to hide);
- binary columns (`SealedBytes`): ``b"s1:" + key id + b":" + nonce ‖ ciphertext ‖ tag``;
- text columns (`SealedText`): ``"s1:" + key id + ":" + base64(nonce ‖ ciphertext ‖ tag)``.

The column types seal on the way in and open on the way out, for the ORM and for the hot path's
prepared statements alike (`models.db.Prepared` runs each column type's processors). Other code
(a column the lead adds, a wake-up's payload) uses `seal_json` / `open_json` directly.

The keyring in use is installed once per process (`install`; `bot.keys` builds it from
`BEIAN_DATA_KEY` or the key file). `cryptography` is imported when a keyring is made, not with
this module: `beian serve` imports PTB first, with `cryptography` hidden (see `bot.cli`).
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce: random per value (2^32 values per key are safe)
PREFIX = "s1:"  # sealed text and bytes: format 1
_PREFIX_BYTES = PREFIX.encode()
_ID_LENGTH = 8
# A key's id: a hash of it (so the same key has the same id everywhere), never the key.
_ID_SALT = b"beian data key id\x00"
RELOAD_EVERY = 1.0  # s: how often a keyring from a file looks whether the file changed


class SealError(Exception):
    """A sealed value that cannot be opened (altered, or under a key this process lacks), a
    value that should be sealed and is not, or no key loaded. Its message is one line naming
    the column and the key id: never the value, never the key."""


def key_id(key: bytes) -> str:
    """Return the id a key's values carry (8 hex digits of a salted SHA-256 of the key)."""
    return hashlib.sha256(_ID_SALT + key).hexdigest()[:_ID_LENGTH]


def new_key() -> bytes:
    """Return a fresh random key."""
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """Return a key as it is written (BEIAN_DATA_KEY, the key file): URL-safe base64, 44
    characters."""
    import base64

    return base64.urlsafe_b64encode(key).decode("ascii")


def parse_keys(text: str, *, origin: str) -> list[bytes]:
    """Read keys written as `encode_key` writes them (the standard base64 alphabet and missing
    padding are accepted too), separated by commas, spaces or lines; `#` starts a comment. The
    first key seals, the others only open. A problem is one line naming `origin` and the key's
    position, never the text."""
    import base64

    keys: list[bytes] = []
    words = [
        word
        for line in text.splitlines()
        for word in line.split("#", 1)[0].replace(",", " ").split()
    ]
    if not words:
        raise SealError(f"{origin}: no key in it")
    for position, word in enumerate(words, 1):
        try:
            padded = word + "=" * (-len(word) % 4)
            key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            key = b""
            size = "not base64"
        else:
            size = f"{len(key)} bytes"
        if len(key) != KEY_BYTES:
            which = f"key {position}" if len(words) > 1 else "the key"
            raise SealError(
                f"{origin}: {which} is not a data key ({size}; expected {KEY_BYTES} bytes in "
                "base64, as `beian keys generate` prints)"
            )
        if key not in keys:
            keys.append(key)
    return keys


# Random nonces drawn from the OS 256 at a time (one system call, not one per value: ~1.5 µs
# each on the turn's path). `list.pop` is atomic, so threads never share one; a forked child
# starts with none, never with its parent's.
_NONCES: list[bytes] = []
_NONCE_BATCH = 256


def _nonce() -> bytes:
    try:
        return _NONCES.pop()
    except IndexError:
        pool = os.urandom(NONCE_BYTES * _NONCE_BATCH)
        _NONCES.extend(
            pool[i : i + NONCE_BYTES] for i in range(NONCE_BYTES, len(pool), NONCE_BYTES)
        )
        return pool[:NONCE_BYTES]


os.register_at_fork(after_in_child=_NONCES.clear)


class Keyring:
    """The keys of this process: the first seals, every one opens what it sealed.

    `reload`, when given, returns the keys as they are now (a key file changed by `beian keys
    rotate` in another process) or None when nothing changed; it is asked at most every
    RELOAD_EVERY seconds when sealing, and at once when a value names a key not held here.
    """

    def __init__(
        self,
        keys: Sequence[bytes],
        *,
        origin: str = "",
        reload: Callable[[], Sequence[bytes] | None] | None = None,
    ) -> None:
        if not keys:
            raise SealError(f"{origin or 'keyring'}: no key")
        self.origin = origin
        self._reload = reload
        self._lock = threading.Lock()
        self._next_look = time.monotonic() + RELOAD_EVERY
        self._use(keys)

    def _use(self, keys: Sequence[bytes]) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._invalid = InvalidTag

        ciphers = {key_id(key): AESGCM(key) for key in keys}
        current = key_id(keys[0])
        self._keys = list(keys)
        # One assignment: a thread sealing meanwhile sees the old pair or the new one whole.
        self._state = (current, ciphers)

    def written(self) -> str:
        """Return the keys as a key file writes them, the sealing one first: only to hand them
        to a child process (`models.migrate.upgrade_apart`), never to show or log."""
        return "".join(encode_key(key) + "\n" for key in self._keys)

    @property
    def current(self) -> str:
        """The id of the key that seals."""
        return self._state[0]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id held, the sealing one first."""
        current, ciphers = self._state
        return (current, *(k for k in ciphers if k != current))

    def refresh(self, *, now: float | None = None, force: bool = False) -> bool:
        """Take the keys the reload gives, if they changed; True when they did."""
        if self._reload is None:
            return False
        moment = time.monotonic() if now is None else now
        if not force and moment < self._next_look:
            return False
        with self._lock:
            self._next_look = moment + RELOAD_EVERY
            keys = self._reload()
            if not keys:
                return False
            self._use(keys)
            return True

    def seal(self, data: bytes, aad: bytes) -> tuple[str, bytes]:
        """Seal `data` under the current key; return its id and nonce ‖ ciphertext ‖ tag."""
        if self._reload is not None and time.monotonic() >= self._next_look:
            self.refresh()
        current, ciphers = self._state
        nonce = _nonce()
        return current, nonce + ciphers[current].encrypt(nonce, data, aad)

    def open(self, kid: str, blob: bytes, aad: bytes, where: str) -> bytes:
        """Open what `seal` returned; SealError (one line) when it does not open."""
        cipher = self._state[1].get(kid)
        if cipher is None and self.refresh(force=True):
            cipher = self._state[1].get(kid)
        if cipher is None:
            held = ", ".join(self.ids)
            raise SealError(
                f"{where}: sealed under key {kid}, which this process does not hold "
                f"(it holds {held}, from {self.origin or 'its keyring'})"
            )
        try:
            return bytes(cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad))
        except (self._invalid, ValueError) as exc:
            raise SealError(
                f"{where}: a value sealed under key {kid} does not open: it was altered (or "
                "moved from another column)"
            ) from exc


def sealing_error(error: BaseException | None) -> SealError | None:
    """Return the SealError behind `error` (SQLAlchemy wraps one raised while binding a value),
    None when there is none."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, SealError):
            return error
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1
    return None


_ACTIVE: Keyring | None = None
# Benchmarks only (bench/bench_telegram.py, bench/bench_pg_step.py): the step without sealing,
# beside the step with it, in one process. Set by `unsealed_for_benchmarks` and by nothing
# else: no setting or variable reaches it.
_UNSEALED = False


@contextlib.contextmanager
def unsealed_for_benchmarks() -> Iterator[None]:
    """Let the sealed columns store and read their values in the clear while inside (a
    benchmark's side on a database of its own)."""
    global _UNSEALED
    _UNSEALED = True
    try:
        yield
    finally:
        _UNSEALED = False


def install(keyring: Keyring | None) -> None:
    """Make `keyring` the one every sealed column uses in this process (None: none)."""
    global _ACTIVE
    _ACTIVE = keyring


def installed() -> Keyring | None:
    """Return the keyring in use, None when none was installed."""
    return _ACTIVE


def active() -> Keyring:
    """Return the keyring in use; SealError when none was installed."""
    if _ACTIVE is None:
        raise SealError(
            "no data key is loaded: personal data cannot be sealed or opened (BEIAN_DATA_KEY "
            "or the key file; see the README, 'The data key')"
        )
    return _ACTIVE


# --- values ----------------------------------------------------------------------------------

# One encoder for every value: `json.dumps` with any argument builds a new one per call (~3 µs).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def seal_json(obj: Any, *, context: str, keyring: Keyring | None = None) -> dict[str, str]:
    """Seal a JSON-able value; return what a JSON column stores: {"k": key id, "v": base64}.
    `context` names where it is kept (e.g. "inbox.reply"): it must be the same to open it."""
    data = _ENCODE(obj).encode("utf-8", "surrogatepass")
    kid, blob = (keyring or active()).seal(data, context.encode())
    return {"k": kid, "v": binascii.b2a_base64(blob, newline=False).decode("ascii")}


def _envelope_text(obj: Any, context: str) -> str:
    """`seal_json` written as the JSON text a column stores (SQLite: no second encoding)."""
    data = _ENCODE(obj).encode("utf-8", "surrogatepass")
    kid, blob = active().seal(data, context.encode())
    return f'{{"k":"{kid}","v":"{binascii.b2a_base64(blob, newline=False).decode("ascii")}"}}'


_HEAD, _MIDDLE = '{"k":"', '","v":"'
_V_AT = len(_HEAD) + _ID_LENGTH + len(_MIDDLE)


def open_json(stored: Any, *, context: str, keyring: Keyring | None = None) -> Any:
    """Open what `seal_json` returned (as a JSON column gives it back, or its JSON text);
    `{}` opens as `{}`."""
    if isinstance(stored, str):  # SQLite's text: the envelope as written, read by slicing
        if (
            stored.startswith(_HEAD)
            and stored.endswith('"}')
            and stored[_V_AT - len(_MIDDLE) : _V_AT] == _MIDDLE
        ):
            kid = stored[len(_HEAD) : len(_HEAD) + _ID_LENGTH]
            return _opened_json(kid, stored[_V_AT:-2], context, keyring)
        stored = json.loads(stored)
    if stored == {}:
        return {}
    found = stored.get("k") if isinstance(stored, dict) else None
    text = stored.get("v") if isinstance(stored, dict) else None
    if not isinstance(found, str) or not isinstance(text, str) or len(stored) != 2:
        raise SealError(f"{context}: a value that is not sealed")
    return _opened_json(found, text, context, keyring)


def _opened_json(kid: str, text: str, context: str, keyring: Keyring | None) -> Any:
    try:
        blob = binascii.a2b_base64(text)
    except binascii.Error as exc:
        raise SealError(f"{context}: a sealed value that is not base64") from exc
    data = (keyring or active()).open(kid, blob, context.encode(), context)
    return json.loads(data.decode("utf-8", "surrogatepass"))


def seal_bytes(data: bytes, *, context: str, keyring: Keyring | None = None) -> bytes:
    """Seal bytes; return b"s1:" + key id + b":" + nonce ‖ ciphertext ‖ tag."""
    kid, blob = (keyring or active()).seal(data, context.encode())
    return _PREFIX_BYTES + kid.encode("ascii") + b":" + blob


def open_bytes(stored: bytes, *, context: str, keyring: Keyring | None = None) -> bytes:
    """Open what `seal_bytes` returned."""
    stored = bytes(stored)  # PostgreSQL gives a memoryview
    end = len(PREFIX) + _ID_LENGTH
    if not stored.startswith(_PREFIX_BYTES) or stored[end : end + 1] != b":":
        raise SealError(f"{context}: a value that is not sealed")
    kid = stored[len(PREFIX) : end].decode("ascii", "replace")
    return (keyring or active()).open(kid, stored[end + 1 :], context.encode(), context)


def seal_text(text: str, *, context: str, keyring: Keyring | None = None) -> str:
    """Seal a string; return "s1:" + key id + ":" + base64."""
    kid, blob = (keyring or active()).seal(text.encode("utf-8", "surrogatepass"), context.encode())
    return f"{PREFIX}{kid}:{binascii.b2a_base64(blob, newline=False).decode('ascii')}"


def open_text(stored: str, *, context: str, keyring: Keyring | None = None) -> str:
    """Open what `seal_text` returned."""
    end = len(PREFIX) + _ID_LENGTH
    if not stored.startswith(PREFIX) or stored[end : end + 1] != ":":
        raise SealError(f"{context}: a value that is not sealed")
    try:
        blob = binascii.a2b_base64(stored[end + 1 :])
    except binascii.Error as exc:
        raise SealError(f"{context}: a sealed value that is not base64") from exc
    data = (keyring or active()).open(stored[len(PREFIX) : end], blob, context.encode(), context)
    return data.decode("utf-8", "surrogatepass")


def sealed_key_id(stored: Any) -> str | None:
    """Return the key id a stored value names (None: an empty object, or nothing sealed)."""
    if isinstance(stored, str):
        stored = json.loads(stored) if stored.startswith("{") else stored.encode("utf-8")
    if isinstance(stored, dict):
        kid = stored.get("k")
        return kid if isinstance(kid, str) and len(stored) == 2 and "v" in stored else None
    if isinstance(stored, (bytes, memoryview)):
        head = bytes(stored[: len(PREFIX) + _ID_LENGTH + 1])
        if head.startswith(_PREFIX_BYTES) and head.endswith(b":"):
            return head[len(PREFIX) : -1].decode("ascii", "replace")
    return None


# --- column types ------------------------------------------------------------------------------


class SealedJSON(sa.types.TypeDecorator[Any]):
    """A JSON column (JSONB on PostgreSQL) whose values are sealed; `context` is its name.
    Python's None is stored as SQL NULL.

    On SQLite the envelope's JSON text is written and read as it is (`_envelope_text`,
    `open_json`): the JSON type's own encoding of it would be a second pass over the value on
    every write and read of the hot path."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        # None is SQL NULL (a nullable column's "nothing"), not JSON null.
        return JSONB(none_as_null=True) if dialect.name == "postgresql" else sa.JSON()

    def bind_processor(self, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        context = self.context

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if _UNSEALED:
                return json.dumps(value)
            return _envelope_text(value, context)

        return process

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        context = self.context

        def process(value: Any) -> Any:
            if value is None or value == "null":
                return None
            if _UNSEALED:
                return json.loads(value)
            return open_json(value, context=context)

        return process

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or _UNSEALED:
            return value
        return seal_json(value, context=self.context)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or _UNSEALED:
            return value
        return open_json(value, context=self.context)


class SealedBytes(sa.types.TypeDecorator[bytes]):
    """A binary column whose values are sealed."""

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: sa.Dialect) -> Any:
        if value is None or _UNSEALED:
            return value
        return seal_bytes(bytes(value), context=self.context)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> bytes | None:
        if value is None or _UNSEALED:
            return value if value is None else bytes(value)
        return open_bytes(value, context=self.context)


class SealedText(sa.types.TypeDecorator[str]):
    """A text column whose values are sealed: TEXT on PostgreSQL (a sealed value is longer
    than its text), the column's VARCHAR elsewhere (SQLite does not limit it)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, context: str, length: int) -> None:
        super().__init__()
        self.context = context
        self.length = length

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        return sa.Text() if dialect.name == "postgresql" else sa.String(self.length)

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> Any:
        if value is None or _UNSEALED:
            return value
        return seal_text(value, context=self.context)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None or _UNSEALED:
            return None if value is None else str(value)
        return open_text(value, context=self.context)


SEALED_TYPES = (SealedJSON, SealedBytes, SealedText)


def sealed_columns(metadata: sa.MetaData) -> list[sa.Column[Any]]:
    """Return every sealed column of `metadata`'s tables, in a stable order."""
    return [
        column
        for table in sorted(metadata.tables.values(), key=lambda t: t.name)
        for column in table.columns
        if isinstance(column.type, SEALED_TYPES)
    ]
