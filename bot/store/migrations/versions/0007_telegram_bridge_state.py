"""the Telegram bridge's state in the database: flood control, updates seen, long button
payloads; notices claimed by a bridge until they are sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_rate",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_telegram_rate")),
    )
    op.create_table(
        "telegram_update",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_telegram_update")),
    )
    op.create_index(op.f("ix_telegram_update_seen_at"), "telegram_update", ["seen_at"], unique=False)
    op.create_table(
        "telegram_button",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_telegram_button")),
    )
    op.create_index(op.f("ix_telegram_button_created_at"), "telegram_button", ["created_at"], unique=False)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("risk_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notice_claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_alert", schema=None) as batch_op:
        batch_op.drop_column("notice_claimed_by")
        batch_op.drop_column("notice_claimed_at")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("claimed_at")
    op.drop_index(op.f("ix_telegram_button_created_at"), table_name="telegram_button")
    op.drop_table("telegram_button")
    op.drop_index(op.f("ix_telegram_update_seen_at"), table_name="telegram_update")
    op.drop_table("telegram_update")
    op.drop_table("telegram_rate")
