"""Short-lived signed download links for a filing's documents.

An Official Account cannot send a PDF in a customer-service message (its media are images,
voice and video; a "file" message is WeCom's), so each document is a link to this server:
the document's id and the link's end, signed with a key derived from the app secret, so a
link cannot be made for another document or made to last longer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

LINK_HOURS = 24
PATH = "/wechat/files"


@dataclass(frozen=True)
class Links:
    """Make and check the links (`base`: the public URL of the server, no trailing slash)."""

    key: bytes
    base: str
    hours: int = LINK_HOURS

    @classmethod
    def from_secret(cls, secret: str, base: str) -> Links:
        """Derive the signing key from the app secret (never the secret itself)."""
        key = hashlib.sha256(b"beian-wechat-files\0" + secret.encode()).digest()
        return cls(key, base.rstrip("/"))

    def _signature(self, document_id: int, until: int) -> str:
        message = f"{document_id}:{until}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]

    def link(self, document_id: int, filename: str, now: dt.datetime) -> str:
        """Return the link to one stored document, valid for `hours` from `now`."""
        until = int((now + dt.timedelta(hours=self.hours)).timestamp())
        signature = self._signature(document_id, until)
        return f"{self.base}{PATH}/{document_id}/{until}/{signature}/{quote(filename)}"

    def valid(self, document_id: int, until: int, signature: str, now: dt.datetime) -> bool:
        """Say whether a link's parts were signed here and it has not run out."""
        expected = self._signature(document_id, until)
        return hmac.compare_digest(expected, signature) and now.timestamp() <= until
