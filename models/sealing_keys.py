"""The data keys and the keyring that seals with them (issue 26, item 3; apart from
`models.sealed` so that each module holds one idea): a key's id, a new key, keys as they are
written (BEIAN_DATA_KEY, the key file) and read back, random nonces, and `Keyring` — the first
key seals, every key opens what it sealed, a key file rotated elsewhere is taken up.
`models.sealed` re-exports every public name here.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce: random per value (2^32 values per key are safe)
ID_LENGTH = 8  # hex digits of a key id
# A key's id: a hash of it (so the same key has the same id everywhere), never the key.
_ID_SALT = b"beian data key id\x00"
RELOAD_EVERY = 1.0  # s: how often a keyring from a file looks whether the file changed


class SealError(Exception):
    """A sealed value that cannot be opened (altered, or under a key this process lacks), a
    value that should be sealed and is not, or no key loaded. Its message is one line naming
    the column and the key id: never the value, never the key."""


def key_id(key: bytes) -> str:
    """Return the id a key's values carry (8 hex digits of a salted SHA-256 of the key)."""
    return hashlib.sha256(_ID_SALT + key).hexdigest()[:ID_LENGTH]


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
