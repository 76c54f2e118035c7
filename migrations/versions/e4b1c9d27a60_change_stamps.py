"""Change stamps: a stamp per person and per village, so a page kept for a reader can tell it is old

Revision ID: e4b1c9d27a60
Revises: b5e2d7c41f08
Create Date: 2026-12-07 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b1c9d27a60'
down_revision = 'b5e2d7c41f08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_stamps',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_change_stamps'))
    )


def downgrade():
    op.drop_table('change_stamps')
