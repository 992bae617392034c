"""The dangerous-code gate never fails open, driven the way users run redline: the installed
`redline` executable with a bare `PATH`, a CRLF patch, a missing or crashing semgrep, extra rule
files from `.redline.toml` that do not exist or do not parse, a file semgrep cannot parse, a 1 MB
minified line, and paths with spaces and unicode."""

from __future__ import annotations

import json
import stat
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

from bot.analyzers.markers import MarkersAnalyzer
from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.analyzers.semgrep_run import Semgrep, locate
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest
from bot.core.trees import MemoryTree
from bot.review.pipeline import review
from tests.conftest import Repo, Run

REDLINE = Path(sysconfig.get_path("scripts")) / "redline"
EVAL_PATCH = "--- /dev/null\n+++ b/m.py\n@@ -0,0 +1,2 @@\n+import os\n+eval(user_input)\n"


def _bare_path_review(patch: Path) -> tuple[int, dict[str, object]]:
    """`env -i PATH=/nonexistent venv/bin/redline review ...`: nothing of redline's environment
    on PATH, as when CI starts the executable by its path."""
    assert REDLINE.is_file(), f"redline is not installed in this environment ({REDLINE})"
    proc = subprocess.run(
        [str(REDLINE), "review", "--diff", str(patch), "--gate-only", "--format", "json"],
        env={"PATH": "/nonexistent"},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.stdout, proc.stderr.decode()
    document: dict[str, object] = json.loads(proc.stdout)
    return proc.returncode, document


def _semgrep_run(document: dict[str, object]) -> dict[str, object]:
    runs = document["analyzers"]
    assert isinstance(runs, list)
    return next(r for r in runs if r["name"] == "semgrep")


def test_redline_started_by_path_with_a_bare_path_still_runs_the_rule_pack(
    tmp_path: Path,
) -> None:
    patch = tmp_path / "change.patch"
    patch.write_text(EVAL_PATCH)
    code, document = _bare_path_review(patch)
    assert _semgrep_run(document)["status"] == "ok"
    assert [f["rule"] for f in document["findings"]] == ["eval-exec"]  # type: ignore[index,union-attr]
    assert code == 1


def test_a_crlf_patch_adding_eval_fails_the_gate(tmp_path: Path) -> None:
    patch = tmp_path / "change.patch"
    patch.write_bytes(EVAL_PATCH.replace("\n", "\r\n").encode())
    code, document = _bare_path_review(patch)
    assert [f["rule"] for f in document["findings"]] == ["eval-exec"]  # type: ignore[index,union-attr]
    assert code == 1


def _gate(semgrep: Semgrep, config: Config | None = None) -> tuple[bool, str, str]:
    diff = parse_diff(EVAL_PATCH)
    post = MemoryTree({"m.py": "import os\neval(user_input)\n"})
    result = review(diff, post, config or Config(), [SemgrepAnalyzer(semgrep), MarkersAnalyzer()])
    run = next(r for r in result.analyzers if r.name == "semgrep")
    return result.gate.failed, run.status, run.detail or ""


def _fake(tmp_path: Path, script: str) -> Semgrep:
    path = tmp_path / "fake-semgrep"
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return Semgrep(str(path), str(path), ())


def test_a_missing_semgrep_is_an_error_that_fails_the_gate() -> None:
    failed, status, detail = _gate(Semgrep("/nonexistent/semgrep-core", "osemgrep", ()))
    assert status == "error"
    assert "could not be started" in detail
    assert failed


def test_a_crashing_semgrep_is_an_error_that_fails_the_gate(tmp_path: Path) -> None:
    crash = _fake(tmp_path, 'echo "not json"\necho "Fatal error: out of cheese" >&2\nexit 2\n')
    failed, status, detail = _gate(crash)
    assert (status, failed) == ("error", True)
    assert "exit 2" in detail and "out of cheese" in detail
    # JSON that says the rules did not load is no pass either, whatever the exit code.
    answer = {
        "results": [],
        "errors": [{"level": "warn", "type": "Invalid YAML", "message": "Invalid YAML in x.yml"}],
        "paths": {"scanned": ["m.py"]},
    }
    rejected = _fake(tmp_path, f"cat <<'EOF'\n{json.dumps(answer)}\nEOF\n")
    failed, status, detail = _gate(rejected)
    assert (status, failed) == ("error", True)
    assert "Invalid YAML" in detail


def test_one_semgrep_process_per_scan(tmp_path: Path) -> None:
    real = locate()
    log = tmp_path / "calls.log"
    counting = _fake(
        tmp_path, f'echo run >> "{log}"\nexec -a "{real.argv0}" "{real.executable}" "${{@:2}}"\n'
    )
    failed, status, _ = _gate(Semgrep(counting.executable, counting.argv0, real.path))
    assert (status, failed) == ("ok", True)
    assert log.read_text().count("run") == 1


def _config_repo(repo: Repo, rules: str, extra: dict[str, str]) -> None:
    repo.commit("base", {".redline.toml": f"[semgrep]\nrules = [{rules}]\n", **extra})
    repo.commit("change", {"app.py": "import os\nos.system(command)\n"})


def _json_review(run_cli: Run, repo: Repo) -> tuple[int, dict[str, object]]:
    code, out, err = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--gate-only",
        "--format", "json",
    )  # fmt: skip
    assert out, err
    return code, json.loads(out)


def test_an_extra_rule_file_that_does_not_exist_is_named_and_fails_the_gate(
    repo: Repo, run_cli: Run
) -> None:
    _config_repo(repo, '"ci/missing.yml"', {})
    code, document = _json_review(run_cli, repo)
    run = _semgrep_run(document)
    assert run["status"] == "error"
    assert "ci/missing.yml" in str(run["detail"])
    assert code == 1


def test_an_extra_rule_file_that_does_not_parse_is_named_and_fails_the_gate(
    repo: Repo, run_cli: Run
) -> None:
    broken = {
        "ci/broken.yml": "rules: [\n  - id: x: y\n",
        "ci/bad-pattern.yml": "rules:\n  - id: x\n    languages: [python]\n    message: m\n"
        "    severity: ERROR\n    pattern: foo(\n",
    }
    for name in broken:
        folder = repo.root.parent / name.replace("/", "-")
        other = Repo(folder)
        _config_repo(other, f'"{name}"', {name: broken[name]})
        code, document = _json_review(run_cli, other)
        run = _semgrep_run(document)
        assert run["status"] == "error", (name, run)
        assert name in str(run["detail"]), (name, run)
        assert code == 1


def test_bad_inputs_are_read_or_said_loudly(repo: Repo, run_cli: Run) -> None:
    """A file semgrep cannot parse fails the gate (the rest is still reviewed), and a path with
    spaces and unicode is scanned like any other."""
    repo.commit("base", {"README.md": "x\n"})
    repo.commit(
        "change",
        {
            "broken.py": "import os\ndef f(\n    eval(z)\n  ((((\n x = [}\nos.system(a)\n",
            "fine.py": "import os\nos.system(command)\n",
            "src/dir with space/naïve файл.py": "eval(expression)\n",
        },
    )
    code, document = _json_review(run_cli, repo)
    assert _semgrep_run(document)["status"] == "ok"
    findings = document["findings"]
    assert isinstance(findings, list)
    found = {(f["path"], f["rule"]) for f in findings}
    assert found == {
        ("broken.py", "not-scanned"),
        ("fine.py", "os-system-non-constant"),
        ("src/dir with space/naïve файл.py", "eval-exec"),
    }
    not_scanned = next(f for f in findings if f["rule"] == "not-scanned")
    assert not_scanned["severity"] == "error"
    assert "lines 2-6" in not_scanned["message"]
    assert code == 1


MINIFIED = "var a=[" + ",".join(str(n % 97) for n in range(360_000)) + "];\n"


def test_a_megabyte_minified_line_is_said_unread_not_passed() -> None:
    """semgrep gives up on this file without a word (no result, no error): the canary rule
    catches the silence, and the rule pack says the file was not read."""
    text = MINIFIED + "eval(userInput);\n"
    assert len(text) > 1_000_000
    diff = parse_diff("--- /dev/null\n+++ b/static/app.min.js\n@@ -0,0 +1,2 @@\n+x\n+y\n")
    request = AnalysisRequest(diff, {"static/app.min.js": text}, Config())
    started = time.monotonic()
    output = SemgrepAnalyzer().analyze(request, time.monotonic() + 120)
    assert time.monotonic() - started < 60
    [finding] = output.findings
    assert (finding.rule, finding.severity, finding.line, finding.end_line) == (
        "not-scanned",
        "error",
        1,
        2,
    )


@pytest.mark.slow
def test_a_megabyte_minified_line_through_the_cli(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"README.md": "x\n"})
    repo.commit("change", {"static/app.min.js": MINIFIED + "eval(userInput);\n"})
    code, document = _json_review(run_cli, repo)
    findings = document["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["rule"]) for f in findings] == [("static/app.min.js", "not-scanned")]
    assert code == 1
