"""Every document for every subject type: opens, carries the answers, embeds its fonts."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache

import pytest
from pypdf import PdfReader

from documents.render import TITLES, DocumentContext, RenderedDocument, render
from rules.answers import ACCESS_METHOD_LABELS, FilingAnswers
from rules.codes import ID_TYPES
from rules.enums import DocumentKind
from rules.pack import load_pack
from rules.plan import date_text
from tests.documents.conftest import SUBJECTS, load_example
from tests.documents.pdf_text import fonts_without_embedding, page_texts, squeeze


@cache
def rendered(subject: str, kind: DocumentKind) -> RenderedDocument:
    ctx = DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28))
    return render(kind, load_example(subject), ctx)


def leaf_strings(answers: FilingAnswers) -> list[str]:
    """Every value the applicant typed (enum ids are shown as labels, checked separately)."""
    data = answers.model_dump(
        mode="json", exclude={"subject_type", "maintenance", "server", "connection_date"}
    )
    data["website"].pop("access_method")
    for flag in ("commercial", "controlled_items", "server_count"):  # ticked boxes, a number
        data["website"].pop(flag)
    for person in (
        data["subject"]["responsible"],
        data["security_officer"],
        data["emergency_contact"],
    ):
        person["id_type"] = ID_TYPES[person["id_type"]].zh  # printed as its label
    data["subject"].pop("credential_type")
    out: list[str] = []

    def walk(v: object) -> None:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(data)
    return out


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_document_opens_embeds_its_fonts_and_has_metadata(
    subject: str, kind: DocumentKind
) -> None:
    doc = rendered(subject, kind)
    reader = PdfReader(io.BytesIO(doc.pdf))
    assert len(reader.pages) == doc.pages >= 1
    assert fonts_without_embedding(doc.pdf) == []
    meta = reader.metadata
    assert meta is not None
    assert meta.title == TITLES[kind]
    assert meta.author == load_example(subject).subject.name
    assert meta.creation_date is not None
    assert doc.filename.endswith(".pdf") and load_example(subject).website.name in doc.filename
    assert doc.missing_glyphs == ()


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_filing_form_is_two_copies_each_carrying_every_answer(subject: str) -> None:
    answers = load_example(subject)
    doc = rendered(subject, DocumentKind.FILING_FORM)
    pages = page_texts(doc.pdf)
    assert len(pages) % 2 == 0
    half = len(pages) // 2
    first, second = squeeze("".join(pages[:half])), squeeze("".join(pages[half:]))
    assert "第一份" in squeeze(pages[0]) and "第二份" in squeeze(pages[half])
    for copy in (first, second):
        for value in leaf_strings(answers):
            assert squeeze(value) in copy, value
        assert ACCESS_METHOD_LABELS[answers.website.access_method].zh in copy
        assert answers.connection_date is not None
        assert date_text(answers.connection_date).zh in copy
        assert "公安机关审核意见" in copy and "备案编号" in copy


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_page_of_each_copy_carries_its_mark_and_its_own_page_numbers(subject: str) -> None:
    pages = [squeeze(p) for p in page_texts(rendered(subject, DocumentKind.FILING_FORM).pdf)]
    half = len(pages) // 2
    copies = ((pages[:half], "第一份", "第二份"), (pages[half:], "第二份", "第一份"))
    for copy, mark, other in copies:
        for number, text in enumerate(copy, 1):
            assert mark in text
            assert other not in text
            assert f"第{number}页/共{half}页" in text


def test_a_long_form_keeps_both_copies_the_same_length(ctx: DocumentContext) -> None:
    answers = load_example("government")
    many = [f"site{i}.lib.example.gov.cn" for i in range(50)]
    website = answers.website.model_copy(update={"domains": many, "pre_approvals": ["许可" * 400]})
    doc = render(DocumentKind.FILING_FORM, answers.model_copy(update={"website": website}), ctx)
    pages = [squeeze(p) for p in page_texts(doc.pdf)]
    assert doc.pages == len(pages) >= 6  # at least three pages per copy
    half = len(pages) // 2
    assert all("第一份" in p for p in pages[:half])
    assert all("第二份" in p for p in pages[half:])
    assert pages[:half] == [p.replace("第二份", "第一份") for p in pages[half:]]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_other_documents_name_the_applicant_and_the_site(subject: str) -> None:
    answers = load_example(subject)
    for kind in (
        DocumentKind.RESPONSIBILITY,
        DocumentKind.CHECKLIST,
        DocumentKind.GUIDE,
        DocumentKind.CHANGE_REPORT,
    ):
        text = squeeze("".join(page_texts(rendered(subject, kind).pdf)))
        assert squeeze(answers.subject.name) in text, kind
        assert squeeze(answers.website.name) in text, kind


def test_the_responsibility_notice_cites_the_articles_correctly() -> None:
    text = squeeze("".join(page_texts(rendered("enterprise", DocumentKind.RESPONSIBILITY).pdf)))
    assert "警告或者停机整顿不超过六个月的处罚（不处罚款）" in text
    assert "第二十三条" in text and "第二十一条" in text and "第二十条" in text
    assert "二十四小时内" in text and "六十日" in text and "备案图标" in text
    assert "非交互式" in text
    interactive = squeeze(
        "".join(page_texts(rendered("government", DocumentKind.RESPONSIBILITY).pdf))
    )
    assert "留言板" in interactive and "真实身份信息登记" in interactive


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_checklist_lists_the_pack_items_for_the_subject(subject: str) -> None:
    pack = load_pack("example")
    text = squeeze("".join(page_texts(rendered(subject, DocumentKind.CHECKLIST).pdf)))
    from rules.materials import materials_for

    for item in materials_for(load_example(subject).subject_type, pack):
        assert squeeze(item.item.zh) in text
    assert squeeze(pack.bureau.address.zh) in text and squeeze(pack.bureau.office_hours.zh) in text
    assert ("加盖公章" in text) is (subject != "individual")


def test_a_passport_holder_is_told_to_bring_a_copy_of_the_passport() -> None:
    """An individual who filed with a passport has no resident ID card to copy: the
    checklist names the passport (and its data page), as the form does."""
    answers = load_example("individual")
    person = answers.subject.responsible.model_copy(
        update={"id_type": "passport", "id_number": "E12345678"}
    )
    subject = answers.subject.model_copy(
        update={
            "credential_type": "passport",
            "credential_number": "E12345678",
            "responsible": person,
        }
    )
    ctx = DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28))
    passport = answers.model_copy(update={"subject": subject})
    text = squeeze("".join(page_texts(render(DocumentKind.CHECKLIST, passport, ctx).pdf)))
    assert "本人护照复印件" in text and "个人资料页" in text
    assert "居民身份证" not in text
    resident = squeeze("".join(page_texts(rendered("individual", DocumentKind.CHECKLIST).pdf)))
    assert "本人居民身份证复印件" in resident and "护照" not in resident


def test_the_guide_dates_each_step_and_states_the_penalty() -> None:
    text = squeeze("".join(page_texts(rendered("enterprise", DocumentKind.GUIDE).pdf)))
    # Online 2026-11-20: day 30 is Sunday 12/20, so the filing is due Monday 12/21.
    assert "最迟于2026年12月21日（含当日）" in text
    assert "提交后5个工作日内" in text and "初审合格后5个工作日内" in text
    assert "不处罚款" in text
    assert "杭州" in text  # the route's second bureau


def test_known_dates_appear_and_2027_dates_are_flagged(ctx: DocumentContext) -> None:
    answers = load_example("enterprise")
    later = DocumentContext(
        pack=ctx.pack,
        today=ctx.today,
        calendar=ctx.calendar,
        submitted_on=dt.date(2026, 12, 21),
        initial_passed_on=dt.date(2026, 12, 28),
    )
    guide = squeeze("".join(page_texts(render(DocumentKind.GUIDE, answers, later).pdf)))
    assert "最迟于2026年12月28日（含当日）" in guide  # initial review: 5 working days after 12/21
    assert "最迟于2027年1月5日（含当日）" in guide and "估算" in guide
    assert "2027年的放假安排尚未公布" in guide
    checklist = squeeze("".join(page_texts(render(DocumentKind.CHECKLIST, answers, later).pdf)))
    assert "最迟于2027年1月5日（含当日）" in checklist and "估算" in checklist


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("kind", [DocumentKind.FILING_FORM, DocumentKind.RESPONSIBILITY])
def test_the_drafts_say_so_on_every_page_and_name_who_stamps_or_signs(
    subject: str, kind: DocumentKind
) -> None:
    """The notice stamps (an individual signs) what the filing system generates after 初审:
    our 备案表 and 告知书 are drafts, marked on each page; a person is never asked to stamp."""
    pages = page_texts(rendered(subject, kind).pdf)
    assert all("预填稿" in squeeze(page) for page in pages)
    everything = squeeze("".join(pages))
    assert "初审合格后从备案系统下载生成" in everything
    if subject == "individual":
        assert "盖章" not in everything.replace("公安机关（盖章）", "")  # the bureau's own seal
        assert "不用签字" in everything
    else:
        assert "不用盖章" in everything


def test_english_documents_number_their_pages_in_english() -> None:
    ctx = DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28), lang="en")
    for kind in (DocumentKind.GUIDE, DocumentKind.CHECKLIST):
        pages = page_texts(render(kind, load_example("enterprise"), ctx).pdf)
        for number, page in enumerate(pages, 1):
            assert f"Page {number} of {len(pages)}" in page
            assert "备案助手生成" not in page and "页" not in page.split("Page")[-1]
