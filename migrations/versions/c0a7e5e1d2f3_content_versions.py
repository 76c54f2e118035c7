"""Content versions: a stamp per kind of content, so caches in every worker can tell they are old

Revision ID: c0a7e5e1d2f3
Revises: 5c0756a72cd5
Create Date: 2026-12-07 10:40:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a7e5e1d2f3'
down_revision = '5c0756a72cd5'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('content_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_content_versions'))
    )
    # A first stamp, so the courses already in the database are kept in cache from the first request.
    op.bulk_insert(table, [{'name': 'courses', 'stamp': secrets.token_hex(16)}])


def downgrade():
    op.drop_table('content_versions')
