"""Our trimmed user-agent stylesheet draws exactly what WeasyPrint's full one draws."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from weasyprint import HTML

from documents import render as r
from documents.fetcher import StaticOnlyFetcher
from rules.enums import DocumentKind
from tests.documents.conftest import load_example


def _pages(pdf: bytes, folder: Path, name: str) -> list[bytes]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(folder / name)], check=True)
    return [p.read_bytes() for p in sorted(folder.glob(f"{name}-*.png"))]


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_the_trimmed_user_agent_stylesheet_changes_no_pixel(
    kind: DocumentKind, ctx: r.DocumentContext, tmp_path: Path
) -> None:
    html = r.render_html(kind, load_example("government"), ctx)
    drawn = []
    for name, cls in (("full", HTML), ("trimmed", r._FormsHTML)):
        document = cls(
            string=html,
            base_url=r.STATIC_DIR.as_uri() + "/",
            url_fetcher=StaticOnlyFetcher(),
        ).render(font_config=r._fonts(), stylesheets=[r._stylesheet()])
        drawn.append(_pages(document.write_pdf(), tmp_path, name))
    assert len(drawn[0]) == len(drawn[1]) > 0
    assert drawn[0] == drawn[1]
