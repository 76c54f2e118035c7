"""videos: SHA-256 of the original, unique per lesson

Revision ID: d20375dbd7b8
Revises: c0a7e5e1d2f3
Create Date: 2026-12-07 10:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d20375dbd7b8"
down_revision = "c0a7e5e1d2f3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_videos_lesson_id"), ["lesson_id", "sha256"])


def downgrade():
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_videos_lesson_id"), type_="unique")
        batch_op.drop_column("sha256")
