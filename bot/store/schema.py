"""The tables (SQLAlchemy Core). Changes go through a new Alembic revision."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(16), nullable=False),
    Column("delivery_id", String(128), nullable=False),
    Column("event", String(64), nullable=False),
    Column("action", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("host", "delivery_id", name="uq_delivery"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(16), nullable=False),
    Column("repo", String(255), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("head_sha", String(64)),
    Column("base_sha", String(64)),
    Column("installation_id", Integer),
    Column("project_id", Integer),
    Column("kind", String(16), nullable=False, default="review"),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("lease_until", Float),
    Column("run_after", Float, nullable=False),
    Column("worker", String(128)),
    Column("delivery_id", String(128)),
    Column("payload", Text, nullable=False, default="{}"),
    Column("published_at", Float),  # when its wake-up message was last sent (scale-out)
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_jobs_due", "state", "run_after"),
    Index("ix_jobs_pr", "host", "repo", "pr"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(16), nullable=False),
    Column("repo", String(255), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("head_sha", String(64), nullable=False),
    Column("gate_failed", Boolean, nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("host", "repo", "pr", "head_sha", name="uq_review_head"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(16), nullable=False),
    Column("repo", String(255), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("comment_ref", String(128)),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("host", "repo", "pr", "fingerprint", name="uq_comment"),
)

installations = Table(
    "installations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(16), nullable=False),
    Column("installation_id", Integer, nullable=False),
    Column("account", String(255)),
    Column("action", String(64), nullable=False),
    Column("received_at", Float, nullable=False),
)
