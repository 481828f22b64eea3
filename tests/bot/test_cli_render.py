"""`beian render`: writes every document, prints the documented JSON, refuses bad answers."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from docx import Document
from pypdf import PdfReader
from typer.testing import CliRunner

from bot.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()


def test_render_writes_all_documents_and_reports_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["render", "--answers", str(EXAMPLES / "enterprise.yaml"), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [d["kind"] for d in listed] == [
        "filing-form",  # maintained here, server in 杭州: one form for each bureau
        "filing-form",
        "responsibility",
        "checklist",
        "guide",
        "change-report",
    ]
    for entry in listed:
        assert set(entry) == {"kind", "path", "pages", "bytes", "format"}
        assert entry["format"] == "pdf"
        path = Path(entry["path"])
        assert path.parent == out and path.stat().st_size == entry["bytes"]
        assert len(PdfReader(path).pages) == entry["pages"]
    assert Path(listed[0]["path"]).name == "备案表-1-示例市-云帆科技官网.pdf"
    assert Path(listed[1]["path"]).name == "备案表-2-杭州-云帆科技官网.pdf"


def test_render_writes_word_copies_beside_the_pdfs_with_the_same_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    answers = str(EXAMPLES / "enterprise.yaml")
    args = ["render", "--answers", answers, "--out", str(out), "--json", "--format", "pdf,docx"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    pdfs = [d for d in listed if d["format"] == "pdf"]
    words = [d for d in listed if d["format"] == "docx"]
    assert len(pdfs) == 6 and listed[: len(pdfs)] == pdfs  # the PDFs as before, then the copies
    assert [d["kind"] for d in words] == [
        "filing-form",
        "filing-form",
        "responsibility",
        "checklist",
    ]
    stems = {Path(d["path"]).stem for d in pdfs}
    for entry in words:
        path = Path(entry["path"])
        assert path.suffix == ".docx" and path.stem in stems and entry["pages"] is None
        assert path.stat().st_size == entry["bytes"]
        assert Document(str(path)).paragraphs  # python-docx opens it

    only = runner.invoke(
        app,
        [
            "render",
            "--answers",
            answers,
            "--out",
            str(tmp_path / "w"),
            "--format",
            "docx",
            "--kind",
            "checklist",
            "--kind",
            "guide",
        ],
    )
    assert only.exit_code == 0, only.output
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["复审材料清单-云帆科技官网.docx"]
    assert "guide：没有Word版，只有PDF。" in only.stderr
    nothing = runner.invoke(app, ["render", "--answers", answers, "--out", str(tmp_path / "g"),
                                  "--format", "docx", "--kind", "guide"])  # fmt: skip
    assert nothing.exit_code == 1 and "没有Word版" in nothing.stderr  # nothing written: not 0
    refused = runner.invoke(app, ["render", "--answers", answers, "--out", str(out), "--format",
                                  "doc"])  # fmt: skip
    assert refused.exit_code == 2 and "--format" in refused.output


def test_render_one_kind_from_json_with_a_change_report(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(
        json.dumps(
            yaml.safe_load((EXAMPLES / "individual.yaml").read_text(encoding="utf-8")),
            default=str,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    change = tmp_path / "change.yaml"
    change.write_text(
        "changed_on: 2026-12-01\nreason: 更换云服务商\nitems:\n"
        "  - {field: IP地址, old: 47.96.12.36, new: 47.96.12.99}\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "render",
            "--answers",
            str(answers),
            "--out",
            str(tmp_path),
            "--kind",
            "change-report",
            "--change",
            str(change),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    text = "".join(p.extract_text() for p in PdfReader(entry["path"]).pages)
    assert "47.96.12.99" in text and "更换云服务商" in text and "2026年12月1日" in text


def test_invalid_answers_list_every_problem_and_write_nothing(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "enterprise.yaml").read_text(encoding="utf-8"))
    data["website"]["domains"] = ["not a domain"]
    data["security_officer"]["mobile"] = "12345"
    data["subject"]["credential_number"] = "91330106MA2B3C4D5X"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "--answers", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert "website.domains.0: 域名格式不正确" in result.output
    assert "security_officer.mobile: 请填写11位手机号" in result.output
    assert "subject.credential_number" in result.output
    assert not out.exists()

    result = runner.invoke(
        app, ["render", "--answers", str(bad), "--out", str(out), "--lang", "en"]
    )
    assert result.exit_code == 1 and "Not a valid domain" in result.output


def test_an_unreadable_answers_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["render", "--answers", str(broken), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "broken.json" in result.output
    assert "Traceback" not in result.output
