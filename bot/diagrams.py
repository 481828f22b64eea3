"""Draw the two state machines as mermaid diagrams in Markdown pages (docs/)."""

from __future__ import annotations

from pathlib import Path

from dialogs.machine import diagram as interview_diagram
from dialogs.machine import mode_diagram
from rules.lifecycle import lifecycle_diagram

_INTERVIEW_NOTE = """\
Two machines (`dialogs/machine.py`). **Stages** are the parts of the conversation; within a
stage the questions of `dialogs/questions.yaml` are asked in order, skipping those that do not
apply (an individual has no credit code; a non-interactive site has no interactive services).
Not drawn, because they exist at every stage: `/back`, `/edit` and a fix the checks ask for go
to an earlier stage (`revisit`), `review` returns to the summary when nothing is missing, and
`/restart` returns to `WELCOME`.

**Modes** say what the interview waits for within its stage: an answer, more values of a list,
a confirmation (cancel, restart, resume, an edited message, a date still to come), the item to
change, how to change a list. Every mode and every move between them is drawn; `reset` (any
mode back to answering, on a restart) is not.
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
    interview = _clean(interview_diagram(), "beian interview: stages")
    modes = _clean(mode_diagram(), "beian interview: modes")
    lifecycle = _clean(lifecycle_diagram(), "beian filing lifecycle")
    return {
        "interview-machine.md": (
            f"# The interview machines\n\n{_INTERVIEW_NOTE}\n```mermaid\n{interview}```\n\n"
            f"```mermaid\n{modes}```\n"
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
