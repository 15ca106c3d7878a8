"""risk alerts: that a risk-of-harm disclosure happened in chat (never its text)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("about", sa.String(length=10), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["staff.id"], name=op.f("fk_risk_alert_acknowledged_by_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_risk_alert_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alert")),
    )
    op.create_index(op.f("ix_risk_alert_created_at"), "risk_alert", ["created_at"], unique=False)
    op.create_index(op.f("ix_risk_alert_staff_id"), "risk_alert", ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_alert_staff_id"), table_name="risk_alert")
    op.drop_index(op.f("ix_risk_alert_created_at"), table_name="risk_alert")
    op.drop_table("risk_alert")
