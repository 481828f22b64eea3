"""A change of the filed information as data: the diff, the checks, the route, the deadline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.answers import FilingAnswers
from rules.changes import apply_changes, change_deadline, diff, flatten, route_advice
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def data() -> dict[str, Any]:
    raw = yaml.safe_load((EXAMPLES / "enterprise.yaml").read_text(encoding="utf-8"))
    return FilingAnswers.model_validate(raw).model_dump(mode="json")


def test_the_diff_names_each_changed_field_by_its_dotted_path(data: dict[str, Any]) -> None:
    new = {**data, "website": {**data["website"], "ips": ["47.96.10.21"]}}
    found = diff(data, new)
    assert [(c.field, c.old, c.new) for c in found] == [
        ("website.ips", data["website"]["ips"], ["47.96.10.21"])
    ]
    assert "security_officer.mobile" in flatten(data)
    assert diff(data, data) == []


def test_a_valid_change_gives_the_new_answers_and_only_what_changed(
    data: dict[str, Any], pack: Pack
) -> None:
    checked = apply_changes(
        data,
        {"website.ips": ["47.96.10.21"], "security_officer.mobile": "13900139001"},
        pack,
    )
    assert checked.problems == ()
    assert checked.answers is not None
    assert checked.answers.website.ips == ["47.96.10.21"]
    fields = {c.field: c for c in checked.changes}
    assert set(fields) == {"website.ips", "security_officer.mobile"}
    assert fields["security_officer.mobile"].personal
    assert not fields["website.ips"].personal


def test_an_invalid_change_lists_every_problem_and_gives_no_answers(
    data: dict[str, Any], pack: Pack
) -> None:
    checked = apply_changes(
        data,
        {"website.ips": ["999.1.1.1"], "security_officer.mobile": "12345", "website.dommains": []},
        pack,
    )
    assert checked.answers is None
    assert len(checked.problems) == 3 and "website.dommains" in checked.problems[0]
    assert "website.domains" in checked.problems[0]  # did you mean
    values = apply_changes(
        data, {"website.ips": ["999.1.1.1"], "security_officer.mobile": "12345"}, pack
    )
    assert values.answers is None and len(values.problems) == 2
    joined = "\n".join(values.problems)
    assert "website.ips" in joined and "security_officer.mobile" in joined


def test_a_change_to_the_same_values_is_no_change(data: dict[str, Any], pack: Pack) -> None:
    checked = apply_changes(data, {"website.ips": data["website"]["ips"]}, pack)
    assert checked.answers is None and checked.problems == ("没有任何信息改变。",)


def test_moving_the_server_to_another_city_says_which_bureau_to_tell(
    data: dict[str, Any], pack: Pack
) -> None:
    old = FilingAnswers.model_validate(data)
    moved = apply_changes(data, {"server_city": "南京"}, pack)
    assert moved.answers is not None
    advice = route_advice(old, moved.answers, pack)
    assert advice is not None
    assert "南京" in advice.zh and "新办理" in advice.zh  # a new filing there
    assert "杭州" in advice.zh and "注销" in advice.zh  # the old server city is told
    home = apply_changes(data, {"server": "local", "server_city": None}, pack)
    assert home.answers is None and "服务器" in home.problems[0]  # the address says Zhejiang
    home = apply_changes(
        data,
        {"server": "local", "server_city": None, "website.server_address": "示例市高新区1号机房"},
        pack,
    )
    assert home.answers is not None
    advice = route_advice(old, home.answers, pack)
    assert advice is not None and "杭州" in advice.zh
    ips = apply_changes(data, {"website.ips": ["47.96.10.21"]}, pack)
    assert ips.answers is not None and route_advice(old, ips.answers, pack) is None


def test_the_change_deadline_is_the_packs_period(pack: Pack, cal: WorkdayCalendar) -> None:
    due = change_deadline(dt.date(2026, 12, 1), pack, cal)
    days = pack.periods.change_report.days
    assert due.due == dt.date(2026, 12, 1) + dt.timedelta(days=days)
