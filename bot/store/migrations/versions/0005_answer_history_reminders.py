"""answer history, and notifications sent once (reminders and notices)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrsp_answer_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("old_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_wrsp_answer_history_actor_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["wrsp_plan.id"], name=op.f("fk_wrsp_answer_history_plan_id_wrsp_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wrsp_answer_history")),
    )
    op.create_index(op.f("ix_wrsp_answer_history_plan_id"), "wrsp_answer_history", ["plan_id"], unique=False)
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch.create_unique_constraint(batch.f("uq_notification_dedupe_key"), ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint(batch.f("uq_notification_dedupe_key"), type_="unique")
        batch.drop_column("dedupe_key")
    op.drop_index(op.f("ix_wrsp_answer_history_plan_id"), table_name="wrsp_answer_history")
    op.drop_table("wrsp_answer_history")
