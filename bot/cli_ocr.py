"""`beian ocr PATH`: read a photo of a business licence or an ID card (either side), on this
machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rules.text import Lang

if TYPE_CHECKING:
    from rules.photo_fields import Kind


def ocr(
    path: Annotated[Path, typer.Argument(help="A photo (JPEG, PNG, WebP, BMP; ≤10 MB).")],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="business_license, id_card (photo side) or id_card_back (default: detected).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="zh (default) or en.")] = None,
) -> None:
    """Read a business licence (营业执照) or an ID card (身份证, either side) from a photo."""
    from bot.cli_common import _settings
    from bot.ocr.images import MAX_BYTES, TOO_LARGE, PhotoError
    from bot.ocr.worker import OcrWorker
    from rules.files import UnreadableFileError, read_bytes
    from rules.photo_fields import KINDS, NOT_READ, checked, field_label

    if kind is not None and kind not in KINDS:
        typer.echo(f"--kind: {kind} is not one of {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    settings = _settings()  # a setting that is not valid: one line, exit 2
    language: Lang = "en" if (lang or settings.beian_lang) == "en" else "zh"
    try:
        data = read_bytes(path, MAX_BYTES)
    except UnreadableFileError as exc:
        if str(exc).endswith("larger than 10 MB"):  # said as the chat says it, in its language
            exc = UnreadableFileError(f"{path}: {TOO_LARGE.get(language)}")
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    worker = OcrWorker(timeout=settings.beian_ocr_timeout)
    try:
        read = worker.read(data, _kind(kind))
    except PhotoError as exc:
        typer.echo(f"{path}: {exc.reason.get(language)}", err=True)
        raise typer.Exit(1) from exc
    finally:
        worker.close()
    reading = read.reading
    if as_json:
        typer.echo(json.dumps(reading.as_json(), ensure_ascii=False, indent=2))
        return
    colon = "：" if language == "zh" else ": "
    lines = [reading_kind_label(reading.kind, language)]
    for key, value in reading.fields.items():
        label = field_label(reading.kind, key).get(language)
        shown = value if value is not None else NOT_READ.get(language)
        mark = " ✔" if checked(reading, key) else ""
        lines.append(f"{label}{colon}{shown}{mark}")
    typer.echo("\n".join(lines))


def _kind(kind: str | None) -> Kind | None:
    from rules.photo_fields import KINDS

    return next((k for k in KINDS if k == kind), None)


def reading_kind_label(kind: Kind, lang: Lang) -> str:
    from rules.photo_fields import KIND_LABELS

    return KIND_LABELS[kind].get(lang)
