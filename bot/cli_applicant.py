"""The applicant's verbs: `beian route`, `deadline`, `materials`, `check`, `render` and
`chat` — answers from the notice and the pack, the documents, and the interview in a terminal.
Registered on the `beian` app in `bot.cli`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import JsonOpt, LangOpt, _lang, _out, _output_folder, _pack, _settings, _today
from rules.codes import ID_TYPES
from rules.enums import CHECK_NAMES, DocumentKind, Location, PeriodKind, SubjectType
from rules.text import Lang

FieldName = StrEnum("FieldName", {name: name for name in CHECK_NAMES})  # type: ignore[misc]
IdDocument = StrEnum("IdDocument", {name: name for name in ID_TYPES})  # type: ignore[misc]


def route(
    subject: Annotated[SubjectType, typer.Option(help="Who runs the site.")],
    maintenance: Annotated[Location, typer.Option(help="Where system maintenance is.")],
    server: Annotated[Location, typer.Option(help="Where the server is hosted.")],
    maintenance_city: Annotated[str | None, typer.Option(help="City of maintenance.")] = None,
    server_city: Annotated[str | None, typer.Option(help="City of the server.")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Say which bureau(s) to file with, and in which order."""
    from bot import present
    from rules.materials import SUBJECT_LABELS
    from rules.routing import route_filing

    language = _lang(lang)
    maintenance_city = _city(maintenance_city, "--maintenance-city", language)
    server_city = _city(server_city, "--server-city", language)
    verdict = route_filing(maintenance, server, _pack(), maintenance_city, server_city)
    lines = [f"{SUBJECT_LABELS[subject].get(language)}", *present.route_lines(verdict, language)]
    _out(as_json, present.route_json(verdict, language), lines)


def _city(typed: str | None, option: str, lang: Lang) -> str | None:
    """A city as the interview takes it (this city, a known place, or a foreign one in
    letters), or a usage error saying why."""
    from rules.names import check_city
    from rules.routing import is_this_city

    if typed is None or is_this_city(typed, _pack()):  # this city, by any of its names
        return typed
    checked = check_city(typed)
    if not checked.valid or checked.normalized is None:
        message = checked.error.get(lang) if checked.error else typed
        raise typer.BadParameter(message, param_hint=option)
    return checked.normalized


def deadline(
    kind: Annotated[PeriodKind, typer.Argument(help="Which clock.")],
    start: Annotated[str, typer.Option("--from", help="Start date, e.g. 2026-11-28.")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compute a deadline on the Chinese working-day calendar."""
    from bot import present
    from rules.dates import check_date
    from rules.deadlines import compute_deadline
    from rules.workdays import WorkdayCalendar

    language = _lang(lang)
    parsed = check_date(start, _today())
    if not parsed.valid or parsed.normalized is None:
        message = parsed.error.get(language) if parsed.error else start
        raise typer.BadParameter(message, param_hint="--from")
    pack = _pack()
    result = compute_deadline(
        kind, dt.date.fromisoformat(parsed.normalized), pack, WorkdayCalendar(pack.calendar)
    )
    _out(as_json, present.deadline_json(result, language), present.deadline_lines(result, language))


def materials(
    subject: Annotated[SubjectType, typer.Option(help="Who runs the site.")],
    id_type: Annotated[
        IdDocument | None,
        typer.Option(
            help="An individual's identity document (the copy to bring is named after it); "
            "default: the resident ID card."
        ),
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List what to bring to re-review."""
    from bot import present
    from rules.materials import SUBJECT_LABELS, materials_for

    language = _lang(lang)
    items = materials_for(subject, _pack(), id_type.value if id_type is not None else None)
    lines = [SUBJECT_LABELS[subject].get(language)]
    lines += [present.material_line(i, m, language) for i, m in enumerate(items, 1)]
    _out(as_json, [present.material_json(m, language) for m in items], lines)


def check(
    field: Annotated[FieldName, typer.Argument(help="Which field.")],
    value: Annotated[str, typer.Argument(help="What the applicant typed.")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Check one field; exit 0 when valid, 1 when not."""
    from bot import present
    from rules.fields import check_field

    language = _lang(lang)
    result = check_field(str(field.value), value, _today())
    if result.valid:
        line = f"✓ {result.normalized}"
    else:
        line = f"✗ {result.error.get(language) if result.error else ''}"
    _out(as_json, present.check_json(result, language), [line])
    if not result.valid:
        raise typer.Exit(1)


def render_documents(
    answers_file: Annotated[Path, typer.Option("--answers", help="Answers as JSON or YAML.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the documents into.")],
    kind: Annotated[
        list[DocumentKind] | None, typer.Option("--kind", help="Only these (repeatable).")
    ] = None,
    change_file: Annotated[
        Path | None, typer.Option("--change", help="Change report (JSON/YAML) for change-report.")
    ] = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format",
            help="pdf, docx or pdf,docx: Word copies of the filing form, the notice and the "
            "checklist.",
        ),
    ] = "pdf",
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Render the applicant's documents as PDF files (and editable Word copies)."""
    from bot.documents_io import (
        load_render_inputs,
        no_word_copy,
        read_formats,
        report,
        write_documents,
    )
    from documents.model import RENDERED_BY_DEFAULT, DocumentContext
    from rules.workdays import WorkdayCalendar

    language = _lang(lang)
    chosen = read_formats(formats)
    if chosen is None:
        raise typer.BadParameter(f"{formats!r}: pdf, docx or pdf,docx", param_hint="--format")
    pack = _pack()
    problems, answers, change = load_render_inputs(answers_file, change_file, language)
    if problems or answers is None:
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(1)
    _output_folder(out)
    ctx = DocumentContext(
        pack=pack,
        today=_today(),
        calendar=WorkdayCalendar(pack.calendar),
        change=change,
        lang=language,
    )
    try:
        written = write_documents(kind or list(RENDERED_BY_DEFAULT), answers, ctx, out, chosen)
    except OSError as exc:  # the folder was fine a moment ago: full, or taken away
        typer.echo(f"--out: cannot write to {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    lines, warnings = report(written, language)
    for note in [*no_word_copy(kind or [], chosen, language), *warnings]:
        typer.echo(note, err=True)
    if not written:  # e.g. --kind guide --format docx: the guide has no Word copy
        raise typer.Exit(1)
    keys = ("kind", "path", "pages", "bytes", "format")
    _out(as_json, [{k: d[k] for k in keys} for d in written], lines)


def chat(
    lang: LangOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the PDFs.")] = Path("out"),
    as_name: Annotated[
        str | None, typer.Option("--as", help="Who is chatting (keeps their interview apart).")
    ] = None,
    word: Annotated[
        bool, typer.Option("--word", help="Also write editable Word copies (.docx) of the forms.")
    ] = False,
) -> None:
    """Run the interview in this terminal (one answer per line; piped input works)."""
    from bot.composition import chat_main
    from bot.files import folder_problem

    problem = folder_problem(out)  # said now, not after the whole interview
    if problem is not None:
        typer.echo(f"--out: cannot write to {problem}", err=True)
        raise typer.Exit(1)
    _pack()  # a pack that cannot be read: one line, exit 2

    raise typer.Exit(chat_main(_settings(), lang=lang, out=out, as_name=as_name, word=word))
