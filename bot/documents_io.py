"""Read answers from files and write rendered documents to a folder (the CLI's render verb)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.files import write_private
from documents.model import ChangeReport, DocumentContext, document_jobs
from documents.render import render
from rules.answers import FilingAnswers, answer_problems
from rules.enums import DocumentKind
from rules.files import UnreadableFileError, load_yaml, read_text
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
        return load_yaml(text), None
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


FORMATS = ("pdf", "docx")


def read_formats(text: str) -> tuple[str, ...] | None:
    """Return the formats of `--format` (pdf, docx, or both comma-separated); None if unknown."""
    asked = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    return asked if asked and all(f in FORMATS for f in asked) else None


def no_word_copy(kinds: list[DocumentKind], formats: tuple[str, ...], lang: Lang) -> list[str]:
    """Say which kinds asked for by name have no Word copy (the guide, the statements)."""
    from documents.word import WORD_KINDS

    if "docx" not in formats:
        return []
    return [
        f"{k.value}：没有Word版，只有PDF。"
        if lang == "zh"
        else f"{k.value}: no Word copy, PDF only."
        for k in dict.fromkeys(kinds)
        if k not in WORD_KINDS
    ]


def write_documents(
    kinds: list[DocumentKind],
    answers: FilingAnswers,
    ctx: DocumentContext,
    out: Path,
    formats: tuple[str, ...] = ("pdf",),
) -> list[dict[str, Any]]:
    """Render every kind in every format, then write the files (nothing is written if a
    render fails): the PDFs, then the Word copies of the kinds that have one. `out` is checked
    by the caller (`bot.files.prepare_folder`), a write may still raise OSError."""
    jobs = document_jobs(kinds, answers, ctx)
    rendered = [render(kind, answers, c) for kind, c in jobs] if "pdf" in formats else []
    words = []
    if "docx" in formats:
        from documents.word import WORD_KINDS, render_docx

        words = [render_docx(kind, answers, c) for kind, c in jobs if kind in WORD_KINDS]
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[dict[str, Any]] = []
    for doc in rendered:
        path = out / doc.filename
        write_private(path, doc.pdf)
        written.append(
            {
                "kind": doc.kind.value,
                "path": str(path),
                "pages": doc.pages,
                "bytes": len(doc.pdf),
                "format": "pdf",
                "missing_glyphs": list(doc.missing_glyphs),
            }
        )
    for word in words:
        path = out / word.filename
        write_private(path, word.docx)
        written.append(
            {
                "kind": word.kind.value,
                "path": str(path),
                "pages": None,  # Word lays out the pages when it opens the file
                "bytes": len(word.docx),
                "format": "docx",
                "missing_glyphs": [],
            }
        )
    return written


def report(written: list[dict[str, Any]], lang: Lang) -> tuple[list[str], list[str]]:
    """Return the lines that list the written files, and a warning per file with characters
    no installed font can draw."""
    lines = [
        f"{d['path']}  ({d['pages']} 页, {d['bytes']} bytes)"
        if d["format"] == "pdf"
        else f"{d['path']}  (Word, {d['bytes']} bytes)"
        for d in written
    ]
    warnings = []
    for d in written:
        if d["missing_glyphs"]:
            missing = "".join(d["missing_glyphs"])
            warnings.append(
                f"注意：{d['path']} 中这些字符没有可用字体，显示为空白：{missing}"
                if lang == "zh"
                else f"Warning: no installed font has these characters in {d['path']}: {missing}"
            )
    return lines, warnings
