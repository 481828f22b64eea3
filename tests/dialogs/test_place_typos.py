"""A mistyped city gets the closest known names as choices (issue 25, item 17)."""

from __future__ import annotations

from dialogs.engine import handle
from dialogs.model import Context, Input, Mode
from tests.dialogs.conftest import Run, shown

TO_SERVER_CITY = [("企业", "维护"), ("本市", "服务器"), ("外地", "服务器在哪个城市")]


def test_a_mistyped_city_is_answered_with_the_closest_names_to_pick(run: Run) -> None:
    state, _, _ = run(
        [
            *TO_SERVER_CITY,
            ("航州", ("没有找到“航州”。你是说：杭州、沧州、常州、扬州？", "服务器在哪个城市")),
            ("1", ("【备案地点】", "服务器托管地（杭州）", "开通")),
        ]
    )
    assert state.answers["server_city"] == "杭州"


def test_a_suggestion_is_a_button_and_another_name_may_be_typed(run: Run, context: Context) -> None:
    state, _, _ = run([*TO_SERVER_CITY, ("苏洲", "你是说：苏州")])
    assert state.mode is Mode.SUGGESTING
    asked = handle(state, Input.typed("/skip"), context).state  # a command leaves the list
    assert asked.mode is Mode.ANSWERING and asked.choices is None
    step = handle(state, Input.pressed(str(state.asked), "place:0"), context)
    assert step.state.answers["server_city"] == "苏州"
    typed = handle(state, Input.typed("城都"), context)  # another typo: its own names
    assert "没有找到“城都”。你是说：成都" in shown(typed)
    typed = handle(typed.state, Input.typed("成都"), context)
    assert typed.state.answers["server_city"] == "成都"
    assert typed.state.mode is Mode.ANSWERING


def test_in_english_the_suggestions_are_the_official_names(run: Run) -> None:
    run(
        [
            ("/lang en", "Who runs"),
            ("company", "maintained"),
            ("elsewhere", "In which city"),
            ("航州", ("No place called “航州”. Did you mean: 杭州, 沧州, 常州, 扬州?", "杭州")),
            ("杭州", "Where is the website's server?"),
        ]
    )


def test_a_name_with_nothing_close_is_refused_as_before(run: Run) -> None:
    run([*TO_SERVER_CITY, ("卢沟桥", ("没有找到“卢沟桥”这个城市", "例如"))])
