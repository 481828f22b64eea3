"""Answers that contradict each other, each with the field to fix and why.

Checked before the applicant sees the summary: a form whose parts disagree is returned by the
bureau (filing-rules.md B5: "declared non-interactive but actually has comments" is a common
reason), and a route from contradictory locations names the wrong bureau.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.answers import SERVICE_TYPES, FilingAnswers
from rules.enums import Location
from rules.pack import Pack
from rules.places import places_in
from rules.text import Text, t

# 交互式服务 per the platform's FAQ: 论坛、社区、贴吧、聊天室、微博客、博客、即时通信、分享存储、
# 第三方支付、移动应用商店… — the service types of the form that are interactive by nature.
INTERACTIVE_SERVICE_TYPES = frozenset(
    SERVICE_TYPES[key].zh for key in ("forum", "blog", "im", "payment", "video")
)


@dataclass(frozen=True)
class Problem:
    """A field to fix (a dotted path of the answers schema) and why."""

    field: str
    message: Text


def contradictions(answers: FilingAnswers, pack: Pack) -> list[Problem]:
    """Return every contradiction between the answers (empty when they agree)."""
    return [
        *_interactive_undeclared(answers),
        *_elsewhere_is_here(answers, pack),
        *_server_address_disagrees(answers, pack),
    ]


def _interactive_undeclared(answers: FilingAnswers) -> list[Problem]:
    """An interactive service type chosen while "interactive services" says no."""
    website = answers.website
    interactive_types = [s for s in website.service_types if s in INTERACTIVE_SERVICE_TYPES]
    if not interactive_types or website.interactive:
        return []
    names = "、".join(interactive_types)
    english = {label.zh: label.en for label in SERVICE_TYPES.values()}  # answers keep the zh
    names_en = ", ".join(english.get(name, name) for name in interactive_types)
    return [
        Problem(
            "website.interactive",
            t(
                f"服务类型“{names}”属于交互式服务（用户可以发布信息），“交互式服务”应选“是”。",
                f"The service type{'s' if len(interactive_types) > 1 else ''} “{names_en}” "
                f"{'are' if len(interactive_types) > 1 else 'is'} interactive (users can post): "
                "the site offers interactive services.",
            ),
        )
    ]


def _elsewhere_is_here(answers: FilingAnswers, pack: Pack) -> list[Problem]:
    """Maintenance or server said to be elsewhere, in a city that is this one."""
    city = pack.city.zh
    problems = []
    for where, named in (
        ("maintenance", answers.maintenance_city),
        ("server", answers.server_city),
    ):
        location = getattr(answers, where)
        if location is Location.ELSEWHERE and named and named.rstrip("市") == city.rstrip("市"):
            problems.append(
                Problem(
                    where,
                    t(
                        f"{named}就是本市，请选择“本市（{city}）”。",
                        f"{named} is this city: choose “This city ({pack.city.en})”.",
                    ),
                )
            )
    return problems


def _server_address_disagrees(answers: FilingAnswers, pack: Pack) -> list[Problem]:
    """The server's address names another city than the one its location says."""
    city, address = pack.city.zh, answers.website.server_address
    address_places = [p for p in places_in(address) if p.rstrip("市") != city.rstrip("市")]
    if answers.server is Location.LOCAL and address_places and city not in address:
        return [
            Problem(
                "server",
                t(
                    f"服务器存放地址在{address_places[0]}，但服务器所在地选了本市（{city}）。"
                    f"请确认服务器在哪里：服务器不在本市的，选“外地”；已搬到本市的，"
                    f"请发送“/edit 服务器存放地址”改地址。",
                    f"The server's address is in {address_places[0]}, but the server was said "
                    f"to be in this city ({pack.city.en}). Where is it? If it is elsewhere, "
                    f"choose elsewhere; if it moved here, send “/edit Server location” to "
                    f"change the address.",
                ),
            )
        ]
    named = answers.server_city
    if answers.server is Location.ELSEWHERE and named and city in address and named not in address:
        return [
            Problem(
                "server",
                t(
                    f"服务器存放地址在本市（{city}），但服务器所在地选了外地（{named}）。",
                    f"The server's address is in this city, but the server was said to be in "
                    f"{named}.",
                ),
            )
        ]
    return []
