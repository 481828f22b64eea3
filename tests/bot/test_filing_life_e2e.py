"""The filing's life over the local Bot API (issue 12): the applicant and a reviewer as
separate users, acting from their chats; refusals for whoever does not belong."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess, message_text

APPLICANT, REVIEWER, STRANGER = 8101, 9101, 8102
ID_NUMBER = "330106198506120015"  # the individual example's ID number


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _bot(fake: FakeBotAPI, tmp_path: Path, reviewers: str) -> BotProcess:
    return BotProcess(fake, tmp_path, env={"BEIAN_REVIEWERS": reviewers}).start()


def _last_with_button(fake: FakeBotAPI, chat: int, label: str) -> tuple[dict[str, Any], str]:
    def found() -> tuple[dict[str, Any], str] | None:
        for message in reversed(fake.chat_messages(chat)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"].startswith(label):
                        return message, button["callback_data"]
        return None

    result: tuple[dict[str, Any], str] = fake.wait_until(found)
    return result


def _press(fake: FakeBotAPI, user: int, chat: int, label: str) -> tuple[dict[str, Any], str]:
    message, data = _last_with_button(fake, chat, label)
    fake.push(fake.press_update(user, message, data))
    return message, data


def _wait_text(fake: FakeBotAPI, chat: int, fragment: str, after: int = 0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for message in fake.chat_messages(chat):
            if message["message_id"] > after and fragment in message_text(message):
                return message
        return None

    result: dict[str, Any] = fake.wait_until(found, 30)
    return result


def _alerted(fake: FakeBotAPI, fragment: str) -> None:
    """Wait until a button press is answered with an alert containing `fragment`."""
    fake.wait_until(
        lambda: any(
            fragment in str(c.params.get("text", "")) for c in fake.calls_of("answerCallbackQuery")
        )
    )


def _submitted(fake: FakeBotAPI, card_chat: int = REVIEWER) -> dict[str, Any]:
    """The individual's interview, then 已在备案系统提交; return the reviewers' card."""
    _interview(fake, APPLICANT)
    _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
    return _wait_text(fake, card_chat, "【已在备案系统提交】")


def _newest(fake: FakeBotAPI, chat: int) -> int:
    messages = fake.chat_messages(chat)
    return messages[-1]["message_id"] if messages else 0


# The documents each example gets: four, and a second filing form for a two-city route.
DOCUMENTS = {"individual": 4, "enterprise": 5, "government": 5}


def _interview(fake: FakeBotAPI, user: int, kind: str = "individual") -> None:
    for text in ["/start", *(s for s, _ in SUBMITTING[kind])]:
        fake.push(fake.text_update(user, text))
    fake.wait_until(lambda: len(fake.calls_of("sendDocument", user)) >= DOCUMENTS[kind], 90)
    _last_with_button(fake, user, "已在备案系统提交")  # the status after the documents


def _beian(tmp_path: Path, *args: str) -> str:
    """Run the operators' CLI on the bot's database; return what it printed."""
    done = subprocess.run(
        [str(BEIAN), *args],
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "PATH": "/usr/bin:/bin",
            "BEIAN_DATA_KEY": os.environ["BEIAN_DATA_KEY"],  # the bot's (tests/conftest.py)
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _show(tmp_path: Path, filing_id: int = 1) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(
        _beian(tmp_path, "filings", "show", str(filing_id), "--json")
    )
    return shown


def test_submit_return_resubmit_pass_materials_certify_with_a_reviewer(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card = _wait_text(fake, REVIEWER, "【已在备案系统提交】")
        text = message_text(card)
        assert "小𠮷的笔记" in text and "第1/1步" in text and "初审期限" in text
        assert ID_NUMBER not in text and ID_NUMBER[-4:] in text  # masked, last 4 kept
        _wait_text(fake, APPLICANT, "应最迟于2026年12月4日（含当日）完成初审")
        # the applicant cannot record the bureau's outcome where reviewers decide
        buttons = [
            b["text"]
            for m in fake.chat_messages(APPLICANT)
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]
        assert not any(b.startswith("初审通过") for b in buttons)

        # a stranger pressing the reviewer's card (in the reviewer's chat) is refused
        old_card, old_data = _last_with_button(fake, REVIEWER, "初审通过")
        fake.push(fake.press_update(STRANGER, old_card, old_data))
        _alerted(fake, "不是审核人员")

        _press(fake, REVIEWER, REVIEWER, "退回整改")
        _press(fake, REVIEWER, REVIEWER, "网站名称与ICP备案不一致")
        _wait_text(fake, APPLICANT, "退回整改，原因：网站名称与ICP备案不一致")
        # the old card's 初审通过, pressed after the filing moved on: refused, with who did it
        fake.push(fake.press_update(REVIEWER, old_card, old_data))
        _alerted(fake, "你已经处理过这份备案（现在是“被退回整改”）")  # their own return

        before = _newest(fake, REVIEWER)
        _press(fake, APPLICANT, APPLICANT, "整改后重新提交")
        _wait_text(fake, REVIEWER, "【整改后重新提交】", before)
        _press(fake, REVIEWER, REVIEWER, "初审通过")
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
        _press(fake, REVIEWER, REVIEWER, "收到材料")
        _wait_text(fake, APPLICANT, "收到材料，应最迟于")
        _press(fake, REVIEWER, REVIEWER, "复审通过")
        prompt = _wait_text(fake, REVIEWER, "请回复公安备案号")
        fake.push(fake.text_update(REVIEWER, "京公网安备123号", reply_to=prompt))
        _wait_text(fake, REVIEWER, "公安备案号")  # refused: the number is checked
        fake.push(
            fake.text_update(REVIEWER, "京公网安备11010502030143号 SL-2026-001", reply_to=prompt)
        )
        done = _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
        assert "图标" in message_text(done)
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert shown["status"] == "certified" and shown["psb_number"] == "京公网安备11010502030143号"
    trail = [(e["from"], e["to"], e["actor"]) for e in shown["events"]]
    assert trail[0][2].startswith("applicant:")
    assert trail == [
        (None, "prepared", trail[0][2]),
        ("prepared", "submitted", trail[0][2]),  # one name for the applicant throughout
        ("submitted", "returned", f"reviewer:{REVIEWER}"),
        ("returned", "resubmitted", trail[0][2]),
        ("resubmitted", "initial_review_passed", f"reviewer:{REVIEWER}"),
        ("initial_review_passed", "materials_received", f"reviewer:{REVIEWER}"),
        ("materials_received", "certified", f"reviewer:{REVIEWER}"),
    ]
    assert shown["events"][2]["reason"] == "网站名称与ICP备案不一致"
    log = bot.log.read_text(encoding="utf-8")
    assert ID_NUMBER not in log and "refused" in log


def test_without_reviewers_the_applicant_records_the_outcomes_self_reported(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(fake, tmp_path, "")
    try:
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, APPLICANT, "完成初审")
        _press(fake, APPLICANT, APPLICANT, "登记结果：初审已通过")
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
        assert fake.chat_messages(REVIEWER) == []  # nobody to send a card to
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert shown["status"] == "initial_review_passed"
    assert "申请人自报" in (shown["events"][-1]["reason"] or "")


def test_status_lists_the_filing_and_redelivered_presses_change_nothing(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT)
        message, data = _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, REVIEWER, "【已在备案系统提交】")
        press = fake.press_update(APPLICANT, message, data)
        fake.push(press)  # the same press again (as a second update): refused, not applied
        fake.push(press)  # and the very same update redelivered: dropped by the inbox
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "/status"))
        status = _wait_text(fake, APPLICANT, "#1", before)
        assert "已提交，待初审" in message_text(status)
        fake.push(fake.text_update(STRANGER, "/status"))  # another applicant: no filing of theirs
        fake.wait_until(lambda: fake.chat_messages(STRANGER))
        assert all("#1 " not in message_text(m) for m in fake.chat_messages(STRANGER))
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert [e["to"] for e in shown["events"]] == ["prepared", "submitted"]


GROUP, SECOND, THIRD = -100777, 9102, 9103


def test_two_reviewers_pressing_at_once_in_the_review_group_one_wins(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = BotProcess(
        fake,
        tmp_path,
        env={"BEIAN_REVIEWERS": f"{REVIEWER},{SECOND}", "BEIAN_REVIEW_CHAT": str(GROUP)},
    ).start()
    try:
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card = _wait_text(fake, GROUP, "【已在备案系统提交】")
        assert fake.chat_messages(REVIEWER) == []  # cards go to the group, not privately
        # the card is masked; what the applicant filed (the forms, with full numbers) goes to
        # a reviewer privately on request (私发PDF给我: tests/bot/test_review_pdfs.py)
        assert "私发PDF给我" in message_text(card)
        assert fake.calls_of("sendDocument", GROUP) == []
        message, data = _last_with_button(fake, GROUP, "初审通过")
        assert message["message_id"] == card["message_id"]
        fake.push(fake.press_update(REVIEWER, message, data))
        fake.push(fake.press_update(SECOND, message, data))  # the same card, at once
        _alerted(fake, "已由")
        # a non-reviewer in the group is refused
        fake.push(fake.press_update(STRANGER, message, data))
        _alerted(fake, "不是审核人员")
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
        checklist = fake.wait_until(
            lambda: [
                c
                for c in fake.calls_of("sendDocument", APPLICANT)
                if "复审材料清单" in next(iter(c.files.values()))[0]
            ][1:]  # sent with the documents, and again with the pass
        )
        assert checklist
        # the certificate asked and given in the group, in reply to the bot's prompt
        _press(fake, REVIEWER, GROUP, "收到材料")
        _wait_text(fake, APPLICANT, "收到材料，应最迟于")
        card, _ = _press(fake, SECOND, GROUP, "复审通过")
        prompt = _wait_text(fake, GROUP, "请回复公安备案号")
        fake.push(
            fake.text_update(SECOND, "京公网安备11010502030143号", chat_id=GROUP, reply_to=prompt)
        )
        _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
        # the card pressed says what was done and offers no 复审通过 now (it kept 材料已收到,
        # 待复审 and its buttons: the typed answer never redrew it)
        drawn = fake.wait_until(lambda: next((m for m in fake.chat_messages(GROUP)
                                              if m["message_id"] == card["message_id"]
                                              and "已备案" in message_text(m)), None))  # fmt: skip
        assert "：复审通过，发证" in message_text(drawn)
        assert "复审通过" not in str(drawn.get("reply_markup"))
        # one who is not (or no longer) a reviewer replying to a prompt is told, not ignored
        fake.push(fake.text_update(STRANGER, "京公网安备11010502030199号", chat_id=GROUP,
                                   reply_to=prompt))  # fmt: skip
        _wait_text(fake, GROUP, "你不是审核人员（或已被移除）")
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    passes = [e for e in shown["events"] if e["to"] == "initial_review_passed"]
    assert len(passes) == 1  # one of the two presses won
    assert shown["events"][-1]["actor"] == f"reviewer:{SECOND}"


def test_a_two_bureau_route_our_reviewers_act_on_our_step_only(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """Maintained here, server in 杭州: step 1 is ours, step 2 is self-reported."""
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT, "enterprise")
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card = message_text(_wait_text(fake, REVIEWER, "【已在备案系统提交】"))
        assert "第1/2步" in card and "第2/2步" in card
        for label in ("初审通过", "收到材料"):
            _press(fake, REVIEWER, REVIEWER, label)
            fake.wait_until(lambda: fake.calls_of("answerCallbackQuery"))
        _wait_text(fake, APPLICANT, "收到材料，应最迟于")
        _press(fake, REVIEWER, REVIEWER, "复审通过")
        prompt = _wait_text(fake, REVIEWER, "请回复公安备案号")
        fake.push(fake.text_update(REVIEWER, "京公网安备11010502030143号", reply_to=prompt))
        done = _wait_text(fake, APPLICANT, "下一步：到第2步")
        assert "服务器托管地（杭州）" in message_text(done)
        _wait_text(fake, REVIEWER, "【复审通过，发证】")  # the last card of our step
        before = _newest(fake, REVIEWER)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, APPLICANT, "向服务器托管地（杭州）的公安网安部门提交")
        _press(fake, APPLICANT, APPLICANT, "登记结果：初审已通过")
        _wait_text(fake, APPLICANT, "已记录：初审通过")
        assert _newest(fake, REVIEWER) == before  # no card for the bureau elsewhere
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "/status"))
        listed = message_text(_wait_text(fake, APPLICANT, "#1", before))
        assert "▶ 第2/2步" in listed
        docs = len(fake.calls_of("sendDocument", APPLICANT))
        fake.push(fake.text_update(APPLICANT, "/documents"))
        fake.wait_until(lambda: len(fake.calls_of("sendDocument", APPLICANT)) >= docs + 5)
        resent = fake.calls_of("sendDocument", APPLICANT)[docs:]
        assert all(c.params.get("caption") for c in resent)  # re-sent PDFs say what they are
        # /status and /documents answer with the filing and its files, no stray /new line
        after = [m for m in fake.chat_messages(APPLICANT) if m["message_id"] > before]
        assert not any("新的网站备案" in message_text(m) for m in after)
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    steps = shown["steps"]
    assert [s["status"] for s in steps] == ["certified", "initial_review_passed"]
    assert "申请人自报" in (shown["events"][-1]["reason"] or "")


def test_forged_filing_buttons_are_refused_and_logged(fake: FakeBotAPI, tmp_path: Path) -> None:
    from bot.tg.ui import _SEP

    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT)
        message, data = _last_with_button(fake, APPLICANT, "已在备案系统提交")
        asking, code, signature = data.split(_SEP)
        forged = _SEP.join([asking, code, "0" * len(signature)])  # a signature not ours
        fake.push(fake.press_update(APPLICANT, message, forged))
        other = _SEP.join(["F2.1", code, signature])  # another filing, the same signature
        fake.push(fake.press_update(APPLICANT, message, other))
        fake.wait_until(
            lambda: (
                sum(
                    "按钮已失效" in str(c.params.get("text", ""))
                    for c in fake.calls_of("answerCallbackQuery")
                )
                >= 2
            )
        )
        assert fake.chat_messages(REVIEWER) == []  # nothing was submitted
    finally:
        assert bot.stop() == 0, bot.output()
    assert [e["to"] for e in _show(tmp_path)["events"]] == ["prepared"]
    assert "a button not made for user" in bot.log.read_text(encoding="utf-8")


def test_maintained_elsewhere_the_first_step_is_self_reported_then_ours_is_reviewed(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """Maintained in 上海, server here: 上海's step is the applicant's to record, ours gets
    a card once 上海 certified."""
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT, "government")
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, APPLICANT, "向网站系统维护地（上海）的公安网安部门提交")
        assert fake.chat_messages(REVIEWER) == []  # 上海's step: no card here
        for label, said in (
            ("登记结果：初审已通过", "已记录：初审通过"),
            ("登记：材料已送达网安部门", "已记录：材料已于"),
        ):
            _press(fake, APPLICANT, APPLICANT, label)
            _wait_text(fake, APPLICANT, said)
        _press(fake, APPLICANT, APPLICANT, "登记结果：复审通过，已发证")
        prompt = _wait_text(fake, APPLICANT, "请回复公安备案号")
        fake.push(fake.text_update(APPLICANT, "沪公网安备31011502000001号", reply_to=prompt))
        _wait_text(fake, APPLICANT, "下一步：到第2步的示例市公安局")
        assert fake.chat_messages(REVIEWER) == []
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card = message_text(_wait_text(fake, REVIEWER, "【已在备案系统提交】"))
        assert "▶ 第2/2步" in card and "沪公网安备31011502000001号" in card
    finally:
        assert bot.stop() == 0, bot.output()
    last = _show(tmp_path)["events"][-1]
    assert (last["from"], last["to"]) == ("prepared", "submitted")  # step 2 began anew
    assert (last["reason"] or "").startswith("第2步（示例市公安局")


def test_a_returned_filing_is_fixed_in_two_fields_then_resubmitted_and_passed(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _submitted(fake)
        _press(fake, REVIEWER, REVIEWER, "退回整改")
        _press(fake, REVIEWER, REVIEWER, "网站名称与ICP备案不一致")
        _wait_text(fake, APPLICANT, "退回整改，原因")
        before = _newest(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "修改信息")
        _wait_text(fake, APPLICANT, "请核对", before)
        reopened = message_text(_wait_text(fake, APPLICANT, "重新打开这份被退回的备案", before))
        assert "按退回的原因修改" in reopened and "还没有" not in reopened
        for said, value in (("/edit 网站名称", "小吉的笔记"), ("/edit 邮政编码", "310013")):
            before = _newest(fake, APPLICANT)
            fake.push(fake.text_update(APPLICANT, said))
            _wait_text(fake, APPLICANT, "", before)  # the question asked again
            before = _newest(fake, APPLICANT)
            fake.push(fake.text_update(APPLICANT, value))
            _wait_text(fake, APPLICANT, "请核对", before)
        documents = len(fake.calls_of("sendDocument", APPLICANT))
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "确认提交"))
        amended = message_text(_wait_text(fake, APPLICANT, "已按修改生成新的文件"))
        assert "重新提交" in amended and "还没有" not in amended  # returned: not "not submitted"
        fake.wait_until(lambda: len(fake.calls_of("sendDocument", APPLICANT)) >= documents + 4)
        _wait_text(fake, APPLICANT, "#1 小吉的笔记", before)  # its status, after the documents
        before = _newest(fake, REVIEWER)
        _press(fake, APPLICANT, APPLICANT, "整改后重新提交")
        card = message_text(_wait_text(fake, REVIEWER, "【整改后重新提交】", before))
        assert "小吉的笔记" in card
        _press(fake, REVIEWER, REVIEWER, "初审通过")
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert shown["site_name"] == "小吉的笔记"
    assert shown["answers"]["subject"]["postcode"] == "310013"
    assert [e["to"] for e in shown["events"]] == [
        "prepared", "submitted", "returned", "resubmitted", "initial_review_passed",
    ]  # fmt: skip


def test_a_reviewer_invite_link_works_once(fake: FakeBotAPI, tmp_path: Path) -> None:
    bot = _bot(fake, tmp_path, "")
    try:
        link = _beian(tmp_path, "reviewers", "invite", "--name", "王审核").splitlines()[0]
        other = _beian(tmp_path, "reviewers", "invite", "--name", "李审核").splitlines()[0]
        fake.push(fake.text_update(REVIEWER, link))
        _wait_text(fake, REVIEWER, "已登记为审核人员")
        # a reviewer opening another's invite (posted in the group) neither uses it up nor is
        # renamed: it used to be burnt, the reviewer renamed 李审核
        fake.push(fake.text_update(REVIEWER, other))
        _wait_text(fake, REVIEWER, "你已经是审核人员，这个邀请链接没有用掉")
        assert "王审核" in _beian(tmp_path, "reviewers", "list")
        # the /start README asks of a reviewer: a reviewer's greeting, not the interview
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "/start"))
        greeting = message_text(_wait_text(fake, REVIEWER, "你是审核人员", before))
        assert "/new" in greeting
        assert not any("我是备案助手" in message_text(m) for m in fake.chat_messages(REVIEWER))
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "/new"))  # their own site: the interview
        _wait_text(fake, REVIEWER, "我是备案助手", before)
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, SUBMITTING["individual"][0][0]))  # a first answer
        fake.wait_until(lambda: _newest(fake, REVIEWER) > before, 30)
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "/start"))  # filing now: /start goes on with it
        fake.wait_until(lambda: _newest(fake, REVIEWER) > before, 30)
        assert "你是审核人员" not in message_text(fake.chat_messages(REVIEWER)[-1])
        fake.push(fake.text_update(THIRD, other))
        _wait_text(fake, THIRD, "已登记为审核人员")
        fake.push(fake.text_update(SECOND, link))  # used already
        _wait_text(fake, SECOND, "邀请链接无效或已过期")
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, REVIEWER, "【已在备案系统提交】")  # the new reviewer gets the card
        assert not any("已登记为审核人员" in message_text(m) for m in fake.chat_messages(SECOND))
    finally:
        assert bot.stop() == 0, bot.output()


def test_cancelling_asks_for_the_reason_and_tells_the_reviewers(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        fake.push(fake.text_update(REVIEWER, "/start"))  # seeded by BEIAN_REVIEWERS: known
        _wait_text(fake, REVIEWER, "你是审核人员")  # at once, not after the roster's next read
        _submitted(fake)
        _press(fake, APPLICANT, APPLICANT, "注销")
        prompt = _wait_text(fake, APPLICANT, "确定注销请回复注销原因")
        assert [e["to"] for e in _show(tmp_path)["events"]] == ["prepared", "submitted"]
        fake.push(fake.text_update(APPLICANT, "网站已关闭", reply_to=prompt))
        _wait_text(fake, REVIEWER, "【注销】")
        _wait_text(fake, APPLICANT, "已记录注销")
    finally:
        assert bot.stop() == 0, bot.output()
    last = _show(tmp_path)["events"][-1]
    assert (last["to"], last["reason"]) == ("cancelled", "网站已关闭")


def test_a_notice_to_a_chat_that_blocked_the_bot_is_given_up_not_retried(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    import sqlalchemy as sa

    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT)
        fake.fail("sendMessage", 403)  # the applicant's update: the bot was blocked meanwhile
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, REVIEWER, "【已在备案系统提交】")  # the card still goes
    finally:
        assert bot.stop() == 0, bot.output()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT chat_id, status FROM outbox WHERE kind = 'notice' ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(APPLICANT, "failed"), (REVIEWER, "sent")]
