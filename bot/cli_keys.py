"""`beian keys …`: the data key that seals personal data (issue 26, item 3; `bot.keys`).

`show` prints where the key comes from, the key ids and how many values each sealed — never a
key. `rotate` seals everything again under a new key. `generate` prints a new key for
BEIAN_DATA_KEY (the only command that prints a key: one made for the operator to keep).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

keys_app = typer.Typer(
    help="The data key that seals personal data in the database (see the README).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings() -> Any:
    from bot.cli_common import _settings as settings

    return settings()


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@keys_app.command("show")
def keys_show(as_json: JsonOpt = False) -> None:
    """Print where the data key comes from, its key ids and the values each sealed."""
    from bot.keys import KeySetupError, counts, file_mode, load, source_of
    from models import migrate
    from models.db import make_engine

    settings = _settings()
    source = source_of(settings)
    try:
        keyring = load(settings, create=False)
    except KeySetupError as exc:
        if source.env or source.path.exists():
            _fail(str(exc))
        keyring = None  # none yet: made at the first start
    engine = make_engine(settings.database_url)
    try:
        sealed_by = counts(engine)
    finally:
        engine.dispose()
    totals: dict[str, int] = {}
    for per_key in sealed_by.values():
        for kid, n in per_key.items():
            if kid is not None:
                totals[kid] = totals.get(kid, 0) + n
    ids = list(keyring.ids) if keyring is not None else []
    mode = None if source.env else file_mode(source.path)
    unknown = {kid: n for kid, n in totals.items() if kid not in ids}
    payload: dict[str, Any] = {
        "source": "env" if source.env else "file",
        "key_file": None if source.env else str(source.path),
        "key_file_mode": f"{mode:04o}" if mode is not None else None,
        "keys": [
            {"id": kid, "seals": i == 0, "values": totals.get(kid, 0)} for i, kid in enumerate(ids)
        ],
        "unknown_keys": unknown,
        "database": migrate.display_url(settings.database_url),
        "columns": {
            column: {str(kid) if kid else "none": n for kid, n in per_key.items()}
            for column, per_key in sealed_by.items()
        },
    }
    if source.env:
        where = "from BEIAN_DATA_KEY"
    elif keyring is None:
        where = f"the key file {source.path} (none yet: made at the first start)"
    else:
        where = f"the key file {source.path} (mode {payload['key_file_mode']})"
    lines = [f"data key: {where}"]
    for i, kid in enumerate(ids):
        role = "seals and opens" if i == 0 else "opens only (a rotation under way)"
        lines.append(f"  key {kid}: {role}; {totals.get(kid, 0)} values in the database")
    for kid, n in unknown.items():
        lines.append(f"  key {kid}: NOT HELD HERE; {n} values in the database no key here opens")
    lines.append(f"database: {payload['database']}")
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2) if as_json else "\n".join(lines))


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Seal every value under a new key; the old key is removed once nothing needs it.

    With the key file: a new key is added to it, every value sealed again, the old key then
    removed (a rotation cut short is taken up by running this again). With BEIAN_DATA_KEY: put
    the new key first (NEW,OLD) and restart the bot first; this seals every value under NEW.
    """
    from bot.cli_operators import use_keys
    from bot.keys import KeySetupError, rotate, source_of, wipe_free_pages
    from models import migrate
    from models.db import make_engine

    settings = _settings()
    use_keys(settings)  # the keys there are open the database, which is at the newest schema
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        try:
            done = rotate(settings, engine, typer.echo)
        except KeySetupError as exc:
            _fail(str(exc))
            return
        typer.echo(f"{done.resealed} values sealed again under key {done.current}")
        wiped = wipe_free_pages(engine)
    finally:
        engine.dispose()
    source = source_of(settings)
    retired = ", ".join(done.retired)
    if source.env:
        if retired:
            typer.echo(
                f"every value is sealed under {done.current}: remove {retired} from "
                "BEIAN_DATA_KEY and restart the bot"
            )
    else:
        if retired:
            typer.echo(f"key {retired} removed from {source.path}")
        typer.echo(
            f"back the key file up now (README, 'The data key'): backups of the database made "
            f"before this need the old key file{f' ({retired})' if retired else ''}"
        )
    if wiped:
        typer.echo("database file rewritten (VACUUM): no free page keeps a value of the old key")
    else:
        typer.echo("PostgreSQL: run VACUUM FULL in a quiet hour to drop the old rows' pages")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key for BEIAN_DATA_KEY (32 bytes, URL-safe base64)."""
    from models.sealed import encode_key, new_key

    typer.echo(encode_key(new_key()))
