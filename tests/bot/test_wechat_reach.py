"""How the WeChat channel reaches an applicant and what they can do there (issue 29, the
gaps): reminders past the 48-hour window as subscription messages (then template ones),
`beian remind --once` for WeChat applicants (killed mid-run: nothing sent twice but the send
in flight), the filing's actions as text links recorded through the same rules as Telegram's
buttons, and the English menu. In process with a frozen clock, or `beian` in a subprocess,
against the stand-in (tests/fakes/wechat.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import time
from pathlib import Path

from sqlmodel import col, select

from bot.wx.app import english_menu, menu, set_menus
from bot.wx.channel import WeChatChannel
from bot.wx.outbound import Outbound
from bot.wx.reminders import fit, subscription_data
from models.database import Database
from models.db import session_scope
from models.tables import Filing, OutboxMessage
from rules.enums import FilingStatus, OutboxStatus
from tests.bot.test_wechat_outbound import SHANGHAI, Clock, _channel, _say, fake
from tests.dialogs.transcripts import GOVERNMENT
from tests.fakes.driver import BEIAN
from tests.fakes.wechat import APP_ID, APP_SECRET, FakeWeChat, event_xml, text_xml

__all__ = ["fake"]  # the stand-in's fixture, shared with test_wechat_outbound

ALICE = "oAlice0000000000000000000001"
BOB = "oBob00000000000000000000000002"
LINK = re.compile(
    r'<a href="weixin://bizmsgmenu\?msgmenucontent=([^&"]+)&msgmenuid=\d+">([^<]+)</a>'
)


async def _interview(channel: WeChatChannel, openid: str, first_id: int) -> None:
    await _say(channel, event_xml(openid, "subscribe", created=first_id))
    for number, (said, _) in enumerate(GOVERNMENT, start=1):
        await _say(channel, text_xml(openid, said, first_id + number))


def _links(text: str) -> dict[str, str]:
    """The text links of a message: label → what tapping it sends."""
    return {label: content for content, label in LINK.findall(text)}


def _filing(db: Database, openid: str) -> Filing:
    with session_scope(db.engine) as session:
        found = [f for f in session.exec(select(Filing)) if f.site_name]
        for filing in found:
            session.expunge(filing)
    from models.filings import applicant_by_channel

    with session_scope(db.engine) as session:
        applicant = applicant_by_channel(session, "wechat", openid)
        assert applicant is not None
        return next(f for f in found if f.applicant_id == applicant.id)


def test_reminders_past_the_window_go_as_subscription_messages_then_template_ones(
    fake: FakeWeChat, db_url: str
) -> None:
    clock = Clock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    channel, db = _channel(fake, db_url, clock)

    async def scenario() -> None:
        await _interview(channel, ALICE, 9000)
        outbound = Outbound(channel, "TPL_REMINDER", "TPL_SUBSCRIBE")
        # inside the window: a customer-service message with the link of the action it names
        clock.at = dt.datetime(2026, 11, 29, 12, 5, tzinfo=SHANGHAI)
        before = len(fake.sent)
        assert await outbound.send_reminders() == 1
        reminder = fake.sent[before]
        assert (reminder.openid, reminder.kind) == (ALICE, "text")
        assert "“已在备案系统提交”" in reminder.text
        assert "已在备案系统提交" in _links(reminder.text)
        # the window closed, the person accepted the subscription: a subscription message
        fake.closed.add(ALICE)
        fake.subscribe(ALICE)
        clock.at = dt.datetime(2026, 12, 1, 12, 5, tzinfo=SHANGHAI)
        before = len(fake.sent)
        assert await outbound.send_reminders() == 1
        sent = fake.sent[before]
        assert (sent.openid, sent.kind) == (ALICE, "subscription")
        assert sent.payload["template_id"] == "TPL_SUBSCRIBE"
        data = sent.payload["data"]
        assert data["thing1"]["value"] == "示例市图书馆"
        assert data["thing2"]["value"] == "网站安全备案提交截止"
        assert data["time3"]["value"] == "2026年12月2日"
        # not accepted (any more): WeChat says 43101, the template message goes instead
        fake.subscribed.clear()
        clock.at = dt.datetime(2026, 12, 2, 12, 5, tzinfo=SHANGHAI)
        before = len(fake.sent)
        assert await outbound.send_reminders() == 1
        template = fake.sent[before]
        assert template.kind == "template"
        assert "2026年12月2日" in template.text
        assert "点“" not in template.text  # it names no button: it carries none
        assert ("subscription", 43101) in fake.refusals
        assert await outbound.send_reminders() == 0  # each once
        # neither set: failed with WeChat's code, not sent
        clock.at = dt.datetime(2026, 12, 3, 12, 5, tzinfo=SHANGHAI)
        assert await Outbound(channel).send_reminders() == 0
        with session_scope(db.engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
            failed = [r for r in rows if r.status is OutboxStatus.FAILED]
        assert [r.last_error for r in failed] == ["wechat 45015"]
        assert not [r for r in fake.refusals if r[1] == 47003]  # every value fit its key

    try:
        asyncio.run(scenario())
    finally:
        db.close()


def test_subscription_values_fit_wechats_limits() -> None:
    long_site = "一个名字非常非常长的网站用来检验二十个字以内的限制是否生效"
    data = subscription_data(("thing1", "thing2", "time3"), long_site, "icon",
                             dt.date(2026, 12, 1), dt.date(2026, 12, 9), "zh")  # fmt: skip
    assert len(data["thing1"]["value"]) == 20
    assert data["thing2"]["value"] == "放置备案图标"
    assert data["time3"]["value"] == "2026年12月9日"  # no deadline of its own: the day it goes
    assert fit("character_string4", "a\nb " * 20) == ("a b " * 8)[:31] + "…"


def test_the_filings_actions_are_links_recorded_through_the_same_rules(
    fake: FakeWeChat, db_url: str
) -> None:
    clock = Clock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    channel, db = _channel(fake, db_url, clock)

    async def status(openid: str, ident: int) -> str:
        before = len(fake.texts_to(openid))
        await _say(channel, event_xml(openid, "CLICK", "status", created=ident))
        return "\n".join(fake.texts_to(openid)[before:])

    async def tap(openid: str, content: str, ident: int) -> str:
        before = len(fake.texts_to(openid))
        await _say(channel, text_xml(openid, content, ident))
        return "\n".join(fake.texts_to(openid)[before:])

    async def scenario() -> None:
        await _interview(channel, ALICE, 9000)
        await _interview(channel, BOB, 9500)
        shown = await status(ALICE, 1)
        links = _links(shown)
        assert {"已在备案系统提交", "重新发送文件"} <= set(links), shown
        assert "Traceback" not in shown
        submit = links["已在备案系统提交"]
        # Bob taps (or types) Alice's link: not his filing
        assert "没有找到这份备案" in await tap(BOB, submit, 2)
        # 注销 asks for the reason with the reference to type before it
        cancel = links.get("注销备案") or next(c for label, c in links.items() if "注销" in label)
        asked = await tap(ALICE, cancel, 3)
        ref = re.search(r"F\d+\.\d+\.cancel", cancel)
        assert ref is not None and f"{ref.group(0)} 注销原因" in asked
        # 已在备案系统提交: recorded, the filing's status with its next links
        told = await tap(ALICE, submit, 4)
        assert "✔" in told and "Traceback" not in told
        assert _filing(db, ALICE).status is FilingStatus.SUBMITTED
        assert "已在备案系统提交" not in _links(told)  # the next links, not the done one
        # the same link again (a version ago): refused, nothing recorded twice
        again = await tap(ALICE, submit, 5)
        assert "无需重复操作" in again
        # the documents again, as fresh links
        resend = _links(told)["重新发送文件"]
        assert "/wechat/files/" in await tap(ALICE, resend, 6)
        # the bureau's outcomes, recorded by the applicant (no reviewer registered here)
        told = await tap(ALICE, _links(told)["登记结果：初审已通过"], 10)
        assert _filing(db, ALICE).status is FilingStatus.INITIAL_REVIEW_PASSED, told
        told = await tap(ALICE, _links(told)["登记：材料已送达网安部门"], 11)
        assert _filing(db, ALICE).status is FilingStatus.MATERIALS_RECEIVED, told
        certify = _links(told)["登记结果：复审通过，已发证"]
        asked = await tap(ALICE, certify, 12)  # the numbers are asked for
        ref = re.search(r"F\d+\.\d+\.certify", certify)
        assert ref is not None and f"{ref.group(0)} 公安备案号" in asked
        told = await tap(ALICE, f"{ref.group(0)} 沪公网安备31010102030143号 SL-2026-001", 13)
        filing = _filing(db, ALICE)  # the first bureau's step certified, the second's next
        assert filing.psb_number == "沪公网安备31010102030143号", told
        assert "已备案" in told
        told = await tap(ALICE, _links(told)["已放置图标"], 14)
        assert "已记录：备案图标已放置" in told
        assert "已放置图标" not in _links(told)
        # typed by hand, words after the reference: a date that is no date is asked again
        filing = _filing(db, BOB)
        online = f"F{filing.id}.{filing.version}.on 明年某天"
        assert "没有看懂这个日期" in await tap(BOB, online, 7)
        # a return recorded by Bob, its reasons typed after the reference
        told = await tap(BOB, _links(await status(BOB, 20))["已在备案系统提交"], 21)
        returned = _links(told)["登记结果：被退回整改"]
        assert "退回整改的原因" in await tap(BOB, returned, 22)
        ref = re.search(r"F\d+\.\d+\.return", returned)
        assert ref is not None
        told = await tap(BOB, f"{ref.group(0)} 网站首页未放置备案号", 23)
        assert _filing(db, BOB).status is FilingStatus.RETURNED, told
        assert "修改信息" in _links(told)

        closing = await tap(BOB, "/close_site", 8)
        assert "注销" in closing and _links(closing)

    try:
        asyncio.run(scenario())
    finally:
        db.close()


def test_the_menus_chinese_and_english_for_clients_set_to_english(fake: FakeWeChat) -> None:
    from bot.wx.api import Client, WeChatApi

    api = WeChatApi(Client(APP_ID, APP_SECRET, fake.base_url))

    async def twice() -> None:
        await set_menus(api)
        await set_menus(api)  # a restart: the English menu is not added twice

    asyncio.run(twice())
    assert fake.menus[-1] == menu()
    assert len(fake.conditional_menus) == 1
    english = fake.conditional_menus[0]
    assert english == english_menu()
    assert english["matchrule"] == {"language": "en"}
    assert [b["name"] for b in english["button"]] == ["Status", "Files", "More"]
    assert [b["key"] for b in english["button"][:2]] == ["status", "documents"]
    assert not fake.refusals


# --- `beian remind --once` ----------------------------------------------------------------------


def _remind(
    fake: FakeWeChat, url: str, now: str, cwd: Path, how: str = "--once"
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BEIAN_PACK": "example",
        "BEIAN_NOW": now,
        "BEIAN_INSTANCE": "cron-1",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": fake.base_url,
        "WECHAT_SUBSCRIBE_TEMPLATE": "TPL_SUBSCRIBE",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.Popen(
        [str(BEIAN), "remind", how, "--json"], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_remind_once_sends_wechat_applicants_reminders_and_a_kill_repeats_none(
    fake: FakeWeChat, db_url: str, tmp_path: Path
) -> None:
    clock = Clock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    channel, db = _channel(fake, db_url, clock)

    async def interviews() -> None:
        await _interview(channel, ALICE, 9000)
        await _interview(channel, BOB, 9500)

    try:
        asyncio.run(interviews())
    finally:
        db.close()
    alice, bob = len(fake.texts_to(ALICE)), len(fake.texts_to(BOB))
    # --dry-run shows the WeChat applicants' reminders --once is about to send
    shown, err = _remind(fake, db_url, "2026-11-29T12:05:00+08:00", tmp_path,
                         "--dry-run").communicate(timeout=120)  # fmt: skip
    planned = json.loads(shown)
    assert [(p["to"], p["kind"], p["due"]) for p in planned] == [
        ("applicant", "filing", "2026-12-02")
    ] * 2, err
    assert len(fake.sent) == alice + bob  # nothing sent
    # Bob's reminder hangs in WeChat when the run is killed; Alice's went before it
    fake.hang.add(BOB)
    run = _remind(fake, db_url, "2026-11-29T12:05:00+08:00", tmp_path)
    end = time.monotonic() + 60
    while fake.held == 0 and time.monotonic() < end and run.poll() is None:
        time.sleep(0.02)
    assert fake.held == 1, run.communicate()
    run.kill()
    run.wait(30)
    fake.hang.discard(BOB)
    assert len(fake.texts_to(ALICE)) == alice + 1
    check = Database(db_url)
    try:
        with session_scope(check.engine) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "reminder", OutboxMessage.channel == "wechat")
                .where(col(OutboxMessage.status) != OutboxStatus.CANCELLED)
                .where(col(OutboxMessage.claimed_by) == "cron-1")
            ).all()
            states = sorted(r.status.value for r in rows)
        assert states == ["pending", "sent"]  # Alice's marked right after its send
    finally:
        check.close()
    # the same instance again: Bob's reminder goes, Alice's is not repeated
    rerun = _remind(fake, db_url, "2026-11-29T12:06:00+08:00", tmp_path)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert json.loads(out)["sent"] == 1
    assert len(fake.texts_to(ALICE)) == alice + 1
    assert len(fake.texts_to(BOB)) == bob + 1
    assert "2026年12月2日" in fake.texts_to(BOB)[-1]
    assert "Traceback" not in err
