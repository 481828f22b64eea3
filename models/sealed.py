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

The keys and the keyring live in `models.sealing_keys` (re-exported here). The keyring in
use is installed once per process (`install`; `bot.keys` builds it from
`BEIAN_DATA_KEY` or the key file). `cryptography` is imported when a keyring is made, not with
this module: `beian serve` imports PTB first, with `cryptography` hidden (see `bot.cli`).
"""

from __future__ import annotations

import binascii
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from models.sealing_keys import ID_LENGTH
from models.sealing_keys import KEY_BYTES as KEY_BYTES
from models.sealing_keys import NONCE_BYTES as NONCE_BYTES
from models.sealing_keys import RELOAD_EVERY as RELOAD_EVERY
from models.sealing_keys import Keyring as Keyring
from models.sealing_keys import SealError as SealError
from models.sealing_keys import encode_key as encode_key
from models.sealing_keys import key_id as key_id
from models.sealing_keys import new_key as new_key
from models.sealing_keys import parse_keys as parse_keys

PREFIX = "s1:"  # sealed text and bytes: format 1
_PREFIX_BYTES = PREFIX.encode()


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


def _seal_encoded(text: str, context: str, keyring: Keyring | None = None) -> tuple[str, str]:
    """Seal a value's JSON text; return the key id and the base64 of nonce ‖ ciphertext ‖ tag:
    all a JSON column's sealing adds to the encoding a column in the clear does too (what
    `bench.bench_telegram.Sealing` times as "encryption")."""
    data = text.encode("utf-8", "surrogatepass")
    kid, blob = (keyring or active()).seal(data, context.encode())
    return kid, binascii.b2a_base64(blob, newline=False).decode("ascii")


def seal_json(obj: Any, *, context: str, keyring: Keyring | None = None) -> dict[str, str]:
    """Seal a JSON-able value; return what a JSON column stores: {"k": key id, "v": base64}.
    `context` names where it is kept (e.g. "inbox.reply"): it must be the same to open it."""
    kid, text = _seal_encoded(_ENCODE(obj), context, keyring)
    return {"k": kid, "v": text}


def _envelope_text(obj: Any, context: str) -> str:
    """`seal_json` written as the JSON text a column stores (SQLite: no second encoding)."""
    kid, text = _seal_encoded(_ENCODE(obj), context)
    return f'{{"k":"{kid}","v":"{text}"}}'


_HEAD, _MIDDLE = '{"k":"', '","v":"'
_V_AT = len(_HEAD) + ID_LENGTH + len(_MIDDLE)


def open_json(stored: Any, *, context: str, keyring: Keyring | None = None) -> Any:
    """Open what `seal_json` returned (as a JSON column gives it back, or its JSON text);
    `{}` opens as `{}`."""
    if isinstance(stored, str):  # SQLite's text: the envelope as written, read by slicing
        if (
            stored.startswith(_HEAD)
            and stored.endswith('"}')
            and stored[_V_AT - len(_MIDDLE) : _V_AT] == _MIDDLE
        ):
            kid = stored[len(_HEAD) : len(_HEAD) + ID_LENGTH]
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
    end = len(PREFIX) + ID_LENGTH
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
    end = len(PREFIX) + ID_LENGTH
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
        head = bytes(stored[: len(PREFIX) + ID_LENGTH + 1])
        if head.startswith(_PREFIX_BYTES) and head.endswith(b":"):
            return head[len(PREFIX) : -1].decode("ascii", "replace")
    return None


# --- column types ------------------------------------------------------------------------------


class SealedJSON(sa.types.TypeDecorator[Any]):
    """A JSON column (JSONB on PostgreSQL) whose values are sealed; `context` is its name.
    Python's None is stored as SQL NULL.

    The envelope's JSON text is written as it is (`_envelope_text`), and on SQLite read as it
    is (`open_json`): the JSON type's own encoding of it would be a second pass over the value
    on every write and read of the hot path. PostgreSQL's statements cast it (`::JSONB`)."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        # None is SQL NULL (a nullable column's "nothing"), not JSON null.
        return JSONB(none_as_null=True) if dialect.name == "postgresql" else sa.JSON()

    def bind_processor(self, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
        if dialect.name not in ("sqlite", "postgresql"):
            return super().bind_processor(dialect)
        # PostgreSQL too: the envelope's text, which the statement's `::JSONB` cast reads (the
        # JSONB type would encode the envelope's dict as JSON a second time).
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
