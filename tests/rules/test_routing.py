"""The four routing cases of the notice (filing-rules.md A2)."""

from __future__ import annotations

import pytest

from rules.enums import Location, RouteWhere
from rules.pack import Pack
from rules.routing import route_filing

L, E = Location.LOCAL, Location.ELSEWHERE
W = RouteWhere

CASES = [
    # (maintenance, server, in_scope, where of each step in order)
    (L, L, True, [W.LOCAL]),
    (L, E, True, [W.LOCAL, W.SERVER]),
    (E, L, True, [W.MAINTENANCE, W.LOCAL]),
    (E, E, False, [W.MAINTENANCE, W.SERVER]),
]


@pytest.mark.parametrize(("maintenance", "server", "in_scope", "wheres"), CASES)
def test_routing_names_the_bureaus_in_the_notices_order(
    pack: Pack, maintenance: Location, server: Location, in_scope: bool, wheres: list[RouteWhere]
) -> None:
    route = route_filing(maintenance, server, pack)
    assert route.in_scope is in_scope
    assert [s.where for s in route.steps] == wheres
    assert [s.order for s in route.steps] == list(range(1, len(wheres) + 1))
    for step in route.steps:
        if step.where is W.LOCAL:
            assert step.bureau == pack.bureau.name
        else:
            assert "公安网安部门" in step.bureau.zh
    assert route.advice.zh and route.advice.en


def test_the_other_bureau_carries_the_city_the_applicant_named(pack: Pack) -> None:
    route = route_filing(L, E, pack, server_city=" 杭州 ")
    assert route.steps[1].bureau.zh == "服务器托管地（杭州）的公安网安部门"
    assert "杭州" in route.steps[1].bureau.en
    assert "杭州" in route.advice.zh

    route = route_filing(E, L, pack, maintenance_city="上海")
    assert route.steps[0].bureau.zh == "网站系统维护地（上海）的公安网安部门"
    assert route.advice.zh.index("上海") < route.advice.zh.index(pack.bureau.name.zh)


def test_out_of_scope_says_what_to_do_instead(pack: Pack) -> None:
    route = route_filing(E, E, pack, maintenance_city="广州", server_city="深圳")
    assert not route.in_scope
    assert "不属于" in route.advice.zh
    assert "广州" in route.advice.zh and "深圳" in route.advice.zh
    assert "30日内" in route.advice.zh
    assert pack.bureau.name not in [s.bureau for s in route.steps]


def test_out_of_scope_in_one_other_city_names_one_bureau(pack: Pack) -> None:
    route = route_filing(E, E, pack, maintenance_city="广州", server_city="广州")
    assert [s.where for s in route.steps] == [W.MAINTENANCE]
