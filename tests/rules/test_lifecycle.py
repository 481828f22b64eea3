"""The filing lifecycle: which event applies where."""

from __future__ import annotations

import pytest

from rules.enums import FilingStatus as S
from rules.lifecycle import FilingEvent as E
from rules.lifecycle import allowed_events, next_status


@pytest.mark.parametrize(
    ("start", "event", "end"),
    [
        (S.PREPARED, E.SUBMIT, S.SUBMITTED),
        (S.PREPARED, E.CANCEL, S.CANCELLED),
        (S.SUBMITTED, E.PASS_INITIAL_REVIEW, S.INITIAL_REVIEW_PASSED),
        (S.SUBMITTED, E.RETURN, S.RETURNED),
        (S.RETURNED, E.RESUBMIT, S.RESUBMITTED),
        (S.RESUBMITTED, E.PASS_INITIAL_REVIEW, S.INITIAL_REVIEW_PASSED),
        (S.INITIAL_REVIEW_PASSED, E.RECEIVE_MATERIALS, S.MATERIALS_RECEIVED),
        (S.MATERIALS_RECEIVED, E.CERTIFY, S.CERTIFIED),
        (S.CERTIFIED, E.REPORT_CHANGE, S.CHANGE_REPORTED),
        (S.CHANGE_REPORTED, E.CERTIFY, S.CERTIFIED),
        (S.CERTIFIED, E.CANCEL, S.CANCELLED),
    ],
)
def test_an_event_moves_a_filing_along_the_procedure(start: S, event: E, end: S) -> None:
    assert next_status(start, event) is end


@pytest.mark.parametrize(
    ("start", "event"),
    [
        (S.SUBMITTED, E.CERTIFY),  # no certificate before materials
        (S.PREPARED, E.PASS_INITIAL_REVIEW),  # no review of what was never submitted
        (S.SUBMITTED, E.SUBMIT),
        (S.INITIAL_REVIEW_PASSED, E.PASS_INITIAL_REVIEW),
        (S.CANCELLED, E.RESUBMIT),
        (S.CANCELLED, E.CANCEL),
        (S.CERTIFIED, E.RECEIVE_MATERIALS),
    ],
)
def test_an_event_out_of_order_does_not_apply(start: S, event: E) -> None:
    assert next_status(start, event) is None


def test_a_cancelled_filing_allows_nothing() -> None:
    assert allowed_events(S.CANCELLED) == []
    assert allowed_events(S.RETURNED) == [E.RESUBMIT, E.CANCEL]
