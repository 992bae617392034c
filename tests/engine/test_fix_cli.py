"""`redline fix` end to end on a git range: the patch, `--apply` repairing the rule pack's
findings so that a second `redline review` is clean, and validation with the real analyzers
(semgrep re-run, ruff) rejecting fixes that would make things worse."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema

from bot.analyzers.fixes import default_checks
from bot.core.model import Finding
from bot.core.policy import Config
from engine.fixer import propose
from tests.conftest import SCHEMA, Repo, Run

BASE = "import yaml\n\n\ndef load(text):\n    return text\n"
CHANGED = (
    "import hashlib\n"
    "import tempfile\n"
    "\n"
    "import requests\n"
    "import yaml\n"
    "\n"
    "\n"
    "def load(text, url):\n"
    "    data = yaml.load(text)\n"
    "    name = tempfile.mktemp()\n"
    "    reply = requests.get(url, verify=False)\n"
    "    digest = hashlib.md5(text)\n"
    "    return data, name, reply, digest\n"
)
RULES = "--only=semgrep,markers"


def test_fix_apply_repairs_the_findings_and_the_next_review_is_clean(
    repo: Repo, run_cli: Run
) -> None:
    repo.commit("base", {"app.py": BASE})
    repo.commit("change", {"app.py": CHANGED})
    args = ("--range", "HEAD~1..HEAD", "--repo", str(repo.root), RULES, "--engine", "none")
    code, out, err = run_cli("review", *args[:4], RULES, "--format", "json")
    assert code == 1, err  # yaml.load and verify=False fail the gate
    before = json.loads(out)["findings"]
    assert {f["rule"] for f in before} >= {"yaml-unsafe-load", "tls-verification-disabled"}

    code, patch, err = run_cli("fix", *args)
    assert code == 0, err
    assert "+    data = yaml.safe_load(text)\n" in patch
    assert "+    reply = requests.get(url)\n" in patch
    subprocess.run(
        ["git", "apply", "--check", "-"], input=patch, text=True, cwd=repo.root, check=True
    )

    code, out, err = run_cli("fix", *args, "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert len(document["fixes"]) == len(before)
    assert all(
        f["suggestion"] and "semgrep" in f["checks"] and "ruff" in f["checks"]
        for f in document["fixes"]
    )
    assert all(f["suggestion"] is not None for f in document["findings"])
    assert any(a["name"] == "engine" and a["status"] == "ok" for a in document["analyzers"])

    code, out, err = run_cli("fix", *args, "--apply")
    assert code == 0, err
    assert "yaml.safe_load(text)" in (repo.root / "app.py").read_text()
    repo.commit("fixed", {})
    code, out, err = run_cli(
        "review", "--range", "HEAD~2..HEAD", "--repo", str(repo.root), RULES, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["findings"] == []


def test_apply_refuses_a_working_copy_that_moved_on(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"app.py": BASE})
    repo.commit("change", {"app.py": CHANGED})
    repo.write("app.py", CHANGED.replace("yaml.load(text)", "yaml.load(text or '')"))
    code, _out, err = run_cli(
        "fix",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        RULES,
        "--engine",
        "none",
        "--apply",
    )
    assert code == 2
    assert "not applied" in err and "changed since" in err
    assert "yaml.load(text or '')" in (repo.root / "app.py").read_text()


def test_an_unreachable_engine_is_reported_and_rule_fixes_still_come(
    repo: Repo, run_cli: Run, monkeypatch
) -> None:
    monkeypatch.setenv("REDLINE_ENGINE_URL", "http://127.0.0.1:9/v1")
    repo.commit("base", {"app.py": BASE})
    repo.commit("change", {"app.py": CHANGED})
    _code, out, _err = run_cli(
        "fix",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        RULES,
        "--engine",
        "openai",
        "--format",
        "json",
    )
    document = json.loads(out)
    (engine,) = [a for a in document["analyzers"] if a["name"] == "engine"]
    assert engine["status"] == "skipped" and "not reachable" in engine["detail"]
    assert document["fixes"]


def test_validation_rejects_fixes_that_raise_something_new() -> None:
    text = "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"
    cases = {
        "    return eval(text)\n": "semgrep raises",
        "    return yaml.load(text)  # noqa\n": "semgrep still raises yaml-unsafe-load",
        "    return json.loads(text)\n": "ruff reports F821",
        "    return yaml.safe_load(text)\n": None,
    }
    for replacement, reason in cases.items():
        found = Finding(
            "app.py",
            5,
            5,
            "error",
            "semgrep",
            "yaml-unsafe-load",
            "unsafe",
            0.9,
            suggestion=replacement,
            fingerprint="f",
        )
        result = propose([found], {"app.py": text}, None, default_checks(Config(), [found]))
        if reason is None:
            assert result.fixes and not result.dropped, result.dropped
        else:
            assert not result.fixes and reason in result.dropped[0].reason, (
                replacement,
                result.dropped,
            )


def test_apply_on_a_diff_without_a_tree_is_a_usage_error_before_any_review(
    tmp_path: Path, run_cli: Run
) -> None:
    # The error came only after the whole review, with the JSON document already written.
    diff = tmp_path / "change.diff"
    diff.write_text(
        "diff --git a/app.py b/app.py\nnew file mode 100644\n--- /dev/null\n+++ b/app.py\n"
        "@@ -0,0 +1,2 @@\n+import yaml\n+data = yaml.load(text)\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("fix", "--diff", str(diff), "--apply", "--format", "json", RULES)
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        "redline: error: --apply with --diff needs --repo (the tree to write the fixes to)"
    ]
