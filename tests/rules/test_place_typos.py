"""A mistyped place gets the names it most likely means (issue 25, item 17)."""

from __future__ import annotations

import pytest

from rules.names import check_city
from rules.place_typos import closest_places


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("航州", "杭州"),  # a homophone: what a pinyin keyboard gives
        ("杭洲", "杭州"),
        ("航州市", "杭州市"),  # the suffix typed is kept
        ("夏门", "厦门"),  # 厦 is read xia here, sha elsewhere: every reading counts
        ("常沙", "长沙"),
        ("重亲", "重庆"),
        ("城都", "成都"),
        ("余航区", "余杭区"),  # a county
        ("浙江航州", "浙江杭州"),  # within the province typed
        ("乌鲁木其", "乌鲁木齐"),
        ("哈尔宾", "哈尔滨"),
        ("大联", "大连"),  # a renamed division (旅大市 → 大连市) is known by each name
        ("上海滩", "上海"),  # one character more
    ],
)
def test_the_likeliest_place_comes_first(typed: str, first: str) -> None:
    found = closest_places(typed)
    assert found[0] == first, found
    assert len(found) <= 4
    assert all(check_city(name).valid for name in found)  # each answers the question


def test_near_sounds_follow_and_nothing_far_is_suggested() -> None:
    assert closest_places("航州") == ["杭州", "沧州", "常州", "扬州"]  # the same final -ang
    assert closest_places("卢沟桥") == []  # not a city, nothing one character away
    assert closest_places("Hangzhou") == []  # letters: a foreign city, not checked
    assert closest_places("州") == []  # one character: too little to guess from


def test_renamed_divisions_are_known_places() -> None:
    for name in ("大连", "大连市", "旅大", "东丽区"):
        assert check_city(name).valid, name
