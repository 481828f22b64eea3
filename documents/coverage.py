"""Which characters the PDFs can draw, as compact ranges (no font library needed to ask).

The ranges are worked out once where the fonts are loaded (a render worker, or the terminal's
own process) and asked in the bot's main process, which never loads a font: an applicant
learns before the summary that an emoji or a rare character will not print.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

Ranges = tuple[tuple[int, int], ...]  # inclusive (first, last) code points, sorted


def to_ranges(codepoints: Iterable[int]) -> Ranges:
    """Fold code points into sorted inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return tuple(ranges)


class GlyphCoverage:
    """Answer "can the PDFs draw this character?" from the fonts' ranges."""

    def __init__(self, ranges: Ranges) -> None:
        self._starts = [first for first, _ in ranges]
        self._ends = [last for _, last in ranges]

    def covers(self, char: str) -> bool:
        """Say whether some font has a glyph for `char`."""
        cp = ord(char)
        i = bisect_right(self._starts, cp) - 1
        return i >= 0 and cp <= self._ends[i]

    def missing(self, texts: Iterable[str]) -> list[str]:
        """Return the distinct printable characters of `texts` no font can draw."""
        missing: list[str] = []
        for text in texts:
            for char in text:
                if char.isspace() or ord(char) < 32 or char in missing:
                    continue
                if not self.covers(char):
                    missing.append(char)
        return missing
