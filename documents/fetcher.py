"""A URL fetcher that serves only the package's own static files and data: URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher

STATIC_DIR = (Path(__file__).parent / "static").resolve()


class RefusedURLError(ValueError):
    """A document asked for something outside the allowed sources."""


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Refuse the network and the file system; record every URL asked for."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.asked: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.asked.append(url)
        if not self._allowed(url):
            self.refused.append(url)
            raise RefusedURLError(f"refused: {url[:200]}")
        return super().fetch(url, headers)

    @staticmethod
    def _allowed(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return True
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        return path.is_relative_to(STATIC_DIR)
