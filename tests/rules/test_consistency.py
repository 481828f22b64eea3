"""Answers compared with each other (rules/consistency.py): each contradiction found, and
none for the individual example, which agrees with itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.answers import SERVICE_TYPES, FilingAnswers
from rules.consistency import contradictions
from rules.enums import Location
from rules.pack import Pack

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "individual.yaml"


def _answers(**changes: Any) -> FilingAnswers:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    website = changes.pop("website", {})
    raw["website"].update(website)
    answers = FilingAnswers.model_validate(raw)
    return answers.model_copy(update=changes)  # unchecked: the example pack's city is no city


def test_the_example_agrees_with_itself(pack: Pack) -> None:
    assert contradictions(_answers(), pack) == []


@pytest.mark.parametrize(
    ("changes", "field", "said"),
    [
        ({"website": {"service_types": ["论坛/社区"], "interactive": False}},
         "website.interactive", "“论坛/社区”属于交互式服务"),
        ({"maintenance": Location.ELSEWHERE, "maintenance_city": "示例市"},
         "maintenance", "示例市就是本市"),
        ({"website": {"server_address": "浙江省杭州市西湖区云计算中心"}},
         "server", "服务器存放地址在浙江省"),
        ({"server": Location.ELSEWHERE, "server_city": "杭州市"},
         "server", "服务器存放地址在本市（示例市），但服务器所在地选了外地（杭州市）"),
    ],
)  # fmt: skip
def test_each_contradiction_sends_the_applicant_to_its_question(
    pack: Pack, changes: dict[str, Any], field: str, said: str
) -> None:
    found = contradictions(_answers(**changes), pack)
    assert [p.field for p in found] == [field]
    assert said in found[0].message.zh


def test_the_english_message_names_the_service_types_in_english(pack: Pack) -> None:
    changes = {"website": {"service_types": ["论坛/社区", "博客/个人空间"], "interactive": False}}
    found = contradictions(_answers(**changes), pack)
    english = {label.zh: label.en for label in SERVICE_TYPES.values()}
    assert [p.field for p in found] == ["website.interactive"]
    for zh in changes["website"]["service_types"]:
        assert english[zh] in found[0].message.en
        assert zh not in found[0].message.en
