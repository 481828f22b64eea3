"""Every ID document for every person of every subject type, to the end (issue 25, item 8).

Each interview is typed as an applicant would: the document's button word (护照) before the
number where it is not a resident ID. The summary must name the document, /edit must reach
every item asked (a derived person's items lead to the person they are taken from), and the
confirmed answers must validate with each person's own document type — as the filing form
prints it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dialogs.engine import begin, handle
from dialogs.model import Context, Input, InterviewState, Stage, Submit
from dialogs.turn import spec_for
from documents.model import DocumentContext
from rules.answers import FilingAnswers
from rules.codes import ID_TYPES
from rules.enums import DocumentKind
from tests.dialogs.conftest import shown

DOCUMENTS = list(ID_TYPES)
SUBJECT_TYPES = ["government", "enterprise", "individual", "social_org", "other"]
# Three valid numbers of each document: the subject (or representative), the officer, the
# emergency contact, when each is a person of their own.
NUMBERS = {
    "resident_id": ("330106198506120015", "330102199001010020", "330106199203150035"),
    "passport": ("E12345678", "E87654321", "G11223344"),
    "hk_macao_permit": ("H12345678", "M87654321", "H1234567801"),
    "tw_permit": ("12345678", "87654321", "A123456789"),
    "foreign_permanent": ("USA330077120186", "GBR330077120187", "FRA330077120188"),
}
ID_QUESTIONS = {"credential": 0, "rep_id": 0, "officer_id": 1, "contact_id": 2}
TYPED: dict[str, str] = {
    "maintenance": "本市",
    "server": "本市",
    "connection_date": "2026-11-20",
    "address": "示例市示例区云帆路88号",
    "postcode": "310012",
    "phone": "0571-88886666",
    "rep_name": "林云帆",
    "rep_mobile": "13800138000",
    "rep_email": "lin@example.cn",
    "site_name": "云帆官网",
    "domains": "www.example.cn、example.cn",
    "registrars": "阿里云计算有限公司",
    "ips": "47.96.12.34、47.96.12.35",
    "server_count": "1",
    "icp": "浙ICP备2025012345号-1",
    "provider": "阿里云计算有限公司",
    "provider_region": "浙江省杭州市",
    "provider_phone": "95187",
    "provider_code": "67395965-4",
    "access": "云主机",
    "server_addr": "示例市示例区数据中心路9号",
    "services": "1、2",
    "commercial": "非经营性",
    "languages": "1、3",
    "interactive": "否",
    "controlled": "否",
    "pre_approvals": "无",
    "measures_use": "采用建议",
    "policies_use": "采用建议",
    "officer_name": "周安",
    "officer_mobile": "13900139000",
    "officer_email": "sec@example.cn",
    "contact_name": "陈急",
    "contact_mobile": "13700137000",
    "contact_email": "oncall@example.cn",
}
CONTACT_CHOICE = {"responsible": "1", "officer": "2", "other": "3"}


def _documents(first: str) -> tuple[str, str, str]:
    """The subject's document, then the next two in turn: every role meets every document."""
    i = DOCUMENTS.index(first)
    return first, DOCUMENTS[(i + 1) % 5], DOCUMENTS[(i + 2) % 5]


class Applicant:
    """Type answers into the real engine, question by question, as a person would."""

    def __init__(self, ctx: Context, subject_type: str, documents: tuple[str, str, str]) -> None:
        self.ctx = ctx
        self.documents = documents
        self.typed = dict(TYPED)
        self.typed["subject_type"] = subject_type
        individual = subject_type == "individual"
        self.typed["subject_name"] = "林小吉" if individual else "示例云帆科技有限公司"
        if subject_type == "government":
            self.typed["credential"] = "12330100MB1234567B"
        elif subject_type == "social_org":  # registered with 民政: its code starts with 5
            self.typed["credential"] = "51330100MJ1234567Q"
        elif not individual:
            self.typed["credential"] = "91330106MA2B3C4D5D"
        step = begin(ctx)
        self.state: InterviewState = step.state
        self.said = shown(step)
        self.effects: list[object] = []

    def say(self, text: str) -> str:
        step = handle(self.state, Input.typed(text), self.ctx)
        self.state, self.said = step.state, shown(step)
        self.effects += step.effects
        return self.said

    def number(self, qid: str) -> str:
        slot = ID_QUESTIONS[qid]
        return NUMBERS[self.documents[slot]][slot]

    def answer_until_the_summary(self, officer: str, contact: str) -> None:
        self.typed["officer_same"] = "是" if officer == "same" else "否"
        self.typed["contact_same"] = CONTACT_CHOICE[contact]
        for _ in range(80):
            if self.state.state is Stage.SUMMARY:
                return
            qid = self.state.question
            assert qid is not None, self.said
            if qid in ID_QUESTIONS and not (qid == "credential" and "credential" in self.typed):
                document = self.documents[ID_QUESTIONS[qid]]
                label = ID_TYPES[document].zh
                if document != "resident_id":
                    assert f"已改为{label}" in self.say(label)
                assert f"✅ {label}" in self.said
                self.say(self.number(qid))
            else:
                self.say(self.typed[qid])
            assert "这个答案不对" not in self.said, self.said
        raise AssertionError(f"never reached the summary:\n{self.said}")


@pytest.fixture(params=SUBJECT_TYPES)
def subject_type(request: pytest.FixtureRequest, context: Context) -> str:
    value = str(request.param)
    assert value in {s.value for s in context.pack.subject_types}
    return value


@pytest.mark.parametrize("contact", ["responsible", "officer", "other"])
@pytest.mark.parametrize("officer", ["same", "other"])
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_document_of_every_person_reaches_the_filing(
    context: Context, subject_type: str, document: str, officer: str, contact: str
) -> None:
    documents = _documents(document)
    person = Applicant(context, subject_type, documents)
    person.answer_until_the_summary(officer, contact)
    summary = person.said
    individual = subject_type == "individual"
    asked = ["credential" if individual else "rep_id"]
    asked += ["officer_id"] if officer == "other" else []
    asked += ["contact_id"] if contact == "other" else []
    for qid in asked:  # the summary names each document that is not a resident ID
        kind = documents[ID_QUESTIONS[qid]]
        label = "" if kind == "resident_id" else f"{ID_TYPES[kind].zh} "
        assert f"：{label}{person.number(qid)}" in summary, summary

    # Every item once per subject type and arrangement; the people's for every document.
    _edit_every_item(person, everything=document == DOCUMENTS[1])

    assert "文件已准备好" in person.say("确认提交"), person.said
    submits = [e for e in person.effects if isinstance(e, Submit)]
    assert len(submits) == 1
    answers = submits[0].answers
    again = FilingAnswers.model_validate(answers.model_dump(mode="json"))
    assert again == answers
    subject_doc, officer_doc, contact_doc = documents
    own = NUMBERS[subject_doc][0]
    responsible = answers.subject.responsible
    assert (responsible.id_type, responsible.id_number) == (subject_doc, own)
    if individual:
        assert (answers.subject.credential_type or "resident_id") == subject_doc
        assert answers.subject.credential_number == own
    expected_officer = (
        (subject_doc, own) if officer == "same" else (officer_doc, NUMBERS[officer_doc][1])
    )
    got = answers.security_officer
    assert (got.id_type, got.id_number) == expected_officer
    expected_contact = {
        "responsible": (subject_doc, own),
        "officer": expected_officer,
        "other": (contact_doc, NUMBERS[contact_doc][2]),
    }[contact]
    got = answers.emergency_contact
    assert (got.id_type, got.id_number) == expected_contact
    _the_form_prints_each_document(answers, context)


def _edit_every_item(person: Applicant, *, everything: bool) -> None:
    """From the summary, /edit each answered item by its label (`everything`: else only the
    subject's and the people's), keep it, and come back; the items of a derived person lead
    to the person they are taken from."""
    spec = spec_for(person.ctx)
    answers = person.state.answers
    subject_type = answers["subject_type"]
    asked = [
        spec.worded(q, subject_type)
        for q in spec.questions
        if q.key in answers and q.applies(answers) and q.id != "subject_type"
        if everything or q.stage in (Stage.SUBJECT, Stage.PEOPLE)
    ]
    for q in asked:
        reply = person.say(f"/edit {q.label.zh}")
        if "可能是下面几项" in reply:
            reply = person.say(q.label.zh)
        assert q.prompt.zh in reply or f"{q.label.zh}目前是" in reply, (q.id, reply)
        assert "请核对" in person.say("保留"), (q.id, person.said)
    derived = [
        q
        for q in spec.questions
        if q.stage is Stage.PEOPLE and not q.key.startswith("_") and not q.applies(answers)
    ]
    for q in derived:
        reply = person.say(f"/edit {q.label.zh}")
        assert "是同一个人" in reply, (q.id, reply)
        reply = person.say("1")  # the person it is taken from
        assert "当前答案" in reply, (q.id, reply)
        assert "请核对" in person.say("保留"), (q.id, person.said)


def _the_form_prints_each_document(answers: FilingAnswers, context: Context) -> None:
    from documents.render import render_html

    ctx = DocumentContext(pack=context.pack, today=dt.date(2026, 11, 28))
    html = render_html(DocumentKind.FILING_FORM, answers, ctx, copies=1)
    people: list[Any] = [answers.subject.responsible, answers.security_officer]
    people.append(answers.emergency_contact)
    for p in people:
        assert f"{ID_TYPES[p.id_type].zh}：{p.id_number}" in html


def test_the_pdf_form_prints_a_passport_holders_document_for_every_role(context: Context) -> None:
    from documents.render import render
    from tests.documents.pdf_text import page_texts, squeeze

    person = Applicant(context, "individual", ("passport", "passport", "passport"))
    person.answer_until_the_summary("same", "responsible")
    person.say("确认提交")
    submit = next(e for e in person.effects if isinstance(e, Submit))
    ctx = DocumentContext(pack=context.pack, today=dt.date(2026, 11, 28))
    pdf = render(DocumentKind.FILING_FORM, submit.answers, ctx).pdf
    text = squeeze("".join(page_texts(pdf)))
    # The person, the security officer and the emergency contact, on each of the two copies.
    assert text.count("护照：E12345678") == 6, text
    assert "居民身份证" not in text
