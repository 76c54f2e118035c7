"""Background file jobs: big exports and roster saves with progress

Revision ID: 7e1f0b2c9a41
Revises: d20375dbd7b8
Create Date: 2026-12-07 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e1f0b2c9a41'
down_revision = 'd20375dbd7b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'file_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=100), nullable=True),
        sa.Column('failure', sa.String(length=40), nullable=True),
        sa.Column('created_dt', sa.DateTime(), nullable=False),
        sa.Column('finished_dt', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_file_jobs_requested_by_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_file_jobs'))
    )
    with op.batch_alter_table('file_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_jobs_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_jobs_requested_by_id'), ['requested_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('file_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_jobs_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_file_jobs_key'))

    op.drop_table('file_jobs')
