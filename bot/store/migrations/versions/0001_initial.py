"""The initial schema: deliveries, jobs, reviews, comments, installations.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Long: a migration is one schema's DDL, frozen once released; split into helpers it
    would invite edits to a revision that databases have already applied."""
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.UniqueConstraint("host", "delivery_id", name="uq_delivery"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(16), nullable=False),
        sa.Column("repo", sa.String(255), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("head_sha", sa.String(64)),
        sa.Column("base_sha", sa.String(64)),
        sa.Column("installation_id", sa.Integer),
        sa.Column("project_id", sa.Integer),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("lease_until", sa.Float),
        sa.Column("run_after", sa.Float, nullable=False),
        sa.Column("worker", sa.String(128)),
        sa.Column("delivery_id", sa.String(128)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_jobs_due", "jobs", ["state", "run_after"])
    op.create_index("ix_jobs_pr", "jobs", ["host", "repo", "pr"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(16), nullable=False),
        sa.Column("repo", sa.String(255), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("gate_failed", sa.Boolean, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("host", "repo", "pr", "head_sha", name="uq_review_head"),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(16), nullable=False),
        sa.Column("repo", sa.String(255), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("comment_ref", sa.String(128)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("host", "repo", "pr", "fingerprint", name="uq_comment"),
    )
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("host", sa.String(16), nullable=False),
        sa.Column("installation_id", sa.Integer, nullable=False),
        sa.Column("account", sa.String(255)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("installations", "comments", "reviews", "jobs", "deliveries"):
        op.drop_table(table)
