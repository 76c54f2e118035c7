"""Stamps for videos and lesson questions: first stamps, so their caches work from the first request

Revision ID: b5e2d7c41f08
Revises: 7e1f0b2c9a41
Create Date: 2026-12-07 11:55:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e2d7c41f08'
down_revision = '7e1f0b2c9a41'
branch_labels = None
depends_on = None

NAMES = ('media', 'community')


def upgrade():
    table = sa.table('content_versions', sa.column('name', sa.String), sa.column('stamp', sa.String))
    present = {row[0] for row in op.get_bind().execute(sa.select(table.c.name))}
    op.bulk_insert(table, [{'name': name, 'stamp': secrets.token_hex(16)} for name in NAMES if name not in present])


def downgrade():
    table = sa.table('content_versions', sa.column('name', sa.String))
    op.execute(table.delete().where(table.c.name.in_(NAMES)))
