"""the question a clarifying choice refers to, shared by every action server

Revision ID: 0008
Revises: 0007 (the Telegram bridge's state, branch issue14-bridge)
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_question",
        sa.Column("sender", sa.String(length=128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_pending_question")),
    )
    op.create_index(op.f("ix_pending_question_asked_at"), "pending_question", ["asked_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_question_asked_at"), table_name="pending_question")
    op.drop_table("pending_question")
