"""Review documents and posted comment fingerprints in SQL: one review per (repository, pull
request, head), and the fingerprints that keep a re-run from posting a finding twice."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, insert, select, update

from bot.store.base import Tables
from bot.store.schema import comments, reviews


class Reviews(Tables):
    def save_review(
        self,
        host: str,
        repo: str,
        pr: int,
        head_sha: str,
        gate_failed: bool,
        document: dict[str, Any],
    ) -> int:
        text = json.dumps(document)
        now = self.clock()
        key = and_(
            reviews.c.host == host,
            reviews.c.repo == repo,
            reviews.c.pr == pr,
            reviews.c.head_sha == head_sha,
        )
        with self.tx() as conn:
            row = conn.execute(select(reviews.c.id).where(key)).first()
            if row is not None:
                conn.execute(
                    update(reviews)
                    .where(reviews.c.id == row[0])
                    .values(document=text, gate_failed=gate_failed, created_at=now)
                )
                return int(row[0])
            result = conn.execute(
                insert(reviews).values(
                    host=host,
                    repo=repo,
                    pr=pr,
                    head_sha=head_sha,
                    gate_failed=gate_failed,
                    document=text,
                    created_at=now,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def review(self, review_id: int) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["document"] = json.loads(data["document"])
        return data

    def reviews_for(self, host: str, repo: str, pr: int) -> list[dict[str, Any]]:
        with self.read() as conn:
            rows = conn.execute(
                select(reviews.c.id, reviews.c.head_sha, reviews.c.gate_failed)
                .where(reviews.c.host == host, reviews.c.repo == repo, reviews.c.pr == pr)
                .order_by(reviews.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def record_comments(
        self, host: str, repo: str, pr: int, posted: list[tuple[str, str | None]]
    ) -> None:
        now = self.clock()
        with self.tx() as conn:
            for fingerprint, ref in posted:
                exists = conn.execute(
                    select(comments.c.id).where(
                        comments.c.host == host,
                        comments.c.repo == repo,
                        comments.c.pr == pr,
                        comments.c.fingerprint == fingerprint,
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(comments).values(
                            host=host,
                            repo=repo,
                            pr=pr,
                            fingerprint=fingerprint,
                            comment_ref=ref,
                            created_at=now,
                        )
                    )

    def fingerprints(self, host: str, repo: str, pr: int) -> set[str]:
        with self.read() as conn:
            return {
                str(r[0])
                for r in conn.execute(
                    select(comments.c.fingerprint).where(
                        comments.c.host == host, comments.c.repo == repo, comments.c.pr == pr
                    )
                )
            }
