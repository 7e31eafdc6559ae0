"""The first schema: resources, tags and jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(1024)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_updated_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("compute_time_ms", sa.Integer),
        sa.Column("message", sa.Text),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("data_uri", sa.String(2048)),
        sa.Column("ml_model_id", sa.String(64)),
        sa.Column("data_source_id", sa.String(64)),
        sa.Column("ml_model_type", sa.String(16)),
        sa.Column("endpoint_status", sa.String(16)),
        sa.Column("algorithm", sa.String(32)),
    )
    op.create_index("ix_resources_kind_created", "resources", ["kind", "created_at"])
    op.create_index("ix_resources_kind_status", "resources", ["kind", "status"])
    op.create_table(
        "tags",
        sa.Column("resource_kind", sa.String(32), primary_key=True),
        sa.Column("resource_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256)),
        sa.ForeignKeyConstraint(["resource_kind", "resource_id"], ["resources.kind", "resources.id"]),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("resource_kind", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", sa.Float),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("error", sa.Text),
        sa.ForeignKeyConstraint(["resource_kind", "resource_id"], ["resources.kind", "resources.id"]),
    )
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_resource", "jobs", ["resource_kind", "resource_id"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("tags")
    op.drop_table("resources")
