"""Checks for every field an applicant types: a normalised value or a reason, never an exception.

The checks live by kind (`rules.codes`, `rules.contacts`, `rules.names`, `rules.dates`); this
module is their registry for the CLI (`beian check FIELD`) and the interview.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rules.checking import (
    FieldResult,
    bad,
    broken_unicode,
    fold,
    ok,
    text_problem,
)
from rules.codes import (
    ICP_PREFIXES,
    PSB_PREFIXES,
    check_credential,
    check_icp,
    check_id_card,
    check_org_code,
    check_psb_number,
    check_uscc,
    org_code_check_char,
)
from rules.contacts import (
    check_domain,
    check_email,
    check_ip,
    check_mobile,
    check_phone,
    check_postcode,
)
from rules.dates import check_date
from rules.names import check_plain_text

__all__ = [
    "CHECKS",
    "ICP_PREFIXES",
    "PSB_PREFIXES",
    "FieldResult",
    "bad",
    "broken_unicode",
    "check_credential",
    "check_date",
    "check_domain",
    "check_email",
    "check_field",
    "check_icp",
    "check_id_card",
    "check_ip",
    "check_mobile",
    "check_org_code",
    "check_phone",
    "check_plain_text",
    "check_postcode",
    "check_psb_number",
    "check_uscc",
    "fold",
    "ok",
    "org_code_check_char",
    "text_problem",
]


# --- the registry used by the CLI and the interview -------------------------------------------

CHECKS: dict[str, Callable[[str], FieldResult]] = {
    "uscc": check_uscc,
    "id-card": check_id_card,
    "org-code": check_org_code,
    "icp": check_icp,
    "psb-number": check_psb_number,
    "phone": check_phone,
    "mobile": check_mobile,
    "domain": check_domain,
    "ip": check_ip,
    "email": check_email,
    "postcode": check_postcode,
    "date": check_date,
}


def check_field(field: str, text: str, today: dt.date | None = None) -> FieldResult:
    """Run the check named `field`; dates and ID numbers are judged against `today`."""
    if field == "date":
        return check_date(text, today)
    if field == "id-card":
        return check_id_card(text, today)
    return CHECKS[field](text)
