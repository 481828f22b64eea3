"""interview.question: the column named for what it holds; answers and flow in the new shape

`interview.state` held the id of the question being asked, so it is renamed `question`. The
interview rebuilt on data (issue 15) keys a few answers differently and keeps its control in a
mode machine instead of flags; an interview in progress is carried over so that nobody loses
what they typed:

- the legal representative's answers `responsible.*` → `subject.responsible.*`;
- `officer.same` (a yes/no) → `_officer_same`; `contact.same` → `_contact`;
- the flow's flags `pending` / `paused` / `collecting` → its `mode`; `editing` is dropped (the
  flow rule now returns to the first unanswered question by itself).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_RENAMED = {'officer.same': '_officer_same', 'contact.same': '_contact'}
_PENDING_MODES = {
    'cancel': 'confirming_cancel',
    'restart': 'confirming_restart',
    'resume': 'offering_resume',
}


def _interviews(question_column: str) -> sa.TableClause:
    return sa.table(
        'interview',
        sa.column('id', sa.Integer),
        sa.column(question_column, sa.String),
        sa.column('answers', JSON),
        sa.column('flow', JSON),
    )


def new_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Return stored answers under the rebuilt interview's keys."""
    moved: dict[str, Any] = {}
    for key, value in answers.items():
        if key.startswith('responsible.'):
            key = 'subject.' + key
        moved[_RENAMED.get(key, key)] = value
    return moved


def new_flow(flow: dict[str, Any]) -> dict[str, Any]:
    """Return a stored flow with its flags turned into the mode machine's state."""
    if 'mode' in flow:
        return flow
    mode = 'answering'
    if flow.get('paused'):
        mode = 'paused'
    elif flow.get('pending') in _PENDING_MODES:
        mode = _PENDING_MODES[flow['pending']]
    elif flow.get('collecting') is not None:
        mode = 'collecting'
    return {
        'stage': flow.get('stage', 'welcome'),
        'mode': mode,
        'asked': 0,
        'collecting': flow.get('collecting') if mode == 'collecting' else None,
        'choices': None,
        'pending_text': None,
        'last_ref': None,
    }


def old_answers(answers: dict[str, Any]) -> dict[str, Any]:
    back = {v: k for k, v in _RENAMED.items()}
    moved: dict[str, Any] = {}
    for key, value in answers.items():
        if key.startswith('subject.responsible.'):
            key = key[len('subject.') :]
        moved[back.get(key, key)] = value
    return moved


def old_flow(flow: dict[str, Any]) -> dict[str, Any]:
    mode = flow.get('mode', 'answering')
    pending = {v: k for k, v in _PENDING_MODES.items()}.get(mode)
    return {
        'stage': flow.get('stage', 'welcome'),
        'pending': pending,
        'editing': False,
        'collecting': flow.get('collecting') if mode == 'collecting' else None,
        'paused': mode == 'paused',
    }


def _rewrite(question_column: str, answers_of: Any, flow_of: Any) -> None:
    table = _interviews(question_column)
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.answers, table.c.flow)).all()
    for row_id, answers, flow in rows:
        connection.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(answers=answers_of(dict(answers or {})), flow=flow_of(dict(flow or {})))
        )


def upgrade() -> None:
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.alter_column('state', new_column_name='question')
    _rewrite('question', new_answers, new_flow)


def downgrade() -> None:
    _rewrite('question', old_answers, old_flow)
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.alter_column('question', new_column_name='state')
