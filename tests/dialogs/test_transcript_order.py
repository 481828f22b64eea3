"""The transcripts take their order from the interview, not from a list (issue 27 item 8)."""

from __future__ import annotations

import pytest

from dialogs.spec import load_spec
from rules.pack import load_pack
from tests.dialogs.transcripts import ENTERPRISE, SUBMITTING, Answer, interview


def _answers(name: str) -> list[Answer]:
    played = SUBMITTING[name]
    return [(q, s, e) for q, (s, e) in zip(played.asked, played, strict=True) if q is not None]


def test_the_order_is_questions_yamls() -> None:
    pack = load_pack("example")
    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    order = [q.id for q in spec.questions]
    for played in SUBMITTING.values():
        asked = [q for q in played.asked if q is not None]
        assert asked == sorted(asked, key=order.index)


def test_answers_written_in_any_order_are_typed_when_asked() -> None:
    answers = _answers("enterprise")
    questions = [q for q, _, _ in answers]
    backwards = sorted(answers, key=lambda a: -questions.index(a[0]))  # each its own in order
    shuffled = interview(backwards, then=ENTERPRISE[len(answers) :])
    assert list(shuffled) == list(ENTERPRISE)


def test_a_question_the_transcript_does_not_answer_gets_its_example() -> None:
    without_phone = [a for a in _answers("enterprise") if a[0] != "phone"]
    played = interview(without_phone, then=[])
    at = played.asked.index("phone")
    assert played[at] == ("0571-88886666", ())  # questions.yaml's example, nothing checked
    assert played.until("rep_name") == [*ENTERPRISE.until("phone"), played[at]]


def test_an_answer_to_a_question_never_asked_is_an_error() -> None:
    with pytest.raises(AssertionError, match="never asked"):
        interview([*_answers("individual"), ("rep_name", "林小𠮷", ())], then=[])
