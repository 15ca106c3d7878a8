"""messages to the REST channel by their client's id, and the action calls of their turns,
so a repeat is answered once

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rest_message",
        sa.Column("sender", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", "message_id", name=op.f("pk_rest_message")),
    )
    op.create_index(op.f("ix_rest_message_created_at"), "rest_message", ["created_at"], unique=False)
    op.create_table(
        "action_result",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_action_result")),
    )
    op.create_index(op.f("ix_action_result_created_at"), "action_result", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_action_result_created_at"), table_name="action_result")
    op.drop_table("action_result")
    op.drop_index(op.f("ix_rest_message_created_at"), table_name="rest_message")
    op.drop_table("rest_message")
