"""The longest answers the interview accepts: every list at the schema's most items, every text
at its question's most characters (`rules/answers.py`, `dialogs/questions.yaml`).

`LONGEST` types them in as a person would (a Telegram message holds at most 4,096 characters,
so a long list takes several messages); `longest_answers()` is the same filing as the schema
stores it, with the lists the chat cannot fill in one go (50 registrars) at their limit too.
The site name and the address carry 𠮷, which Telegram counts twice (UTF-16): the summary is
4,723 characters but 5,099 code units.
"""

from __future__ import annotations

from typing import Any

import yaml

from tests.dialogs.transcripts import INDIVIDUAL, Transcript
from tests.documents.conftest import EXAMPLES


def _exactly(length: int, start: str, filler: str) -> str:
    return (start + filler * length)[:length]


# At the question's limits (200 for names and domains, 1,000 for long texts); every item of a
# list distinct (the interview drops repeats).
SITE_NAME = _exactly(200, "", "小𠮷的笔记")
DOMAINS = [f"{'a' * 50}.{'b' * 50}.{'c' * 50}.{'d' * 42}{i:02d}.cn" for i in range(50)]
NEW_DOMAINS = [f"{'w' * 50}.{'x' * 50}.{'y' * 50}.{'z' * 42}{i:02d}.cn" for i in range(50)]
IPS = [f"2400:3200:{i:04x}:5678:9abc:def0:1234:5678" for i in range(50)]
REGISTRAR = _exactly(200, "𠮷", "云")
REGISTRARS = [_exactly(200, f"{i:02d}", "云计算有限公司") for i in range(50)]
ADDRESS = _exactly(1000, "示例市示例区", "𠮷水街")
SERVER_ADDRESS = _exactly(1000, "示例市示例区", "云计算中心")
INTERACTIVE = [_exactly(200, f"{i:02d}", "互动栏目") for i in range(20)]
PRE_APPROVALS = [_exactly(1000, f"{i:02d}", "前置审批文件") for i in range(20)]
MEASURES = [_exactly(1000, f"{i:02d}", "部署防火墙措施") for i in range(20)]
POLICIES = [_exactly(1000, f"{i:02d}", "网络安全管理制度") for i in range(20)]
MESSAGE_LIMIT = 4096  # what a person can send in one Telegram message


def in_messages(items: list[str], sep: str = "\n") -> list[str]:
    """Split a list into messages a person can send (each at most 4,096 characters)."""
    messages: list[str] = []
    for item in items:
        if messages and len(messages[-1]) + len(sep) + len(item) <= MESSAGE_LIMIT:
            messages[-1] += sep + item
        else:
            messages.append(item)
    return messages


def typed_list(items: list[str], done: str = "完成") -> Transcript:
    """A list typed one item first (the question starts gathering), then the rest in as few
    messages as fit, then 完成."""
    return [(items[0], "已记录"), *((m, "已记录") for m in in_messages(items[1:])), (done, "")]


def _replacing(transcript: Transcript, said: str, by: Transcript) -> Transcript:
    at = next(i for i, (s, _) in enumerate(transcript) if s == said)
    return [*transcript[:at], *by, *transcript[at + 1 :]]


def _longest_transcript() -> Transcript:
    steps = list(INDIVIDUAL)
    steps = _replacing(steps, "示例市示例区㵘水街3号2单元501室", [(ADDRESS, "邮政编码")])
    steps = _replacing(steps, "小𠮷的笔记", [(SITE_NAME, "域名")])
    at = next(i for i, (s, _) in enumerate(steps) if s == "blog.xiaoji.example.cn")
    steps[at : at + 2] = typed_list(DOMAINS, "好了")
    steps = _replacing(steps, "腾讯云计算（北京）有限责任公司", [(REGISTRAR, "IP")])
    at = next(i for i, (s, _) in enumerate(steps) if s == "47.96.12.36")
    steps[at : at + 2] = typed_list(IPS, "done")
    steps = _replacing(steps, "示例市示例区云计算中心", [(SERVER_ADDRESS, "服务")])
    at = next(i for i, (s, _) in enumerate(steps) if s == "文章评论")
    every = "、".join(str(n) for n in range(1, 12))  # all eleven services the system lists
    steps[at : at + 2] = [(every, ("✔ 已记录", "管制物品"))]
    steps = _replacing(steps, "无", [*typed_list(PRE_APPROVALS)])
    at = next(i for i, (_, e) in enumerate(steps) if e == "安全管理制度")  # "1": the measures
    steps[at : at + 1] = [("自己填写", "请写出"), *typed_list(MEASURES)]
    at = next(i for i, (s, _) in enumerate(steps) if s == "采用建议")  # the policies
    steps[at : at + 1] = [("自己填写", "请写出"), *typed_list(POLICIES)]
    return steps


LONGEST: Transcript = _longest_transcript()


def longest_answers() -> dict[str, Any]:
    """The individual example with every list and text at its longest (schema JSON)."""
    data: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "individual.yaml").read_text(encoding="utf-8")
    )
    data["subject"]["address"] = ADDRESS
    site = data["website"]
    site.update(
        name=SITE_NAME,
        domains=DOMAINS,
        domain_registrars=REGISTRARS,
        ips=IPS,
        server_address=SERVER_ADDRESS,
        access_provider=REGISTRAR,
        interactive_services=INTERACTIVE,
        pre_approvals=PRE_APPROVALS,
        security_measures=MEASURES,
        security_policies=POLICIES,
    )
    data["connection_date"] = str(data["connection_date"])
    return data
