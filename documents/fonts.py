"""Which characters the embedded fonts can draw, so none is silently dropped."""

from __future__ import annotations

import subprocess
from functools import lru_cache

from fontTools.ttLib import TTCollection, TTFont

from documents.coverage import GlyphCoverage, Ranges, to_ranges

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


def _code_points(font: TTFont) -> set[int]:
    """Return the code points `font`'s best cmap maps to a glyph.

    Only the code points are wanted, not the glyphs' names: fontTools names every glyph of a
    cmap it reads, from the font's `post` or CFF table, which took ~2 s for this stack (in
    every render worker, at every start). Numbered names cost nothing to make."""
    font.glyphOrder = [f"g{gid}" for gid in range(font["maxp"].numGlyphs)]
    return set(font.getBestCmap() or {})


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Return every code point some font of the stack has a glyph for."""
    covered: set[int] = set()
    for path in _font_files():
        if path.endswith(".ttc"):
            fonts = TTCollection(path, lazy=True).fonts
        else:
            fonts = [TTFont(path, lazy=True)]
        for font in fonts:
            covered |= _code_points(font)
    return frozenset(covered)


def coverage_ranges() -> Ranges:
    """Return what the font stack covers as ranges (cheap to send to another process)."""
    return to_ranges(covered_codepoints())


@lru_cache(maxsize=1)
def coverage() -> GlyphCoverage:
    """Return the font stack's coverage, for asking about characters."""
    return GlyphCoverage(coverage_ranges())


def missing_glyphs(texts: list[str]) -> list[str]:
    """Return the distinct printable characters of `texts` that no font can draw."""
    return coverage().missing(texts)
