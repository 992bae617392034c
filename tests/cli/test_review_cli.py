"""`redline review` end to end: JSON per the contract, SARIF valid for code scanning, gating,
dangerous markers, config from BASE, and every bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SCHEMA, Repo, Run

PROJECT = Path(__file__).resolve().parents[2]
FAST = "--skip=detector,entropy"  # model-free runs where a test is about something else


def _real_history(repo: Repo) -> None:
    """Three multi-file commits made of real modules of this project."""
    sources = {
        name: (PROJECT / p).read_text()
        for name, p in (
            ("model.py", "bot/core/model.py"),
            ("gate.py", "bot/review/gate.py"),
            ("config.py", "bot/core/policy.py"),
            ("globs.py", "bot/core/globs.py"),
        )
    }
    repo.commit("base", {"pkg/" + name: t for name, t in sources.items()})
    edited = {
        "pkg/gate.py": sources["gate.py"].replace("reasons = [", "reasons: list[str] = ["),
        "pkg/globs.py": sources["globs.py"] + "\n\ndef any_match(path, patterns):\n"
        "    return matches(path, patterns) is not None\n",
    }
    repo.commit("edit two files", edited)
    repo.commit(
        "rename and add",
        {
            "pkg/extra.py": "from pkg.globs import any_match\n\n"
            "def check(path):\n    return any_match(path, ['*.py'])\n"
        },
    )


def test_range_json_follows_the_contract(repo: Repo, run_cli: Run) -> None:
    _real_history(repo)
    code, out, err = run_cli(
        "review", "--range", "HEAD~2..HEAD", "--repo", str(repo.root), "--format", "json"
    )
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    paths = [f["path"] for f in document["files"]]
    assert sorted(paths) == ["pkg/extra.py", "pkg/gate.py", "pkg/globs.py"]
    # Definitions before uses: globs.py defines any_match, extra.py uses it.
    assert paths.index("pkg/globs.py") < paths.index("pkg/extra.py")
    assert "any_match" in document["files"][paths.index("pkg/globs.py")]["reason"]
    assert document["coverage"]["files_reviewed"] == 3
    assert {a["name"] for a in document["analyzers"]} >= {"markers", "semgrep"}


def test_range_over_this_projects_history(run_cli: Run) -> None:
    """The project's own history serves when the checkout has one."""
    probe = subprocess.run(
        ["git", "-C", str(PROJECT), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or int(probe.stdout.strip() or 0) < 2:
        pytest.skip("the checkout has no history to review")
    code, out, err = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(PROJECT),
        "--format",
        "json",
        "--fail-on",
        "never",
        FAST,
    )
    assert code == 0, err
    jsonschema.validate(json.loads(out), SCHEMA)


def _sarif_tool() -> Path | None:
    cache = Path.home() / ".cache" / "redline-tools"
    binary = cache / "node_modules" / ".bin" / "sarif-multitool"
    if not binary.exists():
        if shutil.which("npm") is None:
            return None
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(cache),
                "--no-audit",
                "--no-fund",
                "@microsoft/sarif-multitool",
            ],
            check=False,
            capture_output=True,
            timeout=600,
        )
    native = cache / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
    if native.exists():
        native.chmod(0o755)
    return binary if binary.exists() else None


def test_sarif_is_valid_for_code_scanning(repo: Repo, run_cli: Run, tmp_path: Path) -> None:
    _real_history(repo)
    repo.commit(
        "danger",
        {
            "pkg/run.py": "import subprocess\n\n\ndef go(cmd):\n"
            "    # DANGEROUS: runs commands\n"
            "    return subprocess.call(cmd, shell=True)\n"
        },
    )
    target = tmp_path / "review.sarif"
    code, _, err = run_cli(
        "review",
        "--range",
        "HEAD~3..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "sarif",
        "--output",
        str(target),
        FAST,
    )
    assert code == 1, err
    sarif = json.loads(target.read_text())
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert "semgrep/subprocess-shell-true" in rule_ids
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("pkg/")
        assert location["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["redline/v1"]
    tool = _sarif_tool()
    if tool is None:
        pytest.skip("npm is not available to fetch @microsoft/sarif-multitool")
    log = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [str(tool), "validate", str(target), "--output", str(log), "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(log.read_text())
    errors = [
        r for run_ in report["runs"] for r in run_.get("results", []) if r.get("level") == "error"
    ]
    assert errors == [], errors


def test_shell_true_fails_the_gate(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"app.py": "import subprocess\n\n\ndef run(cmd):\n    return cmd\n"})
    repo.commit(
        "head",
        {
            "app.py": "import subprocess\n\n\ndef run(cmd):\n"
            "    subprocess.call(cmd, shell=True)\n    return cmd\n"
        },
    )
    code, out, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--fail-on",
        "error",
        FAST,
    )
    assert code == 1
    document = json.loads(out)
    assert document["gate"]["failed"] is True
    assert document["gate"]["reasons"] == ["semgrep: subprocess-shell-true at app.py:5"]
    code, _, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--fail-on",
        "never",
        FAST,
    )
    assert code == 0


def test_edit_next_to_dangerous_marker_is_a_finding(repo: Repo, run_cli: Run) -> None:
    base = (
        "import shutil\n\n\n# DANGEROUS: deletes customer data\ndef purge(root):\n"
        "    shutil.rmtree(root)\n\n\ndef other():\n    return 1\n"
    )
    repo.commit("base", {"purge.py": base})
    repo.commit(
        "head",
        {
            "purge.py": base.replace(
                "shutil.rmtree(root)", "shutil.rmtree(root, ignore_errors=True)"
            )
        },
    )
    code, out, _ = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--format", "json", FAST
    )
    document = json.loads(out)
    markers = [f for f in document["findings"] if f["source"] == "markers"]
    assert [(f["rule"], f["line"]) for f in markers] == [("dangerous-code", 6)]
    assert "DANGEROUS" in markers[0]["message"]
    assert document["files"][0]["hunks"][0]["attention"] == "scrutinize"
    assert code == 0  # a warning does not fail `fail-on error`
    code, _, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--fail-on",
        "warning",
        FAST,
    )
    assert code == 1


def test_config_comes_from_base_not_head(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {".redline.toml": 'fail-on = "error"\n', "app.py": "import subprocess\n"})
    repo.commit(
        "head",
        {
            ".redline.toml": 'fail-on = "never"\n',
            "app.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n",
        },
    )
    code, out, _ = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--format", "json", FAST
    )
    assert code == 1
    assert json.loads(out)["gate"]["fail_on"] == "error"


def test_cli_flag_overrides_the_file(repo: Repo, run_cli: Run) -> None:
    repo.commit(
        "base", {".redline.toml": 'fail-on = "never"\nparanoia = "low"\n', "app.py": "x = 1\n"}
    )
    repo.commit("head", {"app.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n"})
    assert (
        run_cli(
            "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), FAST, "--format", "json"
        )[0]
        == 0
    )
    assert (
        run_cli(
            "review",
            "--range",
            "HEAD~1..HEAD",
            "--repo",
            str(repo.root),
            FAST,
            "--format",
            "json",
            "--fail-on",
            "error",
        )[0]
        == 1
    )


def test_markdown_and_terminal_lead_with_the_order(repo: Repo, run_cli: Run) -> None:
    _real_history(repo)
    _, markdown, _ = run_cli(
        "review", "--range", "HEAD~2..HEAD", "--repo", str(repo.root), "--format", "markdown", FAST
    )
    assert markdown.index("### Suggested reading order") < markdown.index("### Findings")
    assert "Gate: ✅ passed" in markdown and "Coverage:" in markdown
    _, terminal, _ = run_cli(
        "review", "--range", "HEAD~2..HEAD", "--repo", str(repo.root), "--color", "never", FAST
    )
    assert terminal.splitlines()[2] == "Suggested reading order"
    assert "pkg/globs.py" in terminal and "Gate passed" in terminal


# --- bad input -------------------------------------------------------------------------------


def test_malformed_diff_exits_2_naming_the_line(tmp_path: Path, run_cli: Run) -> None:
    bad = tmp_path / "bad.diff"
    bad.write_text("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a\nnonsense\n")
    code, out, err = run_cli("review", "--diff", str(bad))
    assert code == 2 and out == ""
    assert "malformed diff at line 5" in err


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd", "a/../../x.py"])
def test_paths_escaping_the_repo_are_refused(tmp_path: Path, run_cli: Run, path: str) -> None:
    diff = tmp_path / "escape.diff"
    target = path if path.startswith("/") else f"b/{path}"
    diff.write_text(f"--- /dev/null\n+++ {target}\n@@ -0,0 +1 @@\n+x = 1\n")
    code, _, err = run_cli("review", "--diff", str(diff), "--repo", str(tmp_path))
    assert code == 2
    assert "escapes the repository" in err or "refusing" in err


def test_symlink_out_of_the_repo_is_refused(tmp_path: Path, run_cli: Run) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (tmp_path / "secret.py").write_text("token = 1\n")
    (root / "link.py").symlink_to(tmp_path / "secret.py")
    diff = tmp_path / "d.diff"
    diff.write_text("--- a/link.py\n+++ b/link.py\n@@ -1 +1 @@\n-x\n+token = 1\n")
    code, _, err = run_cli("review", "--diff", str(diff), "--repo", str(root))
    assert code == 2 and "outside" in err


def test_big_binary_and_generated_files_are_skipped(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"keep.py": "x = 1\n"})
    repo.commit(
        "head",
        {
            "keep.py": "x = 2\n",
            # Over 1 MiB in few lines: the rule pack still reads it in time (200,000 lines
            # take semgrep past its budget on a loaded machine, which fails the gate closed).
            "huge.py": ("x = 1  # " + "a" * 2000 + "\n") * 600,
            "blob.dat": b"\x00\x01binary",
            "poetry.lock": "[[package]]\nname = 'x'\n",
            "vendor/lib.py": "y = 1\n",
            "api_pb2.py": "z = 1\n",
            "gen.py": "# Code generated by protoc. DO NOT EDIT.\nq = 1\n",
        },
    )
    code, out, err = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--format", "json", FAST
    )
    assert code == 0, err
    document = json.loads(out)
    skipped = {s["path"]: s["reason"] for s in document["coverage"]["files_skipped"]}
    # Too big for the deep analyzers, still read by the rule pack: a note, not a skip.
    notes = {n["path"]: n["note"] for n in document["coverage"]["notes"]}
    assert notes["huge.py"] == "larger than 1024 KiB: dangerous-code rules only"
    assert "huge.py" not in skipped
    assert skipped["blob.dat"] == "binary"
    assert skipped["poetry.lock"] == "lockfile: generated"
    # Added by the change itself, so their kind is the change's own word: reviewed (issue 13).
    assert not {"vendor/lib.py", "api_pb2.py", "gen.py"} & set(skipped)
    reviewed = {"keep.py", "huge.py", "vendor/lib.py", "api_pb2.py", "gen.py"}
    assert document["coverage"]["files_reviewed"] == len(reviewed)
    paths = [f["path"] for f in document["files"]]
    assert set(paths) == reviewed | set(skipped)
    assert paths[-2:] == sorted(skipped, key=paths.index)  # skipped files come last


def test_empty_diff_is_a_valid_review(tmp_path: Path, run_cli: Run) -> None:
    empty = tmp_path / "empty.diff"
    empty.write_text("")
    code, out, _ = run_cli("review", "--diff", str(empty), "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert code == 0 and document["files"] == [] and document["findings"] == []
    assert document["gate"] == {"failed": False, "reasons": [], "fail_on": "error"}


def test_missing_post_image_degrades_that_file_only(tmp_path: Path, run_cli: Run) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "present.py").write_text("import subprocess\nsubprocess.call(c, shell=True)\n")
    diff = tmp_path / "d.diff"
    diff.write_text(
        "--- a/present.py\n+++ b/present.py\n@@ -1 +1,2 @@\n import subprocess\n"
        "+subprocess.call(c, shell=True)\n"
        "--- a/absent.py\n+++ b/absent.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    )
    code, out, _ = run_cli(
        "review", "--diff", str(diff), "--repo", str(root), "--format", "json", FAST
    )
    document = json.loads(out)
    assert code == 1  # present.py was still fully reviewed
    assert document["coverage"]["notes"] == [
        {"path": "absent.py", "note": "post-image not found: context from the diff only"}
    ]
    assert document["coverage"]["files_reviewed"] == 2


def test_usage_errors_exit_2(run_cli: Run, tmp_path: Path) -> None:
    assert run_cli("review")[0] == 2
    assert run_cli("review", "--diff", str(tmp_path / "missing.diff"))[0] == 2
    assert run_cli("review", "--range", "nope", "--repo", str(tmp_path))[0] == 2
    code, _, err = run_cli("review", "--diff", "-", "--paranoia", "extreme")
    assert code == 2 and "paranoia" in err


def test_bad_config_exits_2_naming_the_key(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {".redline.toml": 'fail-on = "sometimes"\n', "a.py": "x = 1\n"})
    repo.commit("head", {"a.py": "x = 2\n"})
    code, _, err = run_cli("review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root))
    assert code == 2 and "fail-on" in err


def test_unknown_revision_exits_2(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"a.py": "x = 1\n"})
    code, _, err = run_cli("review", "--range", "HEAD..doesnotexist", "--repo", str(repo.root))
    assert code == 2 and "doesnotexist" in err


def test_stdin_diff_through_the_console_script(tmp_path: Path) -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x = 1\n+eval(data)\n"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "review", "--diff", "-", "--format", "json", FAST],
        input=diff.encode(),
        capture_output=True,
        check=False,
    )
    document = json.loads(proc.stdout)
    assert proc.returncode == 1
    # The rule pack's finding, and the static analyzer's on the undefined `data` (issue 15).
    assert sorted(f["rule"] for f in document["findings"]) == ["F821", "eval-exec"]


def test_terminal_shows_findings_with_code_and_replacement(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"conf.py": "import yaml\n\n\ndef load(text):\n    return text\n"})
    repo.commit(
        "head", {"conf.py": "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"}
    )
    code, out, _ = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--color", "never", FAST
    )
    assert code == 1
    assert "error semgrep/yaml-unsafe-load" in out
    assert "    5 |     return yaml.load(text)" in out
    assert "suggested replacement:" in out and "|     return yaml.safe_load(text)" in out
