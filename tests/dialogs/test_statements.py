"""What the 备案表 states as the site's own measures, management systems and approvals is
read as statements: a yes, a phone number, a digit or a button's word is refused (it was
printed in the form as a "measure"), and names of units are not filing numbers or paths."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.reading import read_list
from dialogs.spec import load_spec
from rules.names import check_statement, check_unit_name
from rules.pack import Pack

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    "typed",
    ["是", "13800138000", "1", "确认无误", "采用建议", "a@b.cn", "——", "ok",
     "随便写", "asdf", "test", "哈哈哈", "aaaa", "呵呵呵呵", "abab", "啊啊"],
)  # fmt: skip
def test_what_says_nothing_is_not_a_measure(typed: str) -> None:
    assert not check_statement(typed).valid


@pytest.mark.parametrize(
    "typed",
    [
        "部署防火墙",
        "日志留存六个月",
        "WAF",
        "ICP许可证 京B2-20260001",
        "CDN",
        "SSL",
        "备份备份数据",
    ],
)
def test_measures_and_licences_in_words_are_kept(typed: str) -> None:
    assert check_statement(typed).normalized == typed


@pytest.mark.parametrize("typed", ["京ICP备12345678号", "/etc/passwd", "／start"])
def test_a_filing_number_or_a_path_is_not_a_units_name(typed: str) -> None:
    assert not check_unit_name(typed).valid
    assert check_unit_name("阿里云计算有限公司").valid


def test_the_form_s_own_lists_are_checked_as_statements(pack: Pack) -> None:
    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    for key in ("website.security_measures", "website.security_policies"):
        question = spec.by_key[key]
        refused = read_list("是", question, {}, TODAY)
        assert not refused.ok and refused.error is not None
        assert "不是一条具体内容" in refused.error.zh
        kept = read_list("部署防火墙、日志留存六个月", question, {}, TODAY)
        assert kept.ok and kept.value == ["部署防火墙", "日志留存六个月"]
    approvals = spec.by_key["website.pre_approvals"]
    assert read_list("无", approvals, {}, TODAY).value == []  # none is still "none"
    assert not read_list("2", approvals, {}, TODAY).ok


def test_the_summary_lists_the_suggested_items_the_form_will_state(pack: Pack) -> None:
    """The summary said only 「采用建议」: a site made interactive later (a forum picked) got
    the interactive items in its 备案表 without ever being shown them."""
    from dialogs.model import Stage
    from dialogs.review import section_lines
    from rules.enums import SubjectType
    from rules.security import suggested_measures, suggested_policies

    spec = load_spec(pack.city.zh, pack.city.en, tuple(s.value for s in pack.subject_types))
    answers = {"subject_type": "enterprise", "_measures": "suggested", "_policies": "suggested"}

    def shown(interactive: bool) -> str:
        both = {**answers, "website.interactive": interactive}
        return "\n".join(section_lines(both, spec, Stage.WEBSITE, "zh", "enterprise"))

    for interactive in (False, True):
        lines = shown(interactive)
        items = [
            *suggested_measures(SubjectType.ENTERPRISE, interactive),
            *suggested_policies(SubjectType.ENTERPRISE, interactive),
        ]
        assert all(item.zh in lines for item in items)
    plain = suggested_measures(SubjectType.ENTERPRISE, False)
    more = [m for m in suggested_measures(SubjectType.ENTERPRISE, True) if m not in plain]
    assert more and more[0].zh not in shown(False)
