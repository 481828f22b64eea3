"""Preloaded by `bench.bench_render_start`'s "before" side in place of `documents.preload`:
the fonts' coverage read as it was, with fontTools naming every glyph of each cmap."""

from __future__ import annotations

from typing import Any

from documents import fonts


def _named_code_points(font: Any) -> set[int]:
    return set(font.getBestCmap() or {})


fonts._code_points = _named_code_points
