"""access control, alert delivery and a tamper-evident audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("os_uid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # 0001 refuses UPDATE and DELETE; TRUNCATE is a statement of its own (SQLite has none)
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    with op.batch_alter_table("staff_invite") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("risk_alert") as batch:
        batch.add_column(sa.Column("source", sa.String(length=10), nullable=False, server_default="chat"))
        batch.add_column(sa.Column("notify_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_notification_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_sent_at"), "notification", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_sent_at"), table_name="notification")
    op.drop_table("notification")
    with op.batch_alter_table("risk_alert") as batch:
        for name in ("escalated_at", "last_notified_at", "notify_count", "source"):
            batch.drop_column(name)
    with op.batch_alter_table("staff_invite") as batch:
        batch.drop_column("revoked_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for name in ("entry_hash", "prev_hash", "os_uid", "channel"):
            batch.drop_column(name)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite rebuilt the table without its triggers: put 0001's back
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
