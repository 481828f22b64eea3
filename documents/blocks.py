"""The templates' HTML read back as plain blocks (headings, paragraphs, tables) for the Word
writer: the Word copy says what the PDF says because both come from the same HTML.

Only the elements our templates use are known (the same ~20 as `static/ua.css`); the CSS
`content` the PDF adds is added here too (【】 around <b>, the numbers of an <ol>). Whitespace
collapses as HTML's does, so a value reads the same in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html

# A run's look: "" plain, "box" a ☐/☑ (a symbol font), "small" a note or a hint.
_INLINE_LOOK = {"box": "box", "note": "small", "hint": "small", "estimate": "small"}
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's whitespace (not U+3000, the ideographic space)


@dataclass
class Run:
    """A stretch of text of one look."""

    text: str
    look: str = ""


@dataclass
class Para:
    """A paragraph: `kind` is what it was in the HTML (h1, h2, subtitle, draft, p, note, li,
    hint, date, or "" for a table cell's text)."""

    kind: str
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Return the paragraph's text."""
        return "".join(r.text for r in self.runs)


@dataclass
class Cell:
    """A table cell: its paragraphs, whether it is a heading cell, and its spans."""

    paras: list[Para]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1
    classes: frozenset[str] = frozenset()


@dataclass
class Row:
    """A table row and its classes (seal-row, sign-row: rows kept tall for a stamp)."""

    cells: list[Cell]
    classes: frozenset[str] = frozenset()


@dataclass
class Table:
    """A table: each column's share of the width (None: what is left), rows, classes."""

    widths: list[float | None]
    rows: list[Row]
    classes: frozenset[str] = frozenset()


Block = Para | Table


def _classes(el: Any) -> frozenset[str]:
    return frozenset((el.get("class") or "").split())


class _Flow:
    """Paragraphs built from mixed inline content; a block element ends the one in progress."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.blocks: list[Block] = []
        self._open: Para | None = None

    def text(self, text: str | None, look: str = "") -> None:
        if not text:
            return
        if self._open is None:
            self._open = Para(self.kind)
        self._open.runs.append(Run(text, look))

    def end(self) -> None:
        """Close the paragraph in progress (dropped when it holds only whitespace)."""
        para, self._open = self._open, None
        if para is None:
            return
        para.runs = _collapsed(para.runs)
        if para.runs:
            self.blocks.append(para)

    def add(self, block: Block) -> None:
        self.end()
        self.blocks.append(block)


def _collapsed(runs: list[Run]) -> list[Run]:
    """Collapse whitespace as HTML does: one space for a stretch, none at either end."""
    out: list[Run] = []
    space_before = True  # at the start of a line, a space is dropped
    for run in runs:
        text = _WHITESPACE.sub(" ", run.text)
        if space_before:
            text = text.lstrip(" ")
        if not text:
            continue
        space_before = text.endswith(" ")
        if out and out[-1].look == run.look:
            out[-1] = Run(out[-1].text + text, run.look)
        else:
            out.append(Run(text, run.look))
    if out:
        out[-1] = Run(out[-1].text.rstrip(" "), out[-1].look)
        if not out[-1].text:
            out.pop()
    return out


def _inline_text(el: Any) -> str:
    """Return an inline element's text, with the 【】 the stylesheet puts around <b>."""
    text = "".join(el.itertext())
    return f"【{text}】" if el.tag in ("b", "strong") else text


def _walk(el: Any, flow: _Flow, look: str = "") -> None:
    """Add `el`'s content to `flow`: text and inline elements as runs, blocks as blocks."""
    flow.text(el.text, look)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):  # a comment
            flow.text(child.tail, look)
            continue
        classes = _classes(child)
        if tag == "br":
            flow.end()
        elif tag in ("span", "b", "strong", "em", "i"):
            inner = next((_INLINE_LOOK[c] for c in classes if c in _INLINE_LOOK), look)
            if "date" in classes:  # a seal box's date: its own line, to the right
                flow.end()
                flow.blocks.append(Para("date", [Run(_inline_text(child))]))
            elif tag == "span" and "hint" in classes and "seal-box" in flow.kind:
                flow.end()
                flow.blocks.append(Para("hint", [Run(_inline_text(child), "small")]))
            elif tag == "span" and len(child):
                _walk(child, flow, inner)
            else:
                flow.text(_inline_text(child), inner)
        else:
            flow.end()
            for block in blocks_of(child):
                flow.add(block)
        flow.text(child.tail, look)
    flow.end()


_PARA_KINDS = {"h1": "h1", "h2": "h2", "p": "p"}


def blocks_of(el: Any) -> list[Block]:
    """Return the blocks of one element of the templates' HTML."""
    tag, classes = el.tag, _classes(el)
    if tag == "table":
        return [_table(el)]
    if tag == "ol":
        out: list[Block] = []
        for number, li in enumerate(el.findall("li"), start=1):
            flow = _Flow("li")
            flow.text(f"{number}. ")
            _walk(li, flow)
            out += flow.blocks
        return out
    if tag in _PARA_KINDS or "subtitle" in classes or "draft-note" in classes:
        kind = _PARA_KINDS.get(tag, "subtitle" if "subtitle" in classes else "draft")
        if "note" in classes:
            kind = "note"
        flow = _Flow(kind)
        _walk(el, flow)
        return flow.blocks
    flow = _Flow("seal-box" if "seal-box" in classes else "p")  # a container: its content
    _walk(el, flow)
    return flow.blocks


def _width(col: Any) -> float | None:
    match = re.search(r"width:\s*([\d.]+)%", col.get("style") or "")
    return float(match.group(1)) / 100 if match else None


def _table(el: Any) -> Table:
    widths = [_width(col) for col in el.iter("col")]
    rows = []
    for tr in el.iter("tr"):
        cells = []
        for tc in tr:
            if tc.tag not in ("td", "th"):
                continue
            flow = _Flow("")
            _walk(tc, flow)
            paras = [b for b in flow.blocks if isinstance(b, Para)]
            cells.append(
                Cell(
                    paras=paras,
                    header=tc.tag == "th",
                    colspan=int(tc.get("colspan", "1")),
                    rowspan=int(tc.get("rowspan", "1")),
                    classes=_classes(tc),
                )
            )
        rows.append(Row(cells, _classes(tr)))
    if not widths:
        widths = [None] * max((sum(c.colspan for c in r.cells) for r in rows), default=1)
    return Table(widths, rows, _classes(el))


def document_blocks(html: str) -> tuple[dict[str, str], list[Block]]:
    """Return a rendered template's metadata (title, author, description, lang) and its
    blocks, in document order."""
    root = lxml.html.document_fromstring(html)
    meta = {m.get("name"): m.get("content") or "" for m in root.iter("meta") if m.get("name")}
    meta["title"] = root.findtext(".//title") or ""
    meta["lang"] = root.get("lang") or "zh-CN"
    body = root.find("body")
    return meta, blocks_of(body) if body is not None else []
