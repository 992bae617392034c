"""Review state: deliveries seen, jobs, reviews and posted comment fingerprints (SQLAlchemy,
SQLite by default, PostgreSQL at scale; schema migrated with Alembic)."""
