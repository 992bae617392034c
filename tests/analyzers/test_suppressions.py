"""Suppressions are decided from the base, never by the change (issue 13): a `# nosemgrep`,
`# nosec` or `# redline: ignore` the change adds on its own lines silences nothing unless the
base's `.redline.toml` allows author suppressions for that rule; one already there at base, on
unchanged code, is honoured; `[semgrep] allow` accepts a rule for paths. Every suppression met
is listed in the review's coverage, honoured or not. One review of one change covers them all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.analyzers.semgrep_suppress import find_markers
from tests.conftest import Repo

BASE_CONFIG = """\
[semgrep]
allow = ["eval-exec:scripts/**"]
author-suppressions = ["subprocess-shell-true"]
"""
BASE = {
    ".redline.toml": BASE_CONFIG,
    "kept.py": "import subprocess\nsubprocess.call(  # nosec\n    cmd,\n    shell=False,\n)\n",
    "moved_under.py": "# nosemgrep\nx = 1\n",
}
CHANGE = {
    # The change adds the suppression on its own line: not honoured.
    "added_nosemgrep.py": "eval(user_input)  # nosemgrep\n",
    "added_nosec.py": "import os\nos.system(command)  # nosec B605\n",
    "added_redline.py": "exec(code)  # redline: ignore[eval-exec]\n",
    # Other tools' comments (ruff/flake8-bandit's noqa, mypy's ignore) are no suppression here.
    "added_noqa.py": "eval(user_input)  # noqa: S307\nexec(code)  # type: ignore  # noqa\n",
    # The base allows author suppressions for this rule: honoured.
    "allowed_author.py": "import subprocess\n"
    "subprocess.call(cmd, shell=True)  # nosemgrep: subprocess-shell-true\n",
    # A base-side suppression on unchanged code: honoured (the change edits a later line of it).
    "kept.py": "import subprocess\nsubprocess.call(  # nosec\n    cmd,\n    shell=True,\n)\n",
    # New code put under an old suppression on the line before: not honoured.
    "moved_under.py": "# nosemgrep\neval(user_input)\n",
    # The base's allowlist.
    "scripts/tool.py": "eval(expression)\n",
    # A change that also edits .redline.toml cannot allow itself anything: policy is the base's.
    ".redline.toml": '[semgrep]\nauthor-suppressions = ["*"]\nallow = ["*:**"]\n',
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from bot.cli.main import main

    repo = Repo(tmp_path_factory.mktemp("suppressions") / "repo")
    repo.commit("base", dict(BASE))
    repo.commit("change", dict(CHANGE))
    out = tmp_path_factory.mktemp("out") / "review.json"
    code = main(
        [
            "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--gate-only",
            "--format", "json", "--output", str(out),
        ]
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    result["exit"] = code
    return result


def _findings(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["path"], f["rule"]) for f in document["findings"]}


def _suppressions(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["path"]: s for s in document["coverage"]["suppressions"]}


def test_suppressions_the_change_adds_silence_nothing(document: dict[str, Any]) -> None:
    found = _findings(document)
    assert ("added_nosemgrep.py", "eval-exec") in found
    assert ("added_nosec.py", "os-system-non-constant") in found
    assert ("added_redline.py", "eval-exec") in found
    assert [f["line"] for f in document["findings"] if f["path"] == "added_noqa.py"] == [1, 2]
    listed = _suppressions(document)
    for path in ("added_nosemgrep.py", "added_nosec.py", "added_redline.py"):
        assert listed[path]["honoured"] is False, listed[path]
        assert "added by this change" in listed[path]["reason"]
    assert "added_noqa.py" not in listed
    assert listed["added_nosec.py"]["marker"] == "# nosec B605"
    assert listed["added_redline.py"]["rule"] == "eval-exec"
    assert listed["added_nosemgrep.py"]["rule"] is None
    assert document["gate"]["failed"] and document["exit"] == 1


def test_the_base_can_allow_author_suppressions_for_a_rule(document: dict[str, Any]) -> None:
    assert not any(path == "allowed_author.py" for path, _ in _findings(document))
    listed = _suppressions(document)["allowed_author.py"]
    assert (listed["honoured"], listed["rule"]) == (True, "subprocess-shell-true")


def test_a_base_suppression_on_unchanged_code_is_honoured(document: dict[str, Any]) -> None:
    assert not any(path == "kept.py" for path, _ in _findings(document))
    listed = _suppressions(document)["kept.py"]
    assert (listed["honoured"], listed["line"], listed["reason"]) == (True, 2, "present at base")


def test_new_code_under_an_old_suppression_is_not_covered(document: dict[str, Any]) -> None:
    assert ("moved_under.py", "eval-exec") in _findings(document)
    listed = _suppressions(document)["moved_under.py"]
    assert listed["honoured"] is False
    assert "new code under it" in listed["reason"]


def test_the_base_allowlist_is_a_listed_suppression(document: dict[str, Any]) -> None:
    assert not any(path == "scripts/tool.py" for path, _ in _findings(document))
    listed = _suppressions(document)["scripts/tool.py"]
    assert listed["honoured"] is True
    assert listed["marker"] == '[semgrep] allow "eval-exec:scripts/**"'


def test_suppression_comments_name_rules_or_all() -> None:
    markers = find_markers(
        "a()  # nosemgrep\n"
        "b()  # nosemgrep: rule-a, rule-b\n"
        "c()  # nosec B602 -- reviewed\n"
        "d()  # nosec because it is fine\n"
        "e()  # redline: ignore[eval-exec]\n"
        "    # NOSEC\n"
        "f()  // nosemgrep: js-eval\n"
        "g()  # nosecurity is not a marker\n"
    )
    assert {n: m.names for n, m in markers.items()} == {
        1: (),
        2: ("rule-a", "rule-b"),
        3: ("B602",),
        4: (),
        5: ("eval-exec",),
        6: (),
        7: ("js-eval",),
    }
    assert markers[6].alone and not markers[1].alone
