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
from rules.files import UnreadableFileError, read_text
from rules.text import Lang


def read_data(path: Path) -> tuple[Any, str | None]:
    """Return a JSON (.json) or YAML file's data, or None and one line saying why not."""
    try:
        text = read_text(path)
    except UnreadableFileError as exc:
        return None, f"cannot read {exc}"
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text), None
        return yaml.safe_load(text), None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        return None, f"{path}: " + " ".join(str(exc).split())  # YAML's own is several lines
    except RecursionError:
        return None, f"{path}: nested too deeply"


def load_render_inputs(
    answers_path: Path, change_path: Path | None, lang: Lang
) -> tuple[list[str], FilingAnswers | None, ChangeReport | None]:
    """Return (problems, answers, change); problems is empty when both read and validate."""
    raw, problem = read_data(answers_path)
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
        raw_change, problem = read_data(change_path)
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
    """Render every kind, then write the files (nothing is written if a render fails);
    `out` is checked by the caller (`bot.files.prepare_folder`), a write may still raise
    OSError."""
    rendered = [render(kind, answers, c) for kind, c in document_jobs(kinds, answers, ctx)]
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
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
