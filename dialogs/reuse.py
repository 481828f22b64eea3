"""/new for someone who has filed: the unit's and the people's answers of their last filing,
offered for the new interview once its subject type is known (a new site, the same unit).

The channel reads the last filing's answers only for the turn that starts another interview
and hands them over as `Context.previous` (the schema's JSON); here they become the
interview's flat answers of the subject and people stages, and the lines that show them.
"""

from __future__ import annotations

from typing import Any

from dialogs import texts
from dialogs.model import Stage
from dialogs.nesting import value_at
from dialogs.spec import Spec
from rules.codes import ID_TYPES
from rules.text import Lang, mask_number

REUSED_STAGES = (Stage.SUBJECT, Stage.PEOPLE)


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, dict) and a == b


def reusable(previous: dict[str, Any] | None, spec: Spec) -> dict[str, Any] | None:
    """Return the last filing's subject and people as the interview's answers (None: none)."""
    if not previous or not isinstance(previous.get("subject"), dict):
        return None
    subject_type = previous.get("subject_type")
    responsible = value_at(previous, "subject.responsible")
    officer, contact = previous.get("security_officer"), previous.get("emergency_contact")
    flat: dict[str, Any] = {
        "subject_type": subject_type,
        "_officer_same": _same(officer, responsible),
        "_contact": (
            "responsible"
            if _same(contact, responsible)
            else "officer"
            if _same(contact, officer)
            else "other"
        ),
    }
    for q in spec.questions:
        if q.stage not in REUSED_STAGES or q.key.startswith("_") or not q.applies(flat):
            continue
        value = value_at(previous, q.key)
        if value is None and not q.optional:
            continue  # not in an older filing: asked
        flat[q.key] = value
        id_type_key = spec.worded(q, subject_type).id_type_key
        id_type = value_at(previous, id_type_key) if id_type_key else None
        if id_type_key and id_type not in (None, "resident_id"):
            flat[id_type_key] = id_type
    return flat


def _document(reuse: dict[str, Any], number_key: str, type_key: str, lang: Lang) -> str:
    number = str(reuse.get(number_key) or "")
    kind = ID_TYPES.get(str(reuse.get(type_key) or "resident_id"), ID_TYPES["resident_id"])
    return f"{kind.get(lang)} {mask_number(number)}"


def reuse_lines(reuse: dict[str, Any], spec: Spec, lang: Lang) -> list[str]:
    """Show what would be reused: the unit (or the person), and who is who, ID numbers masked."""
    colon = "：" if lang == "zh" else ": "
    individual = reuse.get("subject_type") == "individual"
    subject_name = spec.worded(spec.by_key["subject.name"], reuse.get("subject_type")).label
    lines = [f"  {subject_name.get(lang)}{colon}{reuse.get('subject.name', '')}"]
    if individual:
        you = _document(reuse, "subject.credential_number", "subject.credential_type", lang)
        lines[0] += f"（{you}）" if lang == "zh" else f" ({you})"
        first = texts.SELF.fill(lang, name=reuse.get("subject.name", ""))
    else:
        credential = spec.worded(spec.by_key["subject.credential_number"], "enterprise").label
        lines.append(f"  {credential.get(lang)}{colon}{reuse.get('subject.credential_number')}")
        first = _person(reuse, "subject.responsible", lang)
        lines.append(f"  {texts.REUSE_REPRESENTATIVE.get(lang)}{colon}{first}")
    officer = first if reuse.get("_officer_same") else _person(reuse, "security_officer", lang)
    lines.append(f"  {texts.REUSE_OFFICER.get(lang)}{colon}{officer}")
    contact = {"responsible": first, "officer": officer}.get(str(reuse.get("_contact")))
    if contact is None:
        contact = _person(reuse, "emergency_contact", lang)
    lines.append(f"  {texts.REUSE_CONTACT.get(lang)}{colon}{contact}")
    return lines


def _person(reuse: dict[str, Any], at: str, lang: Lang) -> str:
    document = _document(reuse, f"{at}.id_number", f"{at}.id_type", lang)
    name = reuse.get(f"{at}.name", "")
    return f"{name}（{document}）" if lang == "zh" else f"{name} ({document})"
