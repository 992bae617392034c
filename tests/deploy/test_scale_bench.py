"""`redline bench scale`'s accounting (what makes a duplicate or a lost job, queue waits from
the real artefacts), its inputs and options; and, behind the `slow` marker, one real run on
the machine's PostgreSQL and Redis."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.bench import scale
from bot.core.errors import UsageError
from tests.conftest import Run

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _log(pr: int, start: float, end: float, summaries: int = 1) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"kind": "status", "pr": pr, "state": "in_progress", "at": start},
        {"kind": "review", "pr": pr, "fingerprints": [f"fp{pr}"], "at": start + 1},
    ]
    entries += [{"kind": "summary", "pr": pr, "at": start + 1.5}] * summaries
    entries.append({"kind": "status", "pr": pr, "state": "failure", "at": end})
    return entries


def _jobs(*states: str) -> dict[int, dict[str, Any]]:
    return {i: {"state": s, "created_at": 100.0} for i, s in enumerate(states, start=1)}


def test_clean_run_counts_waits_and_nothing_else() -> None:
    log = _log(1, 102.0, 110.0) + _log(2, 104.0, 112.0)
    result = scale.tally(_jobs("done", "done"), {1: 1, 2: 2}, log, Counter({1: 1, 2: 1}))
    assert (result.duplicates, result.lost) == (0, 0)
    assert sorted(result.queue_waits) == [2.0, 4.0]
    assert result.review_walls == [8.0, 8.0]
    assert (result.first_enqueued, result.last_finished) == (100.0, 112.0)


def test_duplicates_and_lost_jobs_are_counted() -> None:
    prs = {1: 1, 2: 2, 3: 3, 4: 4}
    twice_summarised = _log(1, 102.0, 110.0, summaries=2)
    again = {"kind": "review", "pr": 2, "fingerprints": ["fp2"], "at": 111.0}
    comment_twice = [*_log(2, 102.0, 110.0), again]
    never_finished = [{"kind": "status", "pr": 3, "state": "in_progress", "at": 103.0}]
    log = twice_summarised + comment_twice + never_finished + _log(4, 105.0, 115.0)
    done = Counter({1: 1, 2: 1, 4: 2})  # job 4 completed by two workers
    result = scale.tally(_jobs("done", "done", "running", "done"), prs, log, done)
    assert result.duplicates == 3
    assert result.lost == 1
    dead = scale.tally(_jobs("dead"), {1: 1}, _log(1, 101.0, 102.0), Counter())
    assert (dead.lost, dead.dead) == (1, 1)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert scale.percentile(values, 0.5) == 50.0
    assert scale.percentile(values, 0.99) == 99.0
    assert scale.percentile([3.0], 0.99) == 3.0
    assert scale.percentile([], 0.5) == 0.0


def test_inputs_come_from_the_data_folder(tmp_path: Path) -> None:
    changes = scale.load_changes(SAMPLES)
    assert len(changes) == 8 and all(c.name.startswith("commit-") for c in changes)
    assert all(c.files for c in changes)
    template = scale.load_template(SAMPLES)
    assert template["repository"]["full_name"] == scale.REPO
    with pytest.raises(UsageError, match="commit-"):
        scale.load_changes(tmp_path)
    with pytest.raises(UsageError, match="pull_request__synchronize"):
        scale.load_template(tmp_path)


def test_bad_worker_counts_are_refused(run_cli: Run) -> None:
    for bad in ("1,x", "0", ","):
        code, _out, err = run_cli("bench", "scale", "--workers", bad, "--data", str(SAMPLES))
        assert code == 2 and len(err.strip().splitlines()[-1:]) == 1
        assert "--workers must be" in err and "Traceback" not in err


@pytest.mark.slow
def test_one_real_run_on_postgresql_and_redis() -> None:
    changes = scale.load_changes(SAMPLES)[:2]
    figures = scale.measure(changes, scale.load_template(SAMPLES), 1, prs=2)
    assert figures["reviews"] == 2 and figures["duplicates"] == 0 and figures["lost"] == 0
    assert figures["queue_wait_p99_s"] >= figures["queue_wait_p50_s"] >= 0
