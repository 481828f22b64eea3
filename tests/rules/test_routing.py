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


@pytest.mark.parametrize("where", ["香港", "新加坡", "境外", "Singapore", "台北市", "美国洛杉矶"])
def test_a_server_outside_the_mainland_adds_no_bureau_there(pack: Pack, where: str) -> None:
    """There is no 公安网安部门 in Hong Kong or abroad: a site maintained here files here only
    (it was sent to 「服务器托管地（香港）的公安网安部门」, which does not exist)."""
    from rules.names import check_city

    assert check_city(where).valid, where  # an answer the question takes
    route = route_filing(Location.LOCAL, Location.ELSEWHERE, pack, server_city=where)
    assert route.in_scope and [s.where for s in route.steps] == [RouteWhere.LOCAL]
    assert "境外" in route.advice.zh and "以" in route.advice.zh  # whose word counts
    assert "服务器托管地" not in route.advice.zh and "outside the mainland" in route.advice.en


def test_outside_the_mainland_on_one_side_keeps_the_mainland_side_only(pack: Pack) -> None:
    kept_in_shanghai = route_filing(Location.ELSEWHERE, Location.ELSEWHERE, pack, "上海", "东京")
    assert not kept_in_shanghai.in_scope
    assert [(s.where, s.city) for s in kept_in_shanghai.steps] == [(RouteWhere.MAINTENANCE, "上海")]
    kept_in_hk = route_filing(Location.ELSEWHERE, Location.LOCAL, pack, "香港")
    assert kept_in_hk.in_scope and [s.where for s in kept_in_hk.steps] == [RouteWhere.LOCAL]
    both = route_filing(Location.ELSEWHERE, Location.ELSEWHERE, pack, "香港", "新加坡")
    assert not both.in_scope and both.steps == () and "都在境外" in both.advice.zh


def test_a_mainland_county_that_sounds_foreign_is_still_a_mainland_place(pack: Pack) -> None:
    """新北 is 常州's 新北区, not Taiwan's 新北市; a city in pinyin stays a city."""
    for city in ("新北", "Hangzhou"):
        route = route_filing(Location.LOCAL, Location.ELSEWHERE, pack, server_city=city)
        assert [s.where for s in route.steps] == [RouteWhere.LOCAL, RouteWhere.SERVER], city


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("Hong Kong", "Hong Kong"), ("hong kong", "hong kong"), ("杭 州", "杭州"), ("香港", "香港")],
)
def test_a_place_in_letters_keeps_its_spaces(typed: str, kept: str) -> None:
    """A known place is kept as typed, less the spaces between Chinese characters: the English
    chat said the server was in "HongKong"."""
    from rules.names import check_city

    result = check_city(typed)
    assert result.valid and result.normalized == kept
