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


# The copy of a person's identity document, by the document they filed with (the pack's item
# marked `identity` names the resident ID card, the usual one).
_IDENTITY_COPIES: dict[str, tuple[Text, Text]] = {
    "passport": (
        t("本人护照复印件", "Copy of your passport"),
        t("个人资料页（含照片页）", "Personal data page (with the photo)"),
    ),
    "hk_macao_permit": (
        t("本人港澳居民来往内地通行证复印件", "Copy of your Home Return Permit"),
        t("正反面复印在同一页", "Both sides on one page"),
    ),
    "tw_permit": (
        t("本人台湾居民来往大陆通行证复印件", "Copy of your Mainland Travel Permit"),
        t("正反面复印在同一页", "Both sides on one page"),
    ),
    "foreign_permanent": (
        t("本人外国人永久居留身份证复印件", "Copy of your Foreign Permanent Residence ID"),
        t("正反面复印在同一页", "Both sides on one page"),
    ),
}


def materials_for(subject: SubjectType, pack: Pack, id_type: str | None = None) -> list[Material]:
    """Return the items `subject` brings to re-review, in the pack's order; `id_type`: the
    document an individual filed with (the copy of it is named so; None: the pack's
    wording, a resident ID card)."""
    items = pack.materials.of(subject)
    copy = _IDENTITY_COPIES.get(id_type or "")
    if copy is None:
        return items
    item, note = copy
    return [m.model_copy(update={"item": item, "note": note}) if m.identity else m for m in items]


def requirement(material: Material) -> Text:
    """Say how the item must be marked: stamped, signed, or as is."""
    if material.stamp:
        return t("加盖公章", "with the official seal")
    if material.sign:
        return t("本人签字", "signed by you")
    return t("无需盖章", "no seal needed")
