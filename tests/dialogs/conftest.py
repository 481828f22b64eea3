"""Run transcripts against the pure interview engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dialogs.engine import begin, handle
from dialogs.model import Context, Effect, Input, InterviewState, Step
from rules.pack import Pack
from rules.workdays import WorkdayCalendar
from tests.dialogs.transcripts import Expect, Transcript

TODAY = dt.date(2026, 11, 28)


def shown(step: Step) -> str:
    """Write a step's replies with their choices, as a channel would show them."""
    parts = []
    for reply in step.replies:
        parts.append(reply.text)
        parts += [choice.label for choice in reply.choices]
    return "\n".join(parts)


def expect(text: str, expected: Expect, said: str) -> None:
    for fragment in (expected,) if isinstance(expected, str) else expected:
        assert fragment in text, f"after {said!r} expected {fragment!r} in:\n{text}"


Run = Callable[..., tuple[InterviewState, list[Effect], list[str]]]


@pytest.fixture
def context(pack: Pack, cal: WorkdayCalendar) -> Context:
    return Context(pack=pack, calendar=cal, today=TODAY)


@pytest.fixture
def run(context: Context) -> Run:
    """Play a transcript from the welcome (or from `state`); return state, effects, replies."""

    def play(
        transcript: Transcript, state: InterviewState | None = None
    ) -> tuple[InterviewState, list[Effect], list[str]]:
        step = begin(context) if state is None else None
        current = step.state if step is not None else state
        assert current is not None
        effects: list[Effect] = []
        texts = [shown(step)] if step is not None else []
        for said, expected in transcript:
            step = handle(current, Input.typed(said), context)
            text = shown(step)
            expect(text, expected, said)
            texts.append(text)
            effects += step.effects
            current = step.state
        return current, effects, texts

    return play
