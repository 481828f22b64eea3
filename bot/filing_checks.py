"""Checks of a decision against the other filings and the people (split out of
`bot.filing_actions`, which runs them in `act`'s transaction)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.tables import Applicant, Filing
from rules.codes import check_psb_number
from rules.enums import FilingStatus
from rules.filing_life import Event, Refusal
from rules.text import t

OWN_FILING = t(
    "这是你本人的备案：审核人员不能审核自己的备案，请由其他审核人员处理。",
    "This is your own filing: a reviewer does not decide their own; another reviewer will.",
)


def own_filing(applicant: Applicant | None, reviewer: str) -> bool:
    """Say whether the filing is the reviewer's own (they filed it on Telegram themselves)."""
    return (
        applicant is not None
        and applicant.channel == "telegram"
        and applicant.external_id == reviewer
    )


def number_taken(session: Session, filing: Filing, event: Event) -> Refusal | None:
    """A 公安备案号 another filing (not cancelled) already has: refused, naming it (a number is
    one site's; the same one typed for a second filing was taken)."""
    number = getattr(event, "psb_number", None)
    normal = check_psb_number(number).normalized if number else None
    certificate = getattr(event, "certificate", None)
    alive = (Filing.id != filing.id, Filing.status != FilingStatus.CANCELLED)
    if normal:  # its 14 digits: the same with another province's abbreviation is the same
        same = col(Filing.psb_number).endswith(normal[normal.index("公网安备") :])
        other = session.exec(select(Filing.id).where(same, *alive)).first()
        if other is not None:
            return Refusal(t(
                f"这个公安备案号已用于备案 #{other}，请核对后重新填写。",
                f"That filing number is already filing #{other}'s; check it and enter it again.",
            ))  # fmt: skip
    if certificate:
        other = session.exec(
            select(Filing.id).where(Filing.certificate_number == certificate.strip(), *alive)
        ).first()
        if other is not None:
            return Refusal(t(
                f"这个备案证编号已用于备案 #{other}，请核对后重新填写。",
                f"That certificate number is already filing #{other}'s; check it.",
            ))  # fmt: skip
    return None
