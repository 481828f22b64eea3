"""`beian chat` as a newcomer uses it: a subprocess with piped answers, PDFs at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.dialogs.transcripts import GOVERNMENT, INDIVIDUAL
from tests.documents.pdf_text import page_texts, squeeze

BEIAN = Path(sys.executable).parent / "beian"


def _chat(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
        "BEIAN_TODAY": "2026-11-28",
        "BEIAN_PACK": "example",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [str(BEIAN), "chat", "--out", str(tmp_path / "out"), *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_piped_interview_writes_the_pdfs_and_prints_their_paths(tmp_path: Path) -> None:
    done = _chat(tmp_path, [said for said, _ in GOVERNMENT], "--as", "librarian")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "1. 网站系统维护地（上海）" in done.stdout
    assert "文件已保存" in done.stdout
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        assert str(pdf) in done.stdout
    form = next(p for p in pdfs if p.name.startswith("备案表"))
    text = squeeze("".join(page_texts(form.read_bytes())))
    for value in ("示例市图书馆", "12330100MB1234567B", "lib.example.gov.cn", "读者留言板", "赵守"):
        assert value in text


def test_input_ending_midway_exits_0_and_the_next_run_resumes(tmp_path: Path) -> None:
    first = _chat(tmp_path, [said for said, _ in INDIVIDUAL[:5]], "--as", "blogger")
    assert first.returncode == 0, first.stderr
    assert "你的18位居民身份证号码" in first.stdout
    second = _chat(tmp_path, ["1"], "--as", "blogger")
    assert second.returncode == 0, second.stderr
    assert "还没有完成" in second.stdout
    assert "你的18位居民身份证号码" in second.stdout.split("> 1", 1)[1]
    assert not (tmp_path / "out").exists()


def test_english_chat_with_lang_option(tmp_path: Path) -> None:
    done = _chat(tmp_path, ["2", "/status"], "--lang", "en", "--as", "en-user")
    assert done.returncode == 0, done.stderr
    assert "Who runs the website?" in done.stdout
    assert "✔ Enterprise" in done.stdout
    assert "Progress: part 2 of 7" in done.stdout
