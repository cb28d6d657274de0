"""case dispatch and resolve times, kept on the case for the evaluation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:50:00

The evaluation needs each case's first dispatch and last resolve. Aggregating them from the events
for a year of cases took most of its time; the lifecycle now keeps both on the case. Existing cases
get them from their events here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET "
        "dispatched_at = (SELECT min(e.at) FROM events e WHERE e.case_pk = cases.pk AND e.kind = 'dispatch'), "
        "resolved_at = (SELECT max(e.at) FROM events e WHERE e.case_pk = cases.pk AND e.kind = 'resolve')")


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('dispatched_at')
