"""The diagrams in docs/ are the machines as they are now (regenerate: `beian diagrams`)."""

from __future__ import annotations

from pathlib import Path

from bot.diagrams import pages

DOCS = Path(__file__).parents[2] / "docs"


def test_the_committed_diagrams_match_the_machines() -> None:
    for name, text in pages().items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, f"run `beian diagrams` ({name})"


def test_the_interview_diagram_shows_the_flow_and_the_out_of_scope_exit() -> None:
    text = pages()["interview-machine.md"]
    for edge in (
        "WELCOME --> SUBJECT_TYPE: start",
        "SERVER --> OUT_OF_SCOPE: next [out_of_scope]",
        "PEOPLE --> SUMMARY",
        "SUMMARY --> DONE: confirm",
        "SUMMARY --> WEBSITE: revisit [to_website]",
        # Every mode of the second machine, and the moves between them.
        "ANSWERING --> COLLECTING: collect",
        "CONFIRMING_CANCEL --> PAUSED: pause",
        "PAUSED --> OFFERING_RESUME: wake",
        "CHANGING_LIST --> REMOVING_ITEMS: remove_from_list",
        "ANSWERING --> CONFIRMING_PLAN: confirm_plan",
        "OFFERING_EDIT --> ANSWERING: settle",
    ):
        assert edge in text
    assert "Class " not in text


def test_the_lifecycle_diagram_shows_every_status() -> None:
    text = pages()["lifecycle-machine.md"]
    assert "RETURNED --> RESUBMITTED: resubmit" in text
    assert "MATERIALS_RECEIVED --> CERTIFIED: certify" in text
