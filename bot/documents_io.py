"""Read answers from files and write rendered documents to a folder (the CLI's render verb)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from documents.model import ChangeReport, DocumentContext, document_jobs
from documents.render import render
from rules.answers import FilingAnswers, answer_problems
from rules.enums import DocumentKind
from rules.text import Lang


def _read(path: Path) -> tuple[Any, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: {exc}"
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text), None
        return yaml.safe_load(text), None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        return None, f"{path}: {exc}"


def load_render_inputs(
    answers_path: Path, change_path: Path | None, lang: Lang
) -> tuple[list[str], FilingAnswers | None, ChangeReport | None]:
    """Return (problems, answers, change); problems is empty when both read and validate."""
    raw, problem = _read(answers_path)
    if problem:
        return [problem], None, None
    problems: list[str] = []
    answers: FilingAnswers | None = None
    change: ChangeReport | None = None
    try:
        answers = FilingAnswers.model_validate(raw)
    except ValidationError as exc:
        problems += [f"{answers_path}: {line}" for line in answer_problems(exc, lang)]
    if change_path is not None:
        raw_change, problem = _read(change_path)
        if problem:
            problems.append(problem)
        else:
            try:
                change = ChangeReport.model_validate(raw_change)
            except ValidationError as exc:
                problems += [f"{change_path}: {line}" for line in answer_problems(exc, lang)]
    return problems, (answers if not problems else None), change


def write_documents(
    kinds: list[DocumentKind], answers: FilingAnswers, ctx: DocumentContext, out: Path
) -> list[dict[str, Any]]:
    """Render every kind, then write the files (nothing is written if a render fails)."""
    rendered = [render(kind, answers, c) for kind, c in document_jobs(kinds, answers, ctx)]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in rendered:
        path = out / doc.filename
        path.write_bytes(doc.pdf)
        written.append(
            {
                "kind": doc.kind.value,
                "path": str(path),
                "pages": doc.pages,
                "bytes": len(doc.pdf),
                "missing_glyphs": list(doc.missing_glyphs),
            }
        )
    return written
