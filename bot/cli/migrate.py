"""`redline migrate`: run the store's Alembic migrations, once per upgrade. On Kubernetes the
chart runs it as a pre-install/pre-upgrade hook Job; web and worker pods on PostgreSQL never
migrate on start-up (they refuse a schema behind their version). `--check` only reports."""

from __future__ import annotations

import argparse
import sys

EXIT_PENDING = 1


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        metavar="URL",
        help="the database (default: REDLINE_DATABASE_URL, else SQLite in REDLINE_DATA_DIR)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when migrations are pending",
    )


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core.errors import StoreError
    from bot.service.settings import load_settings
    from bot.store.db import make_engine, migrate, revisions

    url = args.url or load_settings().store_url
    where = url.split("@")[-1]
    try:
        engine = make_engine(url)
    except SQLAlchemyError as exc:  # a URL SQLAlchemy cannot use (bad scheme, unparsable)
        raise StoreError(f"cannot migrate the store at {where}: {_reason(exc)}") from exc
    try:
        before, head, known = revisions(engine)
        if args.check:
            pending = before != head and known
            state = "pending" if pending else ("up to date" if known else "ahead of this version")
            print(f"{where}: revision {before or 'none'}, head {head}: {state}")
            return EXIT_PENDING if pending else 0
        if not known:
            raise StoreError(
                f"the database at {where} is at revision {before}, which this version does not "
                f"know (its head is {head}): run the newer version's `redline migrate`"
            )
        try:
            migrate(engine)
        except StoreError as exc:  # the migration itself failed and was rolled back
            raise StoreError(f"{where}: {exc} (rolled back; still at {before or 'none'})") from exc
        after, _, _ = revisions(engine)
    except SQLAlchemyError as exc:  # unreachable or refused: one line, the CLI exits 2
        raise StoreError(f"cannot migrate the store at {where}: {_reason(exc)}") from exc
    finally:
        engine.dispose()
    print(
        f"{where}: revision {before or 'none'} -> {after}"
        if before != after
        else f"{where}: already at {after}"
    )
    sys.stdout.flush()
    return 0


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
