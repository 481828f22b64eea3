"""filing.status `prepared`: a confirmed interview is not a submission

Until now a confirmed interview was stored as `submitted`, with `submitted_at` set, though
nothing had been sent to any bureau: the applicant submits in the official filing system
afterwards. Such filings (no lifecycle event after their first) become `prepared`, their
`submitted_at` cleared, and their first audit event says `prepared`. The status column is a
VARCHAR (no native enum), so the new value needs no change of type.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Filings whose only audit event is their creation: nobody has moved them since.
_UNMOVED = (
    "SELECT filing_id FROM lifecycle_event GROUP BY filing_id HAVING COUNT(*) = 1"
)


def upgrade() -> None:
    op.execute(
        sa.text(
            f"UPDATE filing SET status = 'prepared', submitted_at = NULL "
            f"WHERE status = 'submitted' AND id IN ({_UNMOVED})"
        )
    )
    op.execute(
        sa.text(
            "UPDATE lifecycle_event SET to_status = 'prepared' "
            "WHERE from_status IS NULL AND to_status = 'submitted' "
            "AND filing_id IN (SELECT id FROM filing WHERE status = 'prepared')"
        )
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE lifecycle_event SET to_status = 'submitted' "
            "WHERE from_status IS NULL AND to_status = 'prepared'"
        )
    )
    op.execute(
        sa.text(
            "UPDATE filing SET status = 'submitted', submitted_at = created_at "
            "WHERE status = 'prepared'"
        )
    )
