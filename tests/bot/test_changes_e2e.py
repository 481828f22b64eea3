"""Changes and cancellation over the local Bot API (issue 14): a certified filing changed in
one conversation (diff, documents, reviewers' card, deadline), a change that moves the server,
a change to an invalid value, a stranger, and 注销 stopping the reminders."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    STRANGER,
    _alerted,
    _beian,
    _bot,
    _last_with_button,
    _newest,
    _press,
    _show,
    _submitted,
    _wait_text,
    fake,  # noqa: F401 - the fixture
)
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import message_text

OFFICER_ID = "330102199001010020"


def _type(api: FakeBotAPI, *texts: str) -> None:
    for text in texts:
        api.push(api.text_update(APPLICANT, text))


def _certified(api: FakeBotAPI) -> None:
    """The individual's filing submitted, passed, materials received and certified."""
    _submitted(api)
    _press(api, REVIEWER, REVIEWER, "初审通过")
    _wait_text(api, APPLICANT, "（含当日）携带盖章（签字）材料")
    _press(api, REVIEWER, REVIEWER, "收到材料")
    _wait_text(api, APPLICANT, "收到材料，应最迟于")
    _press(api, REVIEWER, REVIEWER, "复审通过")
    prompt = _wait_text(api, REVIEWER, "请回复公安备案号")
    api.push(api.text_update(REVIEWER, "京公网安备11010502030143号 SL-1", reply_to=prompt))
    _wait_text(api, APPLICANT, "公安备案号：京公网安备11010502030143号")


def _documents(api: FakeBotAPI) -> list[str]:
    return [c.files[next(iter(c.files))][0] for c in api.calls_of("sendDocument", APPLICANT)]


def _pending_reminders(tmp_path: Path) -> list[Any]:
    with sqlite3.connect(tmp_path / "bot.db") as db:
        return db.execute(
            "select payload from outbox where kind = 'reminder' and status = 'pending'"
        ).fetchall()


def test_a_change_a_route_change_a_refused_value_and_a_cancellation(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _certified(fake)
        # /start once done lists the filings (with their buttons), and says how to begin another.
        after = _newest(fake, APPLICANT)
        _type(fake, "/start")
        _wait_text(fake, APPLICANT, "你的备案如下。要为另一个网站备案，请发送 /new", after)
        listed = _wait_text(fake, APPLICANT, "#1 小𠮷的笔记", after)
        assert "已备案" in message_text(listed)
        # A stranger can neither start a change nor press the applicant's button.
        fake.push(fake.text_update(STRANGER, "/change"))
        _wait_text(fake, STRANGER, "还没有已确认的备案")
        message, data = _last_with_button(fake, APPLICANT, "信息变更")
        fake.push(fake.press_update(STRANGER, message, data))
        _alerted(fake, "不是审核人员")

        # /amend (any spelling) on a certified filing: refused, a change goes through /change.
        after = _newest(fake, APPLICANT)
        _type(fake, "/AMEND")
        _wait_text(
            fake, APPLICANT, "已取得公安备案号，不能再修改；信息有变化时请发送 /change", after
        )

        # The IP and the security officer change, in one conversation.
        before_docs = len(_documents(fake))
        _press(fake, APPLICANT, APPLICANT, "信息变更")
        _wait_text(fake, APPLICANT, "信息变更：这份备案的信息已重新打开")
        _type(fake, "/edit IP", "替换", "47.96.10.21", "完成", "/edit 安全负责人是否为本人")
        _type(fake, "否", "周安", OFFICER_ID, "13900139001", "/skip", "确认")
        diff = _wait_text(fake, APPLICANT, "变更内容（原 → 新）")
        text = message_text(diff)
        assert "IP地址：47.96.12.36 → 47.96.10.21" in text
        assert "安全负责人姓名：林小𠮷 → 周安" in text
        _type(fake, "11月28日 更换服务器和安全负责人")  # the date written first (bot: 11-28)
        _wait_text(fake, APPLICANT, "变更日期：2026年11月28日")
        _press(fake, APPLICANT, APPLICANT, "1. 确认报告变更")
        told = _wait_text(fake, APPLICANT, "已记录变更")
        assert "最迟于2026年12月28日（含当日）" in message_text(told)
        assert "还剩" in message_text(told)
        card = message_text(_wait_text(fake, REVIEWER, "【变更报告"))
        assert "47.96.12.36 → 47.96.10.21" in card and "周安" in card
        assert OFFICER_ID not in card and "13900139001" not in card  # masked in the card
        assert OFFICER_ID[-4:] in card and "9001" in card
        fake.wait_until(lambda: len(_documents(fake)) >= before_docs + 2)
        names = _documents(fake)[before_docs:]
        assert any("变更情况说明" in n for n in names) and any("备案表" in n for n in names)
        assert len(_pending_reminders(tmp_path)) >= 1  # the change report's reminder

        # The reviewer accepts the change: the filing keeps its number.
        edits = len(fake.calls_of("editMessageText", REVIEWER))
        _press(fake, REVIEWER, REVIEWER, "变更审核通过")
        _wait_text(fake, APPLICANT, "已审核通过这次变更")
        # the card says what was pressed (it said 「复审通过，发证」: nothing was re-reviewed)
        fake.wait_until(lambda: [c for c in fake.calls_of("editMessageText", REVIEWER)[edits:]
                                 if "：变更审核通过" in str(c.params.get("text"))])  # fmt: skip
        assert not [c for c in fake.calls_of("editMessageText", REVIEWER)[edits:]
                    if "复审通过，发证" in str(c.params.get("text"))]  # fmt: skip
        shown = _beian(tmp_path, "filings", "show", "1")
        assert "变更审核通过: 已报告变更，待审核 → 已备案" in shown, shown

        # An operator changes the emergency contact's mobile meanwhile (the CLI).
        change = tmp_path / "CHANGE.yaml"
        change.write_text(
            'reason: 应急联系人换号\nset: {"emergency_contact.mobile": "13700137001"}\n',
            encoding="utf-8",
        )
        _beian(tmp_path, "filings", "change", "1", "--file", str(change))

        # An invalid value is refused with the reason; given up, nothing is stored.
        after = _newest(fake, APPLICANT)
        _type(fake, "/change", "/edit IP", "替换", "999.1.1.1")
        _wait_text(fake, APPLICANT, "这个答案不对：IP地址格式不正确", after)
        _type(fake, "/cancel")
        _wait_text(fake, APPLICANT, "已放弃，备案信息保持不变", after)

        # The server moves to Nanjing: the route advice says who must be told.
        after = _newest(fake, APPLICANT)
        _type(fake, "/change", "/edit 服务器所在地", "外地", "南京")
        _type(fake, "/edit 服务器存放地址", "江苏省南京市江宁区云数据中心", "确认", "更换服务器")
        _press(fake, APPLICANT, APPLICANT, "1. 确认报告变更")
        moved = message_text(_wait_text(fake, APPLICANT, "这次变更改变了备案路线", after))
        assert "南京" in moved and "新办理" in moved

        # 注销: the reason, the statement, the reviewers told, every reminder stopped.
        after = _newest(fake, APPLICANT)
        _type(fake, "/close_site")
        prompt = _wait_text(fake, APPLICANT, "确定注销请回复注销原因", after)
        fake.push(fake.text_update(APPLICANT, "取消", reply_to=prompt))  # changed their mind
        _wait_text(fake, APPLICANT, "没有注销，备案保持不变", after)
        after = _newest(fake, APPLICANT)
        _type(fake, "/close_site")
        prompt = _wait_text(fake, APPLICANT, "确定注销请回复注销原因", after)
        fake.push(fake.text_update(APPLICANT, "网站已关闭", reply_to=prompt))
        _wait_text(fake, APPLICANT, "已记录注销", after)
        fake.wait_until(lambda: any("注销情况说明" in n for n in _documents(fake)))
        _wait_text(fake, REVIEWER, "【注销】")
        fake.wait_until(lambda: not _pending_reminders(tmp_path))
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert shown["status"] == "cancelled"
    assert shown["answers"]["website"]["ips"] == ["47.96.10.21"]  # the refused value: not kept
    kinds = [(v["kind"], v["reason"]) for v in shown["history"]]
    assert kinds == [
        ("created", None),
        ("changed", "更换服务器和安全负责人"),
        ("changed", "应急联系人换号"),
        ("changed", "更换服务器"),
    ]
    # the operator's change stayed: the chat's change recorded only what the applicant changed
    assert shown["answers"]["emergency_contact"]["mobile"] == "13700137001"
    assert "emergency_contact.mobile" not in {c["field"] for c in shown["history"][3]["changes"]}
    first = {c["field"]: c for c in shown["history"][1]["changes"]}
    assert first["website.ips"]["old"] == ["47.96.12.36"]
    assert first["website.ips"]["new"] == ["47.96.10.21"]
    assert first["security_officer.name"]["new"] == "周安"
    assert shown["history"][1]["changed_on"] == "2026-11-28"
    assert shown["history"][1]["actor"] == shown["history"][0]["actor"]  # the applicant
    log = bot.log.read_text(encoding="utf-8")
    assert OFFICER_ID not in log
