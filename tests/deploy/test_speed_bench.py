"""`redline bench speed`'s parts that decide its verdicts (issue 19): the linearity check, the
cases it builds (generated, from git history, from the data sets), the targets' verdicts, and
the process measurement. Nothing here is timed: the figures belong to the bench."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.bench import speed
from bot.core.diff import parse_diff


def _rows(cost: Callable[[int], float]) -> list[dict[str, float]]:
    return [{"changed_lines": n, "review_wall_ms": cost(n)} for n in speed.CURVE]


def test_linear_growth_with_a_fixed_start_up_cost_is_linear() -> None:
    verdict = speed.linearity(_rows(lambda n: 400 + 2.0 * n), "review_wall_ms")
    assert verdict["linear"] is True
    assert verdict["points"] == 5  # 10 and 30 lines are start-up cost: left out
    assert 0.6 <= verdict["exponent"] <= 1.0  # the fixed cost bends it below 1
    assert verdict["over"] == [1000.0, 10000.0]


def test_a_quadratic_step_is_not_linear() -> None:
    verdict = speed.linearity(_rows(lambda n: 400 + 2.0 * n + 0.001 * n * n), "review_wall_ms")
    assert verdict["linear"] is False
    assert verdict["per_line_cost_ratio"] > 1.5


def test_too_few_sizes_give_no_verdict() -> None:
    rows: list[dict[str, float]] = [
        {"changed_lines": 10, "review_wall_ms": 5.0},
        {"changed_lines": 300},
    ]
    assert speed.linearity(rows, "review_wall_ms") == {"points": 0, "linear": None}


def test_generated_case_has_the_changed_lines_asked_for(tmp_path: Path) -> None:
    case = speed.generated_case(tmp_path / "c", 100)
    diff = parse_diff((case / "change.patch").read_text(encoding="utf-8"))
    assert diff.changed_lines == 100
    assert len(diff.files) == 2  # 50 changed lines a file
    for file in diff.files:
        post = (case / "repo" / file.path).read_text(encoding="utf-8").split("\n")
        for hunk in file.hunks:
            for line in hunk.added:
                assert line.new_no is not None
                assert post[line.new_no - 1] == line.text


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_commit_case_is_the_commits_patch_and_post_images(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "a.py").write_text("x = 1\n")
    (repo / "gone.py").write_text("y = 2\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / "a.py").write_text("x = 3\n")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "b.py").write_text("z = 4\n")
    (repo / "gone.py").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "two")
    (repo / "a.py").write_text("x = 'later'\n")  # the working tree is not the commit
    case = speed.commit_case(tmp_path / "case", repo, "HEAD")
    assert (case / "repo" / "a.py").read_text() == "x = 3\n"
    assert (case / "repo" / "pkg" / "b.py").read_text() == "z = 4\n"
    assert not (case / "repo" / "gone.py").exists()
    diff = parse_diff((case / "change.patch").read_text())
    assert {f.path: f.status for f in diff.files}["gone.py"] == "deleted"


def _commit(name: str, files: int, lines: int, with_images: bool = True) -> dict[str, object]:
    diff, images = [], {}
    for n in range(files):
        path = f"{name}/m{n}.py"
        body = "".join(f"+v{i} = {i}\n" for i in range(lines))
        diff.append(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n")
        diff.append(f"@@ -0,0 +1,{lines} @@\n{body}")
        images[path] = "".join(f"v{i} = {i}\n" for i in range(lines))
    return {
        "repo": name,
        "sha": name,
        "diff": "".join(diff),
        "files": images if with_images else {},
    }


def test_data_commit_case_takes_the_largest_multi_file_commit_with_its_files(
    tmp_path: Path,
) -> None:
    commits = [
        _commit("small", 5, 10),
        _commit("chosen", 6, 200),  # 1,200 changed lines
        _commit("too_large", 10, 200),  # 2,000: over 1,500
        _commit("one_file", 1, 1000),
        _commit("no_images", 7, 200, with_images=False),
    ]
    (tmp_path / "commits").mkdir()
    with gzip.open(tmp_path / "commits" / "p.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(c) + "\n" for c in commits)
    case = speed.data_commit_case(tmp_path / "case", tmp_path)
    diff = parse_diff((case / "change.patch").read_text())
    assert diff.changed_lines == 1200
    assert {f.path.split("/")[0] for f in diff.files} == {"chosen"}
    assert (case / "repo" / "chosen" / "m5.py").read_text().count("\n") == 200


def test_verdicts_follow_the_targets_and_say_nothing_without_a_figure() -> None:
    results = {
        "cases": {
            "small_commit": {"cli": {"wall_s": 0.9}, "probe": {"warm": {"wall_ms_median": 301}}},
            "real_commit": {
                "cli": {"peak_tree_rss_mb": 480},
                "ratios": {"redline_over_bandit_wall": 1.6},
            },
        },
        "entropy_speed": {"tokens_per_second": 25000},
        "detector_speed_real_commits": {"changed_lines_per_second": 1999},
        "curve_linearity": {"review_wall_ms": {"linear": True}},
    }
    assert speed._met(results) == {
        "small_cli_wall_s": True,
        "small_warm_wall_ms": False,
        "bench_review_cli_wall_s": None,  # that case did not run
        "commit_over_bandit_wall": False,
        "commit_peak_tree_rss_mb": True,
        "entropy_tokens_per_s": True,
        "detector_changed_lines_per_s": False,
        "linear_to_10000": True,
    }


def test_measure_sees_the_children_of_the_process() -> None:
    # The child allocates ~60 MB in a grandchild; the tree's peak includes it.
    script = (
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', "
        '\'import time; b = bytearray(60_000_000); b[::4096] = b"x" * len(b[::4096]); '
        "time.sleep(0.5)'])\n"
        "sys.exit(3)\n"
    )
    figures = speed.measure([sys.executable, "-c", script])
    assert figures["exit"] == 3
    assert figures["max_rss_mb"] >= 55  # the grandchild, waited for
    assert figures["peak_tree_rss_mb"] >= figures["max_rss_mb"]
    assert figures["cpu_s"] > 0


def test_the_peak_is_the_commands_not_the_callers() -> None:
    # Linux counts the caller's address space into the peak of a command it started (CI saw a
    # 60 MB command "peak" at 4.9 GB when the suite had grown); the launcher keeps it out.
    ballast = bytearray(400_000_000)
    ballast[::4096] = b"x" * len(ballast[::4096])
    figures = speed.measure([sys.executable, "-c", "pass"])
    assert figures["exit"] == 0
    assert figures["max_rss_mb"] < 100
    assert figures["peak_tree_rss_mb"] < 100
    del ballast


def test_a_missing_program_is_exit_127_with_its_name() -> None:
    figures = speed.measure(["redline-no-such-program"])
    assert figures["exit"] == 127
    assert "redline-no-such-program" in figures["stderr"]
