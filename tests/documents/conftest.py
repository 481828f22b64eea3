"""Example answers and a fixed document context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from documents.render import DocumentContext
from rules.answers import FilingAnswers
from rules.pack import Pack

EXAMPLES = Path(__file__).parents[2] / "examples"
SUBJECTS = ["government", "enterprise", "individual"]


def load_example(name: str) -> FilingAnswers:
    return FilingAnswers.model_validate(
        yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    )


@pytest.fixture
def ctx(pack: Pack) -> DocumentContext:
    return DocumentContext(pack=pack, today=dt.date(2026, 11, 28))
