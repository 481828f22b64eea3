"""Operators' commands: `beian filings …` (issue 12), and what they share with `beian
reviewers …` (bot.cli_reviewers).

Each opens the database of DATABASE_URL (migrated first), does one thing in one transaction,
and prints text or, with `--json`, the documented JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import LangOpt, _lang
from bot.cli_texts import _change_recorded, _event_label, _label, _reason, _version_kind

filings_app = typer.Typer(help="Filings.", no_args_is_help=True, rich_markup_mode=None)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _engine() -> Any:
    """The database of DATABASE_URL, migrated, with BEIAN_REVIEWERS' ids registered (the CLI
    reads the same list of reviewers as the bot, whatever this shell's environment says)."""
    from bot.cli_common import _settings
    from bot.reviewers import seed_configured
    from models import migrate
    from models.db import make_engine

    use_keys(_settings())
    url = _settings().database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    seed_configured(engine, _settings(), _now())
    return engine


def use_keys(settings: Any) -> None:
    """Load the data key (BEIAN_DATA_KEY or the key file) for this run, or stop with one line
    and exit 1: every command that opens the database reads sealed values."""
    from bot.keys import KeySetupError, use

    try:
        use(settings)
    except KeySetupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _now() -> Any:
    from rules.clock import system_clock

    return system_clock()


def _print(as_json: bool, payload: Any, lines: list[str]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2) if as_json else "\n".join(lines))


def _filing_or_exit(session: Any, filing_id: int, lang: Any = None) -> Any:
    from models.tables import Filing

    filing = session.get(Filing, filing_id)
    if filing is None:
        zh = _lang(lang) == "zh"
        typer.echo(f"没有备案 #{filing_id}" if zh else f"no filing {filing_id}", err=True)
        raise typer.Exit(1)
    return filing


@filings_app.command("list")
def filings_list(
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only this status: prepared, submitted, initial_review_passed, returned, "
            "resubmitted, materials_received, certified, change_reported, cancelled "
            "(- for _ also).",
        ),
    ] = None,
    bureau: Annotated[
        str | None, typer.Option("--bureau", help="local or outside: the step in progress.")
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List filings, newest first."""
    from models.db import session_scope
    from models.filings import list_filings, state_of
    from rules.enums import FilingStatus

    if bureau not in (None, "local", "outside"):
        raise typer.BadParameter("local or outside", param_hint="--bureau")
    if status is not None:
        status = status.strip().lower().replace("-", "_")
        if status not in {s.value for s in FilingStatus}:  # a traceback with the SQL, before
            raise typer.BadParameter(
                ", ".join(s.value for s in FilingStatus), param_hint="--status"
            )
    with session_scope(_engine()) as session:
        rows = list_filings(session, status, bureau)
        payload = [
            {
                "id": f.id,
                "status": f.status.value,
                "site_name": f.site_name,
                "current_step": f.current_step,
                "bureau": state_of(f).step.bureau.zh,
                "psb_number": f.psb_number,
            }
            for f in rows
        ]
        bureaus = [state_of(f).step.bureau for f in rows]
        reported = [  # a change waiting on a step before the one in progress
            [s.order for s in state_of(f).steps
             if s.status is FilingStatus.CHANGE_REPORTED and s.order != f.current_step]
            for f in rows
        ]  # fmt: skip
    said = _lang(lang)
    changed = _label(FilingStatus.CHANGE_REPORTED.value, said)
    note = "（第{n}步：{changed}）" if said == "zh" else " (step {n}: {changed})"
    lines = [
        f"#{f.id}  {_label(f.status.value, said)}  {f.site_name}  "
        + (f"第{f.current_step}步 {b.zh}" if said == "zh" else f"step {f.current_step} {b.en}")
        + "".join(note.format(n=n, changed=changed) for n in steps)
        for f, b, steps in zip(rows, bureaus, reported, strict=True)
    ]
    _print(as_json, payload, lines or ["没有备案" if said == "zh" else "no filings"])


@filings_app.command("show")
def filings_show(
    filing_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show a filing with its steps and its audit trail."""
    from bot.logs import mask
    from models.db import session_scope
    from models.filings import filing_json

    said = _lang(lang)
    zh = said == "zh"
    with session_scope(_engine()) as session:
        shown = filing_json(session, _filing_or_exit(session, filing_id, said))
    bureaus = {s["bureau"]["zh"]: s["bureau"]["en"] for s in shown["steps"]}
    lines = [f"#{shown['id']}  {shown['site_name']}  {_label(shown['status'], said)}"]
    lines += [
        (f"  第{s['order']}步 {s['bureau']['zh']}：" if zh
         else f"  step {s['order']} {s['bureau']['en']}: ") + _label(s["status"], said)
        for s in shown["steps"]
    ]  # fmt: skip
    lines += [
        f"  {e['at']}  {e['actor']}  {_event_label(e['event'], said, e['from'])}: "
        f"{_label(e['from'], said) if e['from'] else '-'} → {_label(e['to'], said)}  "
        f"{_reason(e['reason'], said, bureaus)}"
        for e in shown["events"]
    ]
    lines.append("历史：" if zh else "history:")
    for v in shown["history"]:
        changed = v["changed_on"]
        when = (f"（变更日期 {changed}）" if zh else f" (changed on {changed})") if changed else ""
        lines.append(f"  v{v['version']} {_version_kind(v['kind'], said)}  {v['at']}  "
                     f"{v['actor']}{when}  {_reason(v['reason'], said, bureaus)}")  # fmt: skip
        lines += [f"      {c['field']}: {c['old']!r} → {c['new']!r}" for c in v["changes"]]
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2) if as_json else mask(
        "\n".join(lines)))  # fmt: skip


@filings_app.command("export")
def filings_export(
    filing_id: Annotated[int, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="Folder for the answers and the PDFs.")],
    lang: LangOpt = None,
) -> None:
    """Write a filing's answers (JSON, with its audit trail) and its latest PDFs (and Word
    copies) into a folder."""
    from sqlmodel import col, select

    from bot.cli_common import _output_folder
    from bot.files import folder_problem, write_private
    from models.db import session_scope
    from models.filings import filing_json
    from models.tables import GeneratedDocument

    zh = _lang(lang) == "zh"
    problem = folder_problem(out)  # refused before anything is read; made once it is
    if problem is not None:
        typer.echo(f"--out：无法写入 {problem}" if zh else f"--out: cannot write to {problem}",
                   err=True)  # fmt: skip
        raise typer.Exit(1)
    with session_scope(_engine()) as session:  # no filing: no folder made for it
        shown = filing_json(session, _filing_or_exit(session, filing_id, lang))
        documents = session.exec(
            select(GeneratedDocument)
            .where(GeneratedDocument.filing_id == filing_id)
            .order_by(col(GeneratedDocument.id))
        ).all()
        latest = {d.filename: d.content for d in documents}  # a later render replaces one
    _output_folder(out)
    try:
        write_private(
            out / f"filing-{filing_id}.json",
            json.dumps(shown, ensure_ascii=False, indent=2).encode("utf-8"),
        )
        for name, content in latest.items():
            write_private(out / name, content)
    except OSError as exc:  # the folder was fine a moment ago: full, or taken away
        why = exc.strerror or exc
        said = f"--out：无法写入 {out}：{why}" if zh else f"--out: cannot write to {out}: {why}"
        typer.echo(said, err=True)
        raise typer.Exit(1) from exc
    words = sum(1 for name in latest if name.endswith(".docx"))  # asked for in the chat
    written, pdfs = out / f"filing-{filing_id}.json", len(latest) - words
    if zh:
        also = f"、{words}份Word副本" if words else ""
        typer.echo(f"已写入 {written} 和 {pdfs}份PDF{also}")
    else:
        also = f", {words} Word cop{'y' if words == 1 else 'ies'}" if words else ""
        typer.echo(f"{written} and {pdfs} PDF(s){also}")


def _context() -> Any:
    from bot.cli_common import _pack, _settings
    from bot.composition import context_factory

    return _settings(), context_factory(_settings(), _pack())()  # a bad pack: one line, exit 2


def _read_change(path: Path) -> dict[str, Any]:
    """Read CHANGE.yaml (or .json): {changed_on, reason, set: {dotted path: value}}; a file
    that cannot be read (missing, a folder, a device, over 1 MB, not YAML) is one line, exit 1."""
    import yaml

    from rules.files import UnreadableFileError, load_yaml, read_text

    try:
        raw = load_yaml(read_text(path))  # JSON is YAML
    except UnreadableFileError as exc:
        typer.echo(f"--file: cannot read {exc}", err=True)
        raise typer.Exit(1) from exc
    except yaml.YAMLError as exc:
        typer.echo(f"--file: {path}: not YAML or JSON: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(1) from exc
    except RecursionError as exc:
        typer.echo(f"--file: {path}: nested too deeply", err=True)
        raise typer.Exit(1) from exc
    return raw if isinstance(raw, dict) else {}


def _change_problems(
    raw: dict[str, Any], today: Any, said: str
) -> tuple[list[str], Any, str, dict[str, Any]]:
    """The change file's own problems, in the language asked for (`said`), and its date,
    reason and values."""
    import datetime as dt

    zh = said == "zh"
    problems = []
    unknown = sorted(set(raw) - {"changed_on", "reason", "set"})
    problems += [
        f"{k}：不是变更文件的键（可用：changed_on、reason、set）" if zh
        else f"{k}: not a key of a change (changed_on, reason, set)"
        for k in unknown
    ]  # fmt: skip
    import contextlib

    from rules.names import check_plain_text

    on = raw.get("changed_on", today)
    if isinstance(on, str):
        with contextlib.suppress(ValueError):
            on = dt.date.fromisoformat(on)
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        problems.append(f"changed_on：不是日期（YYYY-MM-DD）：{on!r}" if zh
                        else f"changed_on: not a date (YYYY-MM-DD): {on!r}")  # fmt: skip
        on = today
    elif on > today:
        problems.append("changed_on：变更日期不能在将来" if zh
                        else "changed_on: the change date cannot be in the future")  # fmt: skip
    reason = raw.get("reason")
    checked = check_plain_text(reason, 500) if isinstance(reason, str) else None
    if checked is None or not checked.valid or not checked.normalized:
        error = checked.error if checked is not None and checked.error else None
        why = error.get("zh" if zh else "en") if error else ("必填" if zh else "required")
        long = "reason: the reason for the change (up to 500 characters)"
        problems.append(f"reason：变更原因（500字以内）：{why}" if zh else f"{long}: {why}")
    else:
        reason = checked.normalized
    values = raw.get("set")
    if not isinstance(values, dict) or not values:
        needed = "set: the fields to change, {dotted.path: value}, are required"
        problems.append("set：请写明要变更的字段 {字段路径: 新值}" if zh else needed)
    return problems, on, str(reason or ""), values if isinstance(values, dict) else {}


@filings_app.command("change")
def filings_change(
    filing_id: Annotated[int, typer.Argument()],
    file: Annotated[
        Path, typer.Option("--file", help="CHANGE.yaml or .json: {changed_on, reason, set}.")
    ],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Report a change of a certified filing (the chat's checks; nothing changes on a problem)."""
    from bot.deliveries import prepare_documents, render_in_process

    settings, ctx = _context()
    said = _lang(lang)
    problems, on, reason, values = _change_problems(_read_change(file), ctx.today, said)
    engine = _engine()
    outcome, problems = _record_change(engine, filing_id, values, problems, on=on, reason=reason,
                                       ctx=ctx, review_chat=settings.beian_review_chat,
                                       said=said)  # fmt: skip
    if problems or outcome is None:
        _print(as_json, {"id": filing_id, "ok": False, "problems": problems}, problems)
        raise typer.Exit(1)
    if outcome.delivery is not None:  # rendered here; sent to the applicant by the bot
        prepare_documents(engine, outcome.delivery, render_in_process, ctx, _now())
    _print(as_json, *_change_recorded(filing_id, outcome, on, reason, ctx, _lang(lang)))


def _record_change(
    engine: Any,
    filing_id: int,
    values: dict[str, Any],
    problems: list[str],
    *,
    on: Any,
    reason: str,
    ctx: Any,
    review_chat: int | None,
    said: Any = "zh",
) -> tuple[Any, list[str]]:
    """Check the change against the filing and record it, all in one transaction; return the
    outcome (None when not recorded) and every problem (the file's too): with any, nothing is
    written."""
    from bot.changes import report_change_in
    from models.db import session_scope
    from models.filings import state_of
    from rules.filing_life import Actor, Role, changeable, not_changeable

    problems = list(problems)
    outcome = None
    with session_scope(engine) as session:
        filing = _filing_or_exit(session, filing_id)
        state = state_of(filing)
        if not changeable(state):
            problems.append(not_changeable(state.status).get(said))
        checked = None
        if values:  # the fields are checked whatever else is wrong: every problem at once
            checked, wrong = _changed_answers(filing, filing_id, values, ctx, said)
            problems += wrong
        if not problems:
            assert checked is not None
            assert checked.answers is not None
            outcome = report_change_in(
                session,
                filing,
                checked.answers,
                on=on,
                reason=reason,
                who=Actor(Role.OPERATOR, "cli"),
                ctx=ctx,
                now=_now(),
                review_chat=review_chat,
            )
            if outcome.refusal is not None:
                problems.append(outcome.refusal.get(said))
                session.rollback()
    return outcome, problems


def _changed_answers(
    filing: Any, filing_id: int, values: dict[str, Any], ctx: Any, said: Any = "zh"
) -> tuple[Any, list[str]]:
    """The filing's answers with `values` set, checked as the chat checks them, and what is
    wrong with them."""
    from pydantic import ValidationError

    from rules.changes import apply_changes

    try:
        checked = apply_changes(filing.data, values, ctx.pack, said)
    except ValidationError:  # stored before today's checks: not the file's problem
        return None, [
            f"#{filing_id}：存储的答案未通过现行检查（见 beian filings show），无法在其上变更"
            if said == "zh"
            else f"#{filing_id}: the stored answers do not pass today's checks "
            "(see beian filings show); the change cannot be applied to them"
        ]
    return checked, list(checked.problems)


@filings_app.command("cancel")
def filings_cancel(
    filing_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="Why the filing is cancelled (注销).")],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Cancel a filing (注销): reminders stop, the reviewers and the applicant are told."""
    from bot.deliveries import prepare_documents, render_in_process
    from bot.filing_actions import act
    from bot.reviewers import reviewers_of
    from rules.events import Cancel
    from rules.filing_life import Actor, Role

    settings, ctx = _context()
    said = _lang(lang)
    if not reason.strip():
        required = (
            "--reason：请写明注销的原因" if said == "zh" else "--reason: the reason is required"
        )
        typer.echo(required, err=True)
        raise typer.Exit(1)
    engine = _engine()
    cancel = Cancel(actor=Actor(Role.OPERATOR, "cli"), on=ctx.today, reason=reason.strip()[:500])
    outcome = act(engine, filing_id, cancel, ctx=ctx, clock=_now, reviewers=reviewers_of(settings))
    if outcome.refusal is not None:
        _print(as_json, {"id": filing_id, "ok": False, "problems": [outcome.refusal.zh]},
               [outcome.refusal.get(said)])  # fmt: skip
        raise typer.Exit(1)
    if outcome.delivery is not None:
        prepare_documents(engine, outcome.delivery, render_in_process, ctx, _now())
    _print(as_json, {"id": filing_id, "ok": True, "status": "cancelled"},
           [f"#{filing_id} 已注销" if said == "zh" else f"#{filing_id} cancelled"])  # fmt: skip
