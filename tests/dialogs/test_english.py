"""An English applicant reads English (issue 25, item 18): the three example interviews typed
in English, with /help, /status and a wrong answer at every question, the summary, a change
and /new — no Chinese in any reply but the applicant's own answers and the names listed here.
"""

from __future__ import annotations

import re

import pytest

from dialogs.engine import begin, handle
from dialogs.model import Context, Input, Stage
from tests.dialogs.conftest import shown
from tests.dialogs.transcripts import SUBMITTING

# What an English applicant types where the Chinese transcripts choose or command in Chinese;
# everything else typed (names, addresses, numbers) is the applicant's own answer.
IN_ENGLISH = {
    "企叶": "enterprize",  # a typo still picks Enterprise
    "本市": "this city",
    "本地": "here",
    "外地": "elsewhere",
    "２": "2",
    "2026年11月20日": "Nov 20",
    "11月25日": "Nov 25",
    "事业单位": "government",
    "个人网站": "personal",
    "完成": "done",
    "好了": "done",
    "云服务器": "cloud",
    "托管": "colocation",
    "一": "1",
    "1和2": "1 and 2",
    "博客": "blog",
    "非经营性": "non-commercial",
    "中文简体 和 英文": "Simplified Chinese and English",
    "中文简体": "Simplified Chinese",
    "没有": "no",
    "否": "no",
    "是": "yes",
    "不是": "no",
    "无": "none",
    "采用建议": "use the suggestion",
    "采用": "use it",
    "自己填写": "write my own",
    "读者留言板，在线咨询": "guestbook, online enquiries",
    "文章评论": "comments",
    "另填一人": "someone else",
    "跳过": "/skip",
    "/edit 域名": "/edit domains",
    "添加": "add",
    "确认": "confirm",
    "确认提交": "confirm",
}
# Chinese an English reply may hold, and why.
NAMES_WITHOUT_TRANSLATION = {
    "杭州": "a city example is given with its Chinese name: Hangzhou (杭州)",
    "上海": "likewise: Shanghai (上海)",
    "张三": "the example of a name as written on a Chinese ID",
    "例子.中国": "the example of a Chinese domain name",
    "京ICP备": "ICP numbers are issued in Chinese (京ICP备12345678号-1)",
    "京ICP证": "likewise (京ICP证030173号)",
    "浙ICP备": "likewise, the example ICP number",
    "号": "the 号 of an ICP number",
    "中文": "/lang zh 中文: the language named in itself, for a Chinese reader",
    "沧州": "a place suggested for a mistyped one (航州) is named as the table names it",
    "常州": "likewise",
    "扬州": "likewise",
}
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\U00020000-\U0003134f]")
# At every question: help, progress, a wrong answer, a mistyped city.
_PROBES = ("/help", "/status", "zzz", "航州")


def _english(transcript: list[tuple[str, object]]) -> list[str]:
    return [IN_ENGLISH.get(said, said) for said, _ in transcript]


def _chinese_left(reply: str, typed: list[str]) -> str:
    parts = [p for said in typed for p in (said, *re.split(r"[，、,;；\s]+", said)) if p]
    for own in sorted(parts, key=len, reverse=True):  # a list is echoed item by item
        reply = reply.replace(own, "")
    for name in sorted(NAMES_WITHOUT_TRANSLATION, key=len, reverse=True):
        reply = reply.replace(name, "")
    return "".join(_CJK.findall(reply))


@pytest.mark.parametrize("subject", sorted(SUBMITTING))
def test_an_english_interview_shows_no_chinese_but_the_applicants_own(
    context: Context, subject: str
) -> None:
    lines = [*_english(SUBMITTING[subject]), "/change", "/edit website name", "New name"]
    lines += ["/edit service types", "add", "2", "done"]  # the diff names options too
    lines += ["confirm", "1", "confirm", "/start", "/new", "company"]
    typed = [s for s in (*lines, *_PROBES) if _CJK.search(s)]  # the applicant's own answers
    step = begin(context, "en")
    state, replies = step.state, [shown(step)]
    for said in lines:
        if state.state not in (Stage.SUMMARY, Stage.DONE, Stage.WELCOME):
            replies += [shown(handle(state, Input.typed(p), context)) for p in _PROBES]
        step = handle(state, Input.typed(said), context)
        state = step.state
        replies.append(shown(step))
    assert "Change recorded" in "\n".join(replies)  # the change went through
    assert state.answers == {"subject_type": "enterprise"}  # and /new began another
    for reply in replies:
        assert not _chinese_left(reply, typed), reply


def test_the_terminal_does_not_speak_of_tapping(context: Context) -> None:
    from dataclasses import replace

    typed = _english(SUBMITTING["individual"])
    services = typed.index("blog")
    for buttons, said in ((True, "tap again"), (False, "a selected one again unselects it")):
        ctx = replace(context, buttons=buttons)
        state = begin(ctx, "en").state
        for line in typed[:services]:
            state = handle(state, Input.typed(line), ctx).state
        reply = shown(handle(state, Input.typed("blog"), ctx))
        assert said in reply


def test_interactive_services_are_options_and_nothing_else_is_stored(context: Context) -> None:
    from dataclasses import replace

    from bot.terminal import format_reply

    ctx = replace(context, buttons=False)  # as the terminal asks
    typed = _english(SUBMITTING["individual"])
    state = begin(ctx, "en").state
    for line in typed[: typed.index("comments")]:
        state = handle(state, Input.typed(line), ctx).state
    asked = handle(state, Input.typed("/status"), ctx).replies[-1]
    assert "Where can users post?" in asked.text
    listed = format_reply(asked)
    assert "  2. comments" in listed and "  3. guestbook" in listed  # numbered to type
    for said, reply in (
        ("comments", "Selected: comments"),
        ("my forum thing", "“my” is not one of the options"),  # refused, not stored
        ("3", "Selected: comments, guestbook"),
        ("done", "Noted: comments, guestbook"),
    ):
        step = handle(state, Input.typed(said), ctx)
        state = step.state
        assert reply in shown(step), shown(step)
    assert state.answers["website.interactive_services"] == ["comments", "guestbook"]
