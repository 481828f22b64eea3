"""What to bring to re-review, by subject type (filing-rules.md A4)."""

from __future__ import annotations

from rules.enums import SubjectType
from rules.pack import Material, Pack
from rules.text import Text, t

SUBJECT_LABELS: dict[SubjectType, Text] = {
    SubjectType.GOVERNMENT: t("政府机关、事业单位", "Government agency or public institution"),
    SubjectType.ENTERPRISE: t("企业", "Enterprise"),
    SubjectType.INDIVIDUAL: t("个人", "Individual"),
    SubjectType.SOCIAL_ORG: t("社会团体", "Social organisation"),
    SubjectType.OTHER: t("其他", "Other"),
}


def materials_for(subject: SubjectType, pack: Pack) -> list[Material]:
    """Return the items `subject` brings to re-review, in the pack's order."""
    return pack.materials.of(subject)


def requirement(material: Material) -> Text:
    """Say how the item must be marked: stamped, signed, or as is."""
    if material.stamp:
        return t("加盖公章", "with the official seal")
    if material.sign:
        return t("本人签字", "signed by you")
    return t("无需盖章", "no seal needed")
