"""Imported by the render pool's fork server at its start (after `documents.lifeline`): what
every worker needs and can share across fork, loaded once instead of in each worker.

WeasyPrint's modules and the fonts' coverage are plain memory. Nothing here starts a thread or
opens fontconfig (Pango may start a thread for it): each worker makes its own font
configuration (`documents.pool._warm_up`).
"""

from __future__ import annotations

from documents import render as render  # WeasyPrint, the templates' modules
from documents.fonts import covered_codepoints

covered_codepoints()
