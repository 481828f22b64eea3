"""`beian chat` as a newcomer uses it: a subprocess with piped answers, PDFs at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from docx import Document

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
    assert len(pdfs) == 5  # a filing form for 上海's bureau and one for this city's
    for pdf in pdfs:
        assert str(pdf) in done.stdout
    forms = sorted(p.name for p in pdfs if p.name.startswith("备案表"))
    assert forms == ["备案表-1-上海-示例市图书馆.pdf", "备案表-2-示例市-示例市图书馆.pdf"]
    form = next(p for p in pdfs if p.name.startswith("备案表-2"))
    assert "受理机关：示例市公安局" in squeeze("".join(page_texts(form.read_bytes())))
    form = next(p for p in pdfs if p.name.startswith("备案表-1"))
    assert "受理机关：网站系统维护地（上海）的公安网安部门" in squeeze(
        "".join(page_texts(form.read_bytes()))
    )
    text = squeeze("".join(page_texts(form.read_bytes())))
    for value in ("示例市图书馆", "12330100MB1234567B", "lib.example.gov.cn", "留言板", "赵守"):
        assert value in text


def test_word_writes_editable_copies_of_the_forms_beside_the_pdfs(tmp_path: Path) -> None:
    done = _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger", "--word")
    assert done.returncode == 0, done.stderr
    copies = sorted((tmp_path / "out").glob("*.docx"))
    assert [p.name for p in copies] == [
        "备案表-小𠮷的笔记.docx",
        "复审材料清单-小𠮷的笔记.docx",
        "安全责任告知书-小𠮷的笔记.docx",
    ]
    for path in copies:
        assert str(path) in done.stdout
        assert Document(str(path)).sections[0].footer.paragraphs  # python-docx opens it
        assert path.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 4


def test_input_ending_midway_exits_0_and_the_next_run_resumes(tmp_path: Path) -> None:
    first = _chat(tmp_path, [said for said, _ in INDIVIDUAL.until("credential")], "--as", "blogger")
    assert first.returncode == 0, first.stderr
    assert "你的证件号码" in first.stdout
    second = _chat(tmp_path, ["1"], "--as", "blogger")
    assert second.returncode == 0, second.stderr
    assert "还没有完成" in second.stdout
    assert "你的证件号码" in second.stdout.split("> 1", 1)[1]
    assert not (tmp_path / "out").exists()


def test_english_chat_with_lang_option(tmp_path: Path) -> None:
    done = _chat(tmp_path, ["2", "/status"], "--lang", "en", "--as", "en-user")
    assert done.returncode == 0, done.stderr
    assert "Who runs the website?" in done.stdout
    assert "✔ Enterprise" in done.stdout
    assert "Progress: step 2 of 7 (Maintenance)" in done.stdout


def _unwritable(tmp_path: Path) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)  # no writing here
    if os.access(locked, os.W_OK):  # root ignores the mode; a file where a folder must be does not
        locked.chmod(0o700)
        locked.rmdir()
        locked.write_text("not a folder")
    return locked / "out"


def test_an_unwritable_out_folder_is_said_before_the_interview(tmp_path: Path) -> None:
    done = _chat(tmp_path, ["企业"], "--as", "p", "--out", str(_unwritable(tmp_path)))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""  # nothing asked: no interview to lose
    assert len(done.stderr.strip().splitlines()) == 1 and "--out" in done.stderr


def test_an_out_folder_unwritable_by_the_summary_keeps_the_interview_there(
    tmp_path: Path,
) -> None:
    """The folder was fine when the chat began (checked then) and is not at the summary."""
    import datetime as dt
    import io

    from bot.composition import context_factory
    from bot.deliveries import render_in_process
    from bot.settings import Settings
    from bot.terminal import run_chat
    from models import migrate
    from models.db import make_engine
    from rules.clock import system_clock
    from rules.pack import load_pack

    url = f"sqlite:///{tmp_path / 'chat.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(database_url=url, beian_today=dt.date(2026, 11, 28))
    said = "\n".join(s for s, _ in INDIVIDUAL) + "\n"
    stdout = io.StringIO()
    code = run_chat(
        engine=engine,
        context=context_factory(settings, load_pack("example")),
        clock=system_clock,
        render_set=render_in_process,
        external_id="p",
        lang="zh",
        out=_unwritable(tmp_path),
        stdin=io.StringIO(said),
        stdout=stdout,
    )
    engine.dispose()
    assert code == 1
    assert "无法把文件写入" in stdout.getvalue()
    assert "仍停在核对页" in stdout.getvalue()
    assert "已保存，再次运行 `beian chat` 继续" in stdout.getvalue()
    # With a folder that works, the same applicant confirms from the summary.
    again = _chat(tmp_path, ["继续", "确认提交"], "--as", "p")
    assert again.returncode == 0, again.stdout[-2000:]
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 4


def test_end_of_input_says_how_to_continue(tmp_path: Path) -> None:
    done = _chat(tmp_path, ["企业"], "--as", "q")
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("已保存，再次运行 `beian chat` 继续。")


def test_deleting_the_answers_does_not_then_say_they_are_saved(tmp_path: Path) -> None:
    done = _chat(tmp_path, ["企业", "本市", "/cancel", "2"], "--as", "q")
    assert "已取消，你的资料已删除" in done.stdout
    assert "已保存" not in done.stdout, done.stdout[-400:]


def test_ctrl_c_says_how_to_continue_and_exits_130(tmp_path: Path) -> None:
    import io

    from bot.terminal import run_chat
    from models import migrate
    from models.db import make_engine

    class Interrupting(io.StringIO):
        def readline(self, *_args: object) -> str:
            raise KeyboardInterrupt

    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    out = io.StringIO()
    try:
        code = run_chat(**_chat_args(engine, Interrupting(), out, tmp_path))
    finally:
        engine.dispose()
    assert code == 130
    assert "已保存，再次运行 `beian chat` 继续。" in out.getvalue()


def test_a_chat_whose_every_turn_fails_exits_1(tmp_path: Path) -> None:
    import io

    from bot.terminal import run_chat
    from models.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every turn fails
    out = io.StringIO()
    try:
        code = run_chat(**_chat_args(engine, io.StringIO("企业\n本市\n"), out, tmp_path))
    finally:
        engine.dispose()
    assert code == 1
    assert out.getvalue().count("抱歉") == 3
    assert "Traceback" not in out.getvalue()


def _chat_args(engine: object, stdin: object, stdout: object, tmp_path: Path) -> dict[str, object]:
    import datetime as dt

    from bot.composition import context_factory
    from bot.deliveries import render_in_process
    from bot.settings import Settings
    from rules.clock import system_clock
    from rules.pack import load_pack

    settings = Settings(beian_today=dt.date(2026, 11, 28))
    return {
        "engine": engine,
        "context": context_factory(settings, load_pack("example")),
        "clock": system_clock,
        "render_set": render_in_process,
        "external_id": "t",
        "lang": "zh",
        "out": tmp_path / "out",
        "stdin": stdin,
        "stdout": stdout,
    }


def _certify_all(tmp_path: Path) -> None:
    """Record, as an operator, that every filing in the chat's database was certified."""
    import datetime as dt

    from sqlmodel import select

    from bot.filing_actions import Reviewers, act
    from dialogs.model import Context
    from models.db import make_engine, session_scope
    from models.tables import Filing
    from rules.filing_life import Actor, Role, make_event
    from rules.lifecycle import FilingEvent as E
    from rules.pack import load_pack
    from rules.workdays import WorkdayCalendar

    pack = load_pack("example")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 28))
    engine = make_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    with session_scope(engine) as session:
        ids = list(session.exec(select(Filing.id)))
    for filing_id in ids:
        for event in (E.SUBMIT, E.PASS_INITIAL_REVIEW, E.RECEIVE_MATERIALS, E.CERTIFY):
            psb = f"京公网安备11010502030{143 + (filing_id or 0)}号"  # one number a filing
            outcome = act(
                engine,
                filing_id or 0,
                make_event(event, Actor(Role.OPERATOR, "test"), ctx.today, psb_number=psb),
                ctx=ctx,
                clock=lambda: dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC),
                reviewers=Reviewers(),
            )
            assert outcome.done, outcome.refusal
    engine.dispose()


def test_a_second_run_lists_the_filing_and_reports_a_change(tmp_path: Path) -> None:
    first = _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger")
    assert first.returncode == 0, first.stderr
    early = _chat(tmp_path, ["/change", "/help"], "--as", "blogger")
    assert "/close_site" not in early.stdout  # not a command here: the operator's is named
    assert "注销用 beian filings cancel 备案编号 --reason 原因" in early.stdout
    assert "取得公安备案号后才能报告变更" in early.stdout  # not certified yet: told why
    assert "/amend" in early.stdout and "修改信息" not in early.stdout  # no such button here
    _certify_all(tmp_path)
    begun = _chat(tmp_path, ["/change", "/edit 网站名称", "小吉的笔记"], "--as", "blogger")
    assert "你的备案如下" in begun.stdout and "#1 小𠮷的笔记" in begun.stdout  # at the start
    assert begun.stdout.rstrip().endswith("已保存，再次运行 `beian chat` 继续。")
    english = _chat(tmp_path, [], "--as", "blogger", "--lang", "en")  # switched, still kept
    assert "Switched to English." in english.stdout
    assert "The change is not reported yet; your edits so far are kept" in english.stdout
    done = _chat(tmp_path, ["确认", "网站改名", "1"], "--as", "blogger", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert "变更还没有报告，已做的修改都还在" in done.stdout and "已放弃" not in done.stdout
    assert "网站名称：小𠮷的笔记 → 小吉的笔记" in done.stdout
    assert "已记录变更" in done.stdout and "最迟于2026年12月28日（含当日）" in done.stdout
    written = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert any(n.startswith("变更情况说明") for n in written)
    assert "Traceback" not in done.stdout + done.stderr


def test_new_in_a_second_chat_offers_the_last_filings_unit_and_people(tmp_path: Path) -> None:
    from tests.dialogs.test_reuse import SECOND_SITE
    from tests.dialogs.transcripts import ENTERPRISE

    first = _chat(tmp_path, [said for said, _ in ENTERPRISE], "--as", "yunfan")
    assert first.returncode == 0, first.stderr
    lines = ["/new", "企业", "1", *(said for said, _ in SECOND_SITE), "确认提交"]
    second = _chat(tmp_path, lines, "--as", "yunfan")
    assert second.returncode == 0, second.stderr
    out = second.stdout
    assert "沿用上次备案的开办主体和联系人信息吗？" in out
    assert "法定代表人：林云帆（居民身份证 **************0015）" in out
    assert "  1. 沿用" in out and "  2. 重新填写" in out
    assert "开办单位的全称" not in out  # the unit was not asked again
    assert "请核对" in out and "云帆商城" in out and "文件已保存" in out
    assert "再点一次" not in first.stdout + out  # no buttons to tap in a terminal
    assert "已选：单位门户网站。可以继续回复序号" in first.stdout
    forms = sorted(p.name for p in (tmp_path / "out").glob("备案表-*.pdf"))
    assert any("云帆商城" in name or "示例云帆科技有限公司" in name for name in forms)


def test_lang_asked_for_switches_a_kept_interview_to_it(tmp_path: Path) -> None:
    _chat(tmp_path, ["企业", "本市"], "--as", "q")  # begun in Chinese
    again = _chat(tmp_path, [], "--lang", "en", "--as", "q")
    assert "Switched to English." in again.stdout, again.stdout
    assert "你上次的填写" not in again.stdout and "已保存" not in again.stdout
    assert again.stdout.rstrip().endswith("Saved. Run `beian chat` again to continue.")
    kept = _chat(tmp_path, [], "--as", "q")  # no --lang: the interview's own language
    assert kept.stdout.rstrip().endswith("Saved. Run `beian chat` again to continue.")


def test_a_filing_not_submitted_yet_is_fixed_with_amend_and_its_drafts_made_again(
    tmp_path: Path,
) -> None:
    """A typo in the drafts had no fix before the submission: /amend said only a returned
    filing could be fixed, /change that it was not certified."""
    first = _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger")
    assert first.returncode == 0, first.stderr
    status = _chat(tmp_path, ["/status"], "--as", "blogger")
    assert "信息有误的，发送 /amend 改好后重新生成文件" in status.stdout
    fixed = _chat(tmp_path, ["/amend", "/edit 网站名称", "小吉的笔记", "确认"], "--as", "blogger")
    assert fixed.returncode == 0, fixed.stdout[-1500:]
    assert "不能修改" not in fixed.stdout and "文件已保存" in fixed.stdout
    assert "还没有向任何网安部门提交：请按新文件" in fixed.stdout  # not 「被退回的，…」
    assert "被退回的" not in fixed.stdout
    assert (
        "（还没有向网安部门提交）" in fixed.stdout and "点各部分" not in fixed.stdout
    )  # no buttons
    (form,) = (tmp_path / "out").glob("备案表-*小吉的笔记*.pdf")  # the new drafts
    assert "小吉的笔记" in squeeze("".join(page_texts(form.read_bytes())))
    # the old drafts, under the old name, were left beside them as if current: set aside
    names = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    old = [n for n in names if "𠮷的笔记" in n]
    assert old and all(n.startswith("作废-") for n in old), names
    assert "旧文件已作废，改名为：作废-备案表-" in fixed.stdout
    assert not [n for n in names if "小吉的笔记" in n and n.startswith("作废-")]


def _return_the_change(tmp_path: Path) -> None:
    """Record, as a reviewer would, that the bureau returned filing 1's reported change."""
    import datetime as dt

    from bot.filing_actions import Reviewers, act
    from dialogs.model import Context
    from models.db import make_engine
    from rules.filing_life import Actor, Role, make_event
    from rules.lifecycle import FilingEvent as E
    from rules.pack import load_pack
    from rules.workdays import WorkdayCalendar

    pack = load_pack("example")
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=dt.date(2026, 11, 28))
    engine = make_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    event = make_event(E.RETURN, Actor(Role.OPERATOR, "test"), ctx.today, reasons=("材料不全",))
    outcome = act(engine, 1, event, ctx=ctx, reviewers=Reviewers(),
                  clock=lambda: dt.datetime(2026, 11, 28, 3, tzinfo=dt.UTC))  # fmt: skip
    assert outcome.done, outcome.refusal
    engine.dispose()


def test_a_returned_change_is_undone_and_can_be_reported_again(tmp_path: Path) -> None:
    """The returned change stayed as the filing's answers (its new name on /status), and the
    same change reported again was 「没有任何信息改变」."""
    first = _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger")
    assert first.returncode == 0, first.stderr
    _certify_all(tmp_path)
    change = ["/change", "/edit 网站名称", "小吉的笔记", "确认", "网站改名", "1"]
    assert _chat(tmp_path, change, "--as", "blogger").returncode == 0
    _return_the_change(tmp_path)
    status = _chat(tmp_path, ["/status"], "--as", "blogger").stdout
    assert "#1 小𠮷的笔记" in status and "小吉的笔记" not in status, status[-600:]
    again = _chat(tmp_path, change, "--as", "blogger")
    assert "没有任何信息改变" not in again.stdout and "已记录变更" in again.stdout, again.stdout[
        -800:
    ]
    assert "网站名称：小𠮷的笔记 → 小吉的笔记" in again.stdout


def test_a_filing_is_changed_after_new_and_an_older_one_by_its_number(tmp_path: Path) -> None:
    """/change and /amend worked on the newest interview only: after /new they said 「还没有已确认
    的备案」, and a first site could never be changed once a second was filed."""
    from tests.dialogs.test_reuse import SECOND_SITE
    from tests.dialogs.transcripts import ENTERPRISE

    assert _chat(tmp_path, [said for said, _ in ENTERPRISE], "--as", "yf").returncode == 0
    _certify_all(tmp_path)
    rename = ["/edit 网站名称", "云帆新官网", "确认", "网站改名", "1"]
    after_new = _chat(tmp_path, ["/new", "/change", *rename], "--as", "yf")
    assert "已记录变更" in after_new.stdout, after_new.stdout[-800:]
    second = ["/new", "企业", "1", *(said for said, _ in SECOND_SITE), "确认提交"]
    assert _chat(tmp_path, second, "--as", "yf").returncode == 0
    _certify_all(tmp_path)
    again = ["/change 1", "/edit 网站名称", "云帆官网", "确认", "网站改名", "1"]
    done = _chat(tmp_path, again, "--as", "yf")
    assert "网站名称：云帆新官网 → 云帆官网" in done.stdout, done.stdout[-800:]
    busy = _chat(tmp_path, ["/new", "企业", "/change 1"], "--as", "yf")
    assert "你还有一份没有完成的新填写" in busy.stdout, busy.stdout[-600:]


def _record(tmp_path: Path, *events: str) -> None:
    """Record bureau outcomes of filing 1 as an operator would (`beian filings record`)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
           "BEIAN_TODAY": "2026-11-28", "BEIAN_PACK": "example"}  # fmt: skip
    for event in events:
        why = ["--reason", "网站名称不符"] if event == "returned" else []
        done = subprocess.run(
            [str(BEIAN), "filings", "record", "1", event, "--on", "2026-11-28", *why],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_site_moved_by_a_change_can_still_be_amended_when_returned_there(
    tmp_path: Path,
) -> None:
    """After a change moved the maintenance to 上海 (its step added after this city's), a
    return there and /amend of the site's name was refused: 「修改不能改变备案地点…请注销」,
    as if the amendment moved the site (the route's order was compared with the steps')."""
    assert _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger").returncode == 0
    _certify_all(tmp_path)
    moved = _chat(tmp_path, ["/change", "3", "1", "2", "上海", "1", "维护团队迁到上海", "1"],
                  "--as", "blogger")  # fmt: skip
    assert "需要向网站系统维护地（上海）" in moved.stdout, moved.stdout[-1500:]
    # the new route as a new site files it (「先到上海备案，再到示例市备案」) was false here
    assert "变更后，网站归以下网安部门管辖" in moved.stdout and "先到" not in moved.stdout
    # the new forms number the bureaus as /status does: this city's certified step first
    (second,) = (tmp_path / "out").glob("备案表-2-上海-*.pdf")
    assert "（第2步）" in squeeze("".join(page_texts(second.read_bytes())))
    assert list((tmp_path / "out").glob("备案表-1-示例市-*.pdf"))
    # what /documents (and a reviewer's PDFs) send: the newest forms, not the void one
    from bot.tg.filings import stored_pdfs
    from models.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    forms = sorted(name for _k, _i, name, _c in stored_pdfs(engine, 1, ["filing-form"]))
    engine.dispose()
    assert [n.split("-")[1] for n in forms] == ["1", "2"], forms
    _record(tmp_path, "change-approved", "submitted", "returned")
    fixed = _chat(tmp_path, ["/amend", "/edit 网站名称", "小吉的笔记", "确认"], "--as", "blogger")
    assert "修改不能改变备案地点" not in fixed.stdout, fixed.stdout[-1500:]
    assert "请在备案系统中同样修改后重新提交" in fixed.stdout
    # an amendment that would move it is refused, and a certified site is sent to /change
    # (not told to cancel its certified filing and file again)
    moved_back = _chat(tmp_path, ["/amend", "/edit 系统维护地", "1", "确认"], "--as", "blogger")
    assert "修改不能改变备案地点" in moved_back.stdout, moved_back.stdout[-1500:]
    assert "/change 报告变更" in moved_back.stdout and "注销" not in moved_back.stdout[-300:]


def test_a_change_out_of_this_city_does_not_first_promise_a_change_report(
    tmp_path: Path,
) -> None:
    """Maintenance to Shanghai, server to Nanjing: the same turn said 「once you confirm the
    change, you are told bureau by bureau…」 and then that it is not a change to report."""
    assert _chat(tmp_path, [said for said, _ in INDIVIDUAL], "--as", "blogger").returncode == 0
    _certify_all(tmp_path)
    said = ["/change", "3", "1", "2", "Shanghai", "4", "1", "2", "Nanjing"]
    out = _chat(tmp_path, said, "--as", "blogger", "--lang", "en").stdout
    after = out[out.index("> Nanjing") :] if "> Nanjing" in out else out
    assert "you are told bureau by bureau" not in after, after[-1200:]
    assert "cancel" in after.lower()  # what it says instead: this city's filing is to end
