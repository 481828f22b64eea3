"""From flat interview answers to the FilingAnswers schema, and the summary people check."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from dialogs import texts
from dialogs.model import Stage
from dialogs.questions import Kind, Question
from rules.answers import SERVICE_TYPES, FilingAnswers, answer_problems
from rules.enums import SubjectType
from rules.text import Lang, Text, t

STAGE_LABELS: dict[Stage, Text] = {
    Stage.SUBJECT_TYPE: t("主体类型", "Subject type"),
    Stage.MAINTENANCE: t("维护地", "Maintenance"),
    Stage.SERVER: t("服务器所在地", "Server"),
    Stage.CONNECTION_DATE: t("开通日期", "Online date"),
    Stage.SUBJECT: t("开办主体信息", "The subject"),
    Stage.WEBSITE: t("网站信息", "The website"),
    Stage.PEOPLE: t("安全负责人和应急联系人", "Security officer and emergency contact"),
}


def _person(answers: dict[str, Any], prefix: str) -> dict[str, Any]:
    person = {
        "name": answers.get(f"{prefix}.name"),
        "id_number": answers.get(f"{prefix}.id_number"),
        "mobile": answers.get(f"{prefix}.mobile"),
    }
    if answers.get(f"{prefix}.email"):
        person["email"] = answers[f"{prefix}.email"]
    return person


def applying(answers: dict[str, Any], questions: tuple[Question, ...]) -> dict[str, Any]:
    """Keep only the answers of questions that apply (a changed choice hides stale ones)."""
    return {q.key: answers[q.key] for q in questions if q.key in answers and q.applies(answers)}


def to_filing_answers(answers: dict[str, Any], questions: tuple[Question, ...]) -> dict[str, Any]:
    """Nest the flat answers into the FilingAnswers shape (not validated yet)."""
    a = applying(answers, questions)
    individual = a.get("subject_type") == SubjectType.INDIVIDUAL.value
    responsible = _person(a, "responsible")
    if individual:
        responsible["name"] = a.get("subject.name")
        responsible["id_number"] = a.get("subject.credential_number")
    officer = responsible if a.get("officer.same") else _person(a, "security_officer")
    contact = {"responsible": responsible, "officer": officer}.get(
        a.get("contact.same", ""), _person(a, "emergency_contact")
    )
    subject = {
        "name": a.get("subject.name"),
        "credential_number": a.get("subject.credential_number"),
        "address": a.get("subject.address"),
        "postcode": a.get("subject.postcode"),
        "responsible": responsible,
    }
    if a.get("subject.phone"):
        subject["phone"] = a["subject.phone"]
    website = {
        "name": a.get("website.name"),
        "domains": a.get("website.domains"),
        "ips": a.get("website.ips"),
        "icp_number": a.get("website.icp_number"),
        "access_provider": a.get("website.access_provider"),
        "access_method": a.get("website.access_method"),
        "server_address": a.get("website.server_address"),
        "service_types": [
            SERVICE_TYPES[s].zh if s in SERVICE_TYPES else s
            for s in a.get("website.service_types") or []
        ],
        "interactive": a.get("website.interactive"),
        "interactive_services": a.get("website.interactive_services") or [],
        "pre_approvals": a.get("website.pre_approvals") or [],
    }
    return {
        "subject_type": a.get("subject_type"),
        "maintenance": a.get("maintenance"),
        "maintenance_city": a.get("maintenance_city"),
        "server": a.get("server"),
        "server_city": a.get("server_city"),
        "connection_date": a.get("connection_date"),
        "subject": subject,
        "website": website,
        "security_officer": officer,
        "emergency_contact": contact,
    }


def build(
    answers: dict[str, Any], questions: tuple[Question, ...], lang: Lang
) -> tuple[FilingAnswers | None, list[str]]:
    """Validate the answers as a filing; return it, or the problems in `lang`."""
    try:
        return FilingAnswers.model_validate(to_filing_answers(answers, questions)), []
    except ValidationError as exc:
        return None, answer_problems(exc, lang)


def show_value(question: Question, value: Any, lang: Lang) -> str:
    """Write an answer the way the applicant would recognise it."""
    if value is None or value == []:
        return texts.NONE_VALUE.get(lang)
    if question.kind is Kind.YESNO:
        return (texts.YES_WORD if value else texts.NO_WORD).get(lang)
    labels = {o.id: o.label.get(lang) for o in question.options}
    sep = "、" if lang == "zh" else ", "
    if isinstance(value, list):
        return sep.join(labels.get(v, str(v)) for v in value)
    return labels.get(str(value), str(value))


def summary_lines(
    answers: dict[str, Any], questions: tuple[Question, ...], lang: Lang
) -> list[str]:
    """Return the summary: every applying answer, grouped by stage."""
    lines: list[str] = []
    stage: Stage | None = None
    colon = "：" if lang == "zh" else ": "
    for q in questions:
        if not q.applies(answers) or q.key not in answers:
            continue
        if q.stage is not stage:
            stage = q.stage
            lines.append(f"【{STAGE_LABELS[stage].get(lang)}】")
        lines.append(f"  {q.label.get(lang)}{colon}{show_value(q, answers[q.key], lang)}")
    return lines
