"""The shipped models end to end: `redline review` loads the detector and the entropy scorer
from the package and scores fixtures made from real code (the standard library)."""

from __future__ import annotations

import ast
import difflib
import json
import re
import sysconfig
from importlib import resources
from pathlib import Path

import jsonschema

from bot.render import escape
from tests.conftest import SCHEMA, Run

STDLIB = Path(sysconfig.get_paths()["stdlib"])
ONLY_ENTROPY = "--skip=detector,semgrep,verify,static"


def _write_pr(tmp_path: Path, path: str, old: str, new: str) -> tuple[Path, Path]:
    """A diff turning old into new, and a checkout holding new."""
    root = tmp_path / "repo"
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(new, encoding="utf-8")
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"a/{path}",
            f"b/{path}",
            n=3,
        )
    )
    diff = tmp_path / "change.diff"
    diff.write_text(f"diff --git a/{path} b/{path}\n{patch}", encoding="utf-8")
    return diff, root


def _review(run_cli: Run, diff: Path, root: Path, *extra: str) -> dict:
    code, out, err = run_cli(
        "review", "--diff", str(diff), "--repo", str(root), "--format", "json",
        "--fail-on", "never", *extra,
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return document


def _hunks(document: dict) -> list[dict]:
    return [h for f in document["files"] for h in f["hunks"]]


def _statuses(document: dict) -> dict[str, str]:
    return {a["name"]: a["status"] for a in document["analyzers"]}


def test_weights_ship_with_the_package() -> None:
    weights = resources.files("review_models") / "weights"
    for name in ("detector.npz", "detector.json", "lm.pt", "lm.json", "lm-vocab.json"):
        item = weights / name
        assert item.is_file(), name
        if name.endswith((".pt", ".npz")):
            assert len(item.read_bytes()) < 20 * 2**20, f"{name} is not small"
    assert len((weights / "detector.npz").read_bytes()) < 2**20  # the detector: under 1 MB
    for card in ("detector.md", "lm.md"):
        text = (weights / card).read_text(encoding="utf-8")
        assert "## Metrics" in text, card
    meta = json.loads((weights / "detector.json").read_text(encoding="utf-8"))
    levels = meta["thresholds"]
    assert levels["high"] <= levels["default"] <= levels["low"]


def _three_edits() -> tuple[str, str]:
    """Three separate edits to a real module: a literal, a condition and a new statement."""
    old = (STDLIB / "textwrap.py").read_text(encoding="utf-8")
    new = old.replace("width=70,", "width=72,", 1)
    new = new.replace("if self.width <= 0:", "if self.width <= 1:", 1)
    new = new.replace("    margin = None\n", "    margin = None\n    seen_lines = 0\n", 1)
    assert new.count("\n") == old.count("\n") + 1
    return old, new


def test_review_scores_every_hunk_with_both_models(tmp_path: Path, run_cli: Run) -> None:
    old, new = _three_edits()
    diff, root = _write_pr(tmp_path, "textwrap.py", old, new)
    document = _review(run_cli, diff, root, "--lines")
    statuses = _statuses(document)
    assert statuses["detector"] == "ok"
    assert statuses["entropy"] == "ok"
    hunks = _hunks(document)
    assert len(hunks) == 3
    for hunk in hunks:
        assert 0.0 <= hunk["risk"] <= 1.0
        assert hunk["entropy"] > 0
        assert hunk["attention"] in {"skim", "read", "scrutinize"}
        heat = hunk["lines"]
        assert heat and all(0.0 <= item["heat"] <= 1.0 for item in heat)


def _nth_replace(text: str, old: str, new: str, nth: int) -> str:
    at = -1
    for _ in range(nth + 1):
        at = text.index(old, at + 1)
    return text[:at] + new + text[at + len(old) :]


def _bisect_bugs() -> tuple[str, str]:
    """Bugs of the injector's families put into real code, four hunks: an off-by-one bound,
    a dropped `+ 1`, a loosened loop condition, a wrong operand."""
    old = (STDLIB / "bisect.py").read_text(encoding="utf-8")
    new = _nth_replace(old, "hi = len(a)", "hi = len(a) - 1", 0)
    new = _nth_replace(new, "lo = mid + 1", "lo = mid", 0)
    new = _nth_replace(new, "while lo < hi:", "while lo <= hi:", 2)
    new = _nth_replace(new, "if key(a[mid]) < x:", "if key(a[lo]) < x:", 0)
    return old, new


def test_findings_follow_the_paranoia_level(tmp_path: Path, run_cli: Run) -> None:
    meta = json.loads(
        (resources.files("review_models") / "weights" / "detector.json").read_text("utf-8")
    )
    old, new = _bisect_bugs()
    diff, root = _write_pr(tmp_path, "bisect.py", old, new)
    per_level: dict[str, set[str]] = {}
    for level in ("low", "default", "high", "max"):
        document = _review(
            run_cli, diff, root, "--paranoia", level, "--skip=entropy,semgrep,verify,static"
        )
        hunks = _hunks(document)
        assert len(hunks) == 4
        changed = {n for h in hunks for n in range(h["new_start"], h["new_start"] + h["new_lines"])}
        found = [f for f in document["findings"] if f["source"] == "detector"]
        assert all(f["score"] >= meta["thresholds"][level] for f in found)
        assert all(f["line"] in changed for f in found)
        for finding in found:
            assert finding["message"] and finding["rule"]
            if finding["suggestion"] is not None:
                # A suggested replacement is one line and keeps the module parseable.
                lines = new.split("\n")
                lines[finding["line"] - 1] = finding["suggestion"].rstrip("\n")
                ast.parse("\n".join(lines))
        per_level[level] = {f["fingerprint"] for f in found}
        if level == "max":
            # The most paranoid level shows the detector's best guess on every hunk.
            assert len(found) == len(hunks)
    assert per_level["low"] <= per_level["default"] <= per_level["high"] <= per_level["max"]


_CALL = re.compile(r"\b([a-z_][a-z0-9_]{3,})\((?=[A-Za-z_'\"])")


def _repeated_edit(k: int) -> tuple[str, str, str]:
    """The same edit (a new first argument) at k call sites of a real module."""
    for name in ("argparse.py", "configparser.py", "textwrap.py", "tarfile.py"):
        text = (STDLIB / name).read_text(encoding="utf-8")
        lines = text.split("\n")
        sites: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith(("def ", "class ", "#", "@")):
                continue
            for called in set(_CALL.findall(line)):
                sites.setdefault(called, []).append(index)
        spaced = {
            called: [i for n, i in enumerate(where) if n == 0 or i - where[n - 1] > 8]
            for called, where in sites.items()
        }
        ready = sorted(
            (c for c, w in spaced.items() if len(w) >= k), key=lambda c: (-len(spaced[c]), c)
        )
        if ready:
            called = ready[0]
            new = list(lines)
            for index in spaced[called][:k]:
                new[index] = re.sub(
                    rf"\b{called}\((?=[A-Za-z_'\"])", f"{called}(strict, ", new[index], count=1
                )
            return name, text, "\n".join(new)
    raise AssertionError("no stdlib module with a call repeated often enough")


def test_repeats_become_predictable_and_are_skimmed(tmp_path: Path, run_cli: Run) -> None:
    name, old, new = _repeated_edit(6)
    diff, root = _write_pr(tmp_path, name, old, new)
    document = _review(run_cli, diff, root, ONLY_ENTROPY)
    hunks = sorted(_hunks(document), key=lambda h: h["new_start"])
    assert len(hunks) == 6
    first, rest = hunks[0], hunks[1:]
    assert first["attention"] != "skim"
    mean_rest = sum(h["entropy"] for h in rest) / len(rest)
    assert mean_rest <= 0.5 * first["entropy"], (first["entropy"], [h["entropy"] for h in rest])
    assert all(h["attention"] == "skim" for h in rest)
    # The note names the first instance, which is shown above the repeats (issue 18).
    notes = {h["note"] for h in rest}
    assert len(notes) == 1
    (note,) = notes
    assert re.fullmatch(rf"repeats the edit at {re.escape(name)}:\d+ \(6 in all\)", note)
    assert "above" not in note

    # The terminal and the Markdown collapse them to that one line.
    for fmt in ("terminal", "markdown"):
        code, out, err = run_cli(
            "review", "--diff", str(diff), "--repo", str(root), "--format", fmt,
            "--fail-on", "never", ONLY_ENTROPY,
        )  # fmt: skip
        assert code == 0, err
        # One line for the five repeats (Markdown escapes the note's punctuation).
        shown = note if fmt == "terminal" else escape.message(note)
        assert out.count(shown) == 1, (fmt, out)
        if fmt == "terminal":
            assert out.count("strict, ") == 1  # only the first occurrence's code is shown


def test_entropy_ranks_the_first_occurrence_above_its_repeats_in_another_file(
    tmp_path: Path, run_cli: Run
) -> None:
    """Repetition across files: the diff's earlier hunks condition the later ones."""
    _, old, new = _repeated_edit(4)
    old_lines, new_lines = old.split("\n"), new.split("\n")
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    split = changed[1] + 1
    first_old = "\n".join(old_lines[:split]) + "\n"
    first_new = "\n".join(new_lines[:split]) + "\n"
    second_old = "\n".join(old_lines[split:])
    second_new = "\n".join(new_lines[split:])
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text(first_new, encoding="utf-8")
    (root / "pkg" / "b.py").write_text(second_new, encoding="utf-8")
    parts = []
    for path, before, after in (
        ("pkg/a.py", first_old, first_new),
        ("pkg/b.py", second_old, second_new),
    ):
        patch = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                f"a/{path}", f"b/{path}", n=3,
            )
        )  # fmt: skip
        parts.append(f"diff --git a/{path} b/{path}\n{patch}")
    diff = tmp_path / "change.diff"
    diff.write_text("".join(parts), encoding="utf-8")
    document = _review(run_cli, diff, root, ONLY_ENTROPY)
    by_file = {f["path"]: f["hunks"] for f in document["files"]}
    first = min(by_file["pkg/a.py"], key=lambda h: h["new_start"])
    later = [h for h in by_file["pkg/b.py"]]
    assert later
    assert max(h["entropy"] for h in later) < first["entropy"]


def test_a_rename_is_predictable_after_its_first_site_whatever_the_neighbours(
    tmp_path: Path, run_cli: Run
) -> None:
    """The same substitution at sites with different tokens around it (`= os.fspath(`,
    `return os.fspath(`, ...): the substitution itself is what repeats."""
    old = (STDLIB / "shutil.py").read_text(encoding="utf-8")
    lines = old.split("\n")
    sites = [i for i, line in enumerate(lines) if "os.fspath(" in line and "def " not in line]
    spaced = [i for n, i in enumerate(sites) if n == 0 or i - sites[n - 1] > 8][:5]
    assert len(spaced) >= 4
    for index in spaced:
        lines[index] = lines[index].replace("os.fspath(", "os.fsdecode(", 1)
    diff, root = _write_pr(tmp_path, "shutil.py", old, "\n".join(lines))
    document = _review(run_cli, diff, root, ONLY_ENTROPY)
    hunks = sorted(_hunks(document), key=lambda h: h["new_start"])
    assert len(hunks) == len(spaced)
    first, rest = hunks[0], hunks[1:]
    assert max(h["entropy"] for h in rest) <= 0.5 * first["entropy"]


def test_attention_levels_on_real_code(tmp_path: Path, run_cli: Run) -> None:
    old = (STDLIB / "shutil.py").read_text(encoding="utf-8")
    # A DANGEROUS marker already in the base: touching the code below it is scrutinized.
    old = old.replace("def rmtree(", "# DANGEROUS: deletes whole directory trees\ndef rmtree(", 1)
    new = old
    # 1. formatting only (the tokens are unchanged)
    new = new.replace(
        "def _fastcopy_sendfile(fsrc, fdst):",
        "def _fastcopy_sendfile(fsrc,\n                       fdst):",
        1,
    )
    # 2. dense new logic in the middle of a real function
    new = new.replace(
        "def copyfileobj(fsrc, fdst, length=0):\n",
        "def copyfileobj(fsrc, fdst, length=0):\n"
        "    if length < 0 or (hasattr(fsrc, 'seekable') and not fsrc.seekable()\n"
        "                      and length > 1 << 30):\n"
        "        raise ValueError(f'refusing a {length}-byte window over {fsrc!r}')\n",
        1,
    )
    # 3. a change under the marker
    marker = new.index("# DANGEROUS: deletes whole directory trees")
    head, tail = new[:marker], new[marker:]
    new = head + tail.replace("onerror=None", "onerror=print", 1)
    assert new.count("\n") > old.count("\n")
    diff, root = _write_pr(tmp_path, "shutil.py", old, new)
    document = _review(run_cli, diff, root, ONLY_ENTROPY)
    hunks = sorted(_hunks(document), key=lambda h: h["new_start"])
    assert len(hunks) == 3
    formatting, dense, dangerous = hunks
    assert formatting["attention"] == "skim"
    assert "formatting" in formatting["note"]
    assert dense["attention"] in {"read", "scrutinize"}
    assert dense["entropy"] > formatting["entropy"]
    assert dangerous["attention"] == "scrutinize"
