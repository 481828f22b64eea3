"""Draw the two state machines as mermaid diagrams in Markdown pages (docs/)."""

from __future__ import annotations

from pathlib import Path

from dialogs.machine import diagram as interview_diagram
from rules.lifecycle import lifecycle_diagram

_INTERVIEW_NOTE = """\
The interview's stages (`dialogs/machine.py`). Within a stage the questions of
`dialogs/questions.py` are asked in order, skipping those that do not apply (an individual has no
credit code; a non-interactive site has no interactive services). Not drawn, because they exist
at every stage: `/back` and `/edit` go to an earlier stage (`revisit`), `/restart` returns to
`WELCOME`, and `/cancel` pauses the interview where it is (the data is kept 30 days).
"""

_LIFECYCLE_NOTE = """\
A filing's statuses after submission (`rules/lifecycle.py`). Every transition is written as an
audit event (who, when, from, to, reason).
"""


def _clean(source: str, title: str) -> str:
    """Keep the diagram GitHub renders: a titled front matter, no styling classes."""
    body = source.split("stateDiagram-v2", 1)[1]
    lines = [
        line
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith(("classDef ", "Class "))
    ]
    return "\n".join(["---", f"title: {title}", "---", "stateDiagram-v2", *lines]) + "\n"


def pages() -> dict[str, str]:
    """Return each diagram page's file name and Markdown."""
    interview = _clean(interview_diagram(), "beian interview")
    lifecycle = _clean(lifecycle_diagram(), "beian filing lifecycle")
    return {
        "interview-machine.md": (
            f"# The interview machine\n\n{_INTERVIEW_NOTE}\n```mermaid\n{interview}```\n"
        ),
        "lifecycle-machine.md": (
            f"# The filing lifecycle machine\n\n{_LIFECYCLE_NOTE}\n```mermaid\n{lifecycle}```\n"
        ),
    }


def write_pages(out: Path) -> list[Path]:
    """Write the diagram pages into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages().items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
