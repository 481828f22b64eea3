"""Which characters the embedded fonts can draw, so none is silently dropped."""

from __future__ import annotations

import subprocess
from functools import lru_cache

from fontTools.ttLib import TTCollection, TTFont

# The CSS font stack, in order: WenQuanYi for Chinese, DejaVu for symbols, HanaMin for rare
# characters (CJK Extension A/B, e.g. 𠮷 and 㵘) that WenQuanYi lacks.
FONT_FAMILIES = ("WenQuanYi Micro Hei", "DejaVu Sans", "HanaMinA", "HanaMinB")


def _font_files() -> list[str]:
    files: list[str] = []
    for family in FONT_FAMILIES:
        out = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            ["fc-list", f"{family}", "file"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        files += [line.split(":")[0] for line in out.splitlines() if line.strip()]
    return sorted(set(files))


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Return every code point some font of the stack has a glyph for."""
    covered: set[int] = set()
    for path in _font_files():
        fonts = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path, lazy=True)]
        for font in fonts:
            cmap = font.getBestCmap() or {}
            covered.update(cmap)
    return frozenset(covered)


def missing_glyphs(texts: list[str]) -> list[str]:
    """Return the distinct printable characters of `texts` that no font can draw."""
    covered = covered_codepoints()
    missing: list[str] = []
    for text in texts:
        for char in text:
            if char.isspace() or ord(char) < 32 or char in missing:
                continue
            if ord(char) not in covered:
                missing.append(char)
    return missing
