"""generated_document: a format column (pdf | docx) for the Word copies

Issue 31: the applicant may ask for editable Word copies of the forms; they are kept beside the
PDFs (the record of what was sent, `beian filings export`), and a re-send of "the documents"
must still send the PDFs only. Existing rows are PDFs (server default 'pdf'). An added column
with a default is an ALTER TABLE ... ADD COLUMN on both databases: the table (which holds the
files) is not copied.

Revision ID: 0012
Revises: 0011_reviewer_reach
Create Date: 2026-12-05 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011_reviewer_reach'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        'generated_document',
        sa.Column('format', sa.String(length=8), nullable=False, server_default='pdf'),
    )


def downgrade() -> None:
    with op.batch_alter_table('generated_document') as batch:
        batch.drop_column('format')
