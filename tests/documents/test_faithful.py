"""The documents say what is true for the applicant in front of them (issue 11): dates only
from events that happened, the bureau of each step, late filers told, the city's values marked,
drafts marked as drafts, the law's words, layout that keeps what belongs together."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from documents.model import ChangeItem, ChangeReport, DocumentContext, document_jobs
from documents.render import render
from rules.answers import FilingAnswers
from rules.enums import DocumentKind, Location
from rules.pack import PACKS_DIR, Pack, load_pack
from tests.documents.conftest import EXAMPLES, load_example
from tests.documents.pdf_text import page_texts, squeeze

K = DocumentKind


def text_of(kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext) -> str:
    return squeeze("".join(page_texts(render(kind, answers, ctx).pdf)))


def pages_of(kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext) -> list[str]:
    return [squeeze(p) for p in page_texts(render(kind, answers, ctx).pdf)]


def hangzhou(pack: Pack) -> Pack:
    """Another city's pack, as an operator would install it beside this one."""
    return pack.model_copy(
        update={
            "pack_id": "hangzhou",
            "city": pack.city.model_copy(update={"zh": "杭州市", "en": "Hangzhou"}),
            "bureau": pack.bureau.model_copy(
                update={
                    "name": pack.bureau.name.model_copy(
                        update={
                            "zh": "杭州市公安局网警支队（示例）",
                            "en": "Hangzhou PSB (EXAMPLE)",
                        }
                    ),
                    "address": pack.bureau.address.model_copy(
                        update={"zh": "杭州市示例路8号（示例）", "en": "8 Example Rd, Hangzhou"}
                    ),
                }
            ),
        }
    )


def test_the_guide_dates_no_review_before_the_application_is_submitted(
    ctx: DocumentContext,
) -> None:
    answers = load_example("enterprise")  # online 2026-11-20, nothing submitted
    text = text_of(K.GUIDE, answers, ctx)
    assert "最迟于2026年12月21日（含当日）" in text
    assert "提交后5个工作日内" in text and "2026年12月4日" not in text
    submitted = dataclasses.replace(ctx, submitted_on=dt.date(2026, 11, 27))
    assert "最迟于2026年12月4日（含当日）" in text_of(K.GUIDE, answers, submitted)


@pytest.mark.parametrize(
    ("example", "order"),
    [
        ("enterprise", ["示例市公安局", "服务器托管地（杭州）"]),  # maintained here, server in 杭州
        (
            "government",
            ["网站系统维护地（上海）", "示例市公安局"],
        ),  # maintained in 上海, server here
    ],
)
def test_a_two_bureau_applicant_gets_a_form_and_a_plan_per_bureau_in_order(
    ctx: DocumentContext, example: str, order: list[str]
) -> None:
    answers = load_example(example)
    jobs = document_jobs([K.FILING_FORM, K.GUIDE], answers, ctx)
    forms = [c for k, c in jobs if k is K.FILING_FORM]
    assert [c.step for c in forms] == [1, 2]
    for c, bureau in zip(forms, order, strict=True):
        first_page = pages_of(K.FILING_FORM, answers, c)[0]
        assert f"受理机关：{bureau}" in first_page
    names = [render(K.FILING_FORM, answers, c).filename for c in forms]
    assert names[0].startswith("备案表-1-") and names[1].startswith("备案表-2-")
    guide = text_of(K.GUIDE, answers, ctx)
    assert guide.index(f"第1步{order[0]}") < guide.index(f"第2步{order[1]}")
    assert f"受理机关（第1步）{order[0]}" in guide and f"受理机关（第2步）{order[1]}" in guide
    assert "按其本地规定受理" in guide  # the bureau elsewhere: no details in this pack
    checklist = text_of(K.CHECKLIST, answers, ctx)
    assert f"第1步：{order[0]}" in checklist and f"第2步：{order[1]}" in checklist
    assert "要带的材料和份数不在本资料中" in checklist


def test_an_installed_pack_names_and_plans_the_second_bureau(
    ctx: DocumentContext, pack: Pack
) -> None:
    home = pack.model_copy(update={"neighbours": (hangzhou(pack),)})
    answers = load_example("enterprise")
    with_hz = dataclasses.replace(ctx, pack=home)
    forms = [c for k, c in document_jobs([K.FILING_FORM], answers, with_hz)]
    second = render(K.FILING_FORM, answers, forms[1])
    assert second.filename == "备案表-2-杭州市-云帆科技官网.pdf"
    assert "受理机关：杭州市公安局网警支队（示例）" in squeeze(page_texts(second.pdf)[0])
    guide = text_of(K.GUIDE, answers, with_hz)
    assert "杭州市示例路8号（示例）" in guide and "按其本地规定受理" not in guide
    assert guide.count("杭州市公安局网警支队（示例）初审") == 1  # its own four steps
    checklist = text_of(K.CHECKLIST, answers, with_hz)
    assert checklist.count("工商营业执照副本复印件") == 2  # its own list of materials


def test_BEIAN_PACK_DIR_holds_this_city_and_its_neighbours(tmp_path: Path) -> None:
    raw = yaml.safe_load((PACKS_DIR / "example.yaml").read_text(encoding="utf-8"))
    (tmp_path / "example.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    raw.update(pack_id="hangzhou", city={"zh": "杭州市", "en": "Hangzhou"})
    raw["bureau"]["name"] = {"zh": "杭州市公安局网警支队（示例）", "en": "Hangzhou PSB"}
    (tmp_path / "hangzhou.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    home = load_pack("example", tmp_path)
    assert home.pack_id == "example" and [p.pack_id for p in home.neighbours] == ["hangzhou"]
    assert home.pack_for("杭州") is home.neighbours[0] and home.pack_for("上海") is None
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["render", "--answers", str(EXAMPLES / "enterprise.yaml"), "--out", str(out)],
        env={"BEIAN_PACK_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert (out / "备案表-2-杭州市-云帆科技官网.pdf").exists()


def test_a_late_filers_guide_says_so_with_the_consequence(ctx: DocumentContext) -> None:
    answers = load_example("enterprise").model_copy(update={"connection_date": dt.date(2026, 9, 1)})
    text = text_of(K.GUIDE, answers, ctx)
    assert "尽快办理（已逾期51天：期限为2026年10月8日）" in text
    assert "已逾期：不履行备案职责的" in text and "第二十三条" in text


def test_the_change_period_is_cited_as_the_city_notices_until_confirmed(
    ctx: DocumentContext, pack: Pack
) -> None:
    answers = load_example("enterprise")
    change = ChangeReport(
        changed_on=dt.date(2026, 12, 1),
        reason="更换服务器",
        items=[ChangeItem(field="IP地址", old="47.96.12.34", new="47.96.10.21")],
    )
    with_change = dataclasses.replace(ctx, change=change)
    for kind in (K.RESPONSIBILITY, K.CHANGE_REPORT):
        assert "30日内（天数以本市通知为准）" in text_of(kind, answers, with_change)
    period = pack.periods.change_report.model_copy(update={"confirmed": True})
    confirmed = pack.model_copy(
        update={"periods": pack.periods.model_copy(update={"change_report": period})}
    )
    text = text_of(K.RESPONSIBILITY, answers, dataclasses.replace(ctx, pack=confirmed))
    assert "30日内" in text and "天数以本市通知为准" not in text


def test_our_filing_form_is_marked_a_draft_on_every_page(ctx: DocumentContext) -> None:
    answers = load_example("individual")
    pages = pages_of(K.FILING_FORM, answers, ctx)
    assert len(pages) >= 2
    assert all("填报参考（预填稿）" in page for page in pages)
    for kind in (K.CHECKLIST, K.GUIDE):
        assert "初审合格后从备案系统下载生成" in text_of(kind, answers, ctx)


def test_legal_wording_keeps_its_conditions_and_sources(ctx: DocumentContext) -> None:
    text = text_of(K.RESPONSIBILITY, load_example("enterprise"), ctx)
    assert "有违法所得的，没收违法所得" in text
    assert "网络日志留存不少于六个月（《中华人民共和国网络安全法》第二十一条）" in text
    assert "通常30日内" not in text_of(K.GUIDE, load_example("enterprise"), ctx)


def test_sections_stay_with_what_signs_them(ctx: DocumentContext) -> None:
    for example in ("enterprise", "individual", "government"):
        answers = load_example(example)
        pages = pages_of(K.FILING_FORM, answers, ctx)
        four = next(p for p in pages if "四、安全保护措施" in p)
        assert "安全管理制度" in four and "保证以上内容真实" in four
        three = next(p for p in pages if "三、网站安全负责人" in p)
        assert "24小时应急联系人" in three
        notice = pages_of(K.RESPONSIBILITY, answers, ctx)
        signing = next(p for p in notice if "已阅读并知悉" in p)
        assert "签字" in signing or "盖章" in signing


def test_an_individual_who_is_their_own_officer_signs_the_notice_once(
    ctx: DocumentContext,
) -> None:
    answers = load_example("individual")
    assert answers.security_officer.name == answers.subject.name
    text = text_of(K.RESPONSIBILITY, answers, ctx)
    signing = text.split("已阅读并知悉")[-1]  # the draft mark above says who signs, not where
    assert signing.count("签字") == 1 and "本人（网站安全负责人）签字" in signing
    other = answers.model_copy(
        update={"security_officer": load_example("enterprise").security_officer}
    )
    text = text_of(K.RESPONSIBILITY, other, ctx)
    assert "本人签字" in text and "网站安全负责人签字" in text


def test_the_guides_date_is_not_broken_across_lines(ctx: DocumentContext) -> None:
    first = page_texts(render(K.GUIDE, load_example("enterprise"), ctx).pdf)[0]
    assert any("生成日期：2026年11月28日" in line.replace(" ", "") for line in first.splitlines())


def test_the_accepted_suggestions_are_filled_into_the_form(ctx: DocumentContext) -> None:
    answers = load_example("enterprise")
    assert answers.website.security_measures
    text = text_of(K.FILING_FORM, answers, ctx)
    assert "1.部署防火墙" in text and "工作人员网络安全教育和培训制度" in text
    blank = answers.model_copy(
        update={
            "website": answers.website.model_copy(
                update={"security_measures": None, "security_policies": None}
            )
        }
    )
    assert "未填的由开办者手写填报" in text_of(K.FILING_FORM, blank, ctx)


def test_english_applicants_get_the_guide_and_checklist_in_english(ctx: DocumentContext) -> None:
    answers = load_example("enterprise")
    english = dataclasses.replace(ctx, lang="en")
    guide = render(K.GUIDE, answers, english)
    assert guide.filename == "filing-guide-www_yunfan_example_cn.pdf"  # 云帆科技官网: no Latin part
    text = squeeze("".join(page_texts(guide.pdf)))
    assert "Stepsanddeadlines" in text and "onorbefore2026-12-21" in text
    checklist = squeeze("".join(page_texts(render(K.CHECKLIST, answers, english).pdf)))
    assert "Materialstobringtore-review" in checklist
    form = render(K.FILING_FORM, answers, dataclasses.replace(english, step=2))
    assert form.filename == "filing-form-2-www_yunfan_example_cn.pdf"  # 杭州: no English name
    assert "计算机信息网络国际联网单位备案表" in squeeze(page_texts(form.pdf)[0])  # forms: Chinese
    blog = answers.model_copy(
        update={"website": answers.website.model_copy(update={"name": "My Blog 博客"})}
    )
    assert render(K.GUIDE, blog, english).filename == "filing-guide-My_Blog.pdf"


def test_the_change_report_takes_the_psb_number_from_the_answers_or_the_change(
    ctx: DocumentContext,
) -> None:
    answers = load_example("enterprise").model_copy(
        update={"psb_number": "京公网安备11010502030143号"}
    )
    change = ChangeReport(
        changed_on=dt.date(2026, 12, 1),
        reason="更换服务器",
        items=[ChangeItem(field="IP地址", old="47.96.12.34", new="47.96.10.21")],
    )
    with_change = dataclasses.replace(ctx, change=change)
    assert "京公网安备11010502030143号" in text_of(K.CHANGE_REPORT, answers, with_change)
    from_file = change.model_copy(update={"psb_number": "沪公网安备31011502000001号"})
    text = text_of(
        K.CHANGE_REPORT, load_example("enterprise"), dataclasses.replace(ctx, change=from_file)
    )
    assert "沪公网安备31011502000001号" in text
    with pytest.raises(ValueError, match="公安备案号"):
        ChangeReport.model_validate({**change.model_dump(), "psb_number": "京公网安备123号"})


def test_a_contradictory_route_names_this_citys_bureau_once(pack: Pack) -> None:
    from rules.routing import route_filing

    route = route_filing(Location.ELSEWHERE, Location.LOCAL, pack, maintenance_city="示例市")
    assert len(route.steps) == 1 and route.steps[0].local
