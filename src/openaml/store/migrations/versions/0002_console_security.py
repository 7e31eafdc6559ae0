"""Console security: signed-in sessions that sign-out ends, and failed sign-ins per access key ID.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("access_key_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_at"])
    op.create_table(
        "sign_in_failures",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failed_at", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float, nullable=False),
    )
    op.create_index("ix_sign_in_failures_last_failed", "sign_in_failures", ["last_failed_at"])


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("console_sessions")
