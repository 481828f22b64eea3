"""Helpers for the tests that drive one collaborator of a turn alone, on a bare `Core`."""

from __future__ import annotations

from dialogs.engine import begin, handle
from dialogs.model import Context, Input, InterviewState
from dialogs.turn import Core
from tests.dialogs.conftest import shown
from tests.dialogs.transcripts import ENTERPRISE


def said(core: Core) -> str:
    """Return everything the core has said so far, with the choices' labels."""
    return shown(core.step())


def played(context: Context, lines: list[tuple[str, object]]) -> InterviewState:
    """Return the state after typing `lines` from the welcome (the whole engine: a fixture)."""
    state = begin(context).state
    for text, _ in lines:
        state = handle(state, Input.typed(text), context).state
    return state


def at_summary(context: Context) -> InterviewState:
    """Return the enterprise's interview at its summary, every answer given."""
    return played(context, ENTERPRISE[: ENTERPRISE.asked.index(None)])


def done(context: Context) -> InterviewState:
    """Return the enterprise's interview once confirmed (its filing submitted)."""
    return played(context, ENTERPRISE)
