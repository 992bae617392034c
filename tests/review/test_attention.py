"""Attention that protects what matters: mechanical classes decided structurally before
entropy, skim only for what is truly mechanical, never for a condition, a flagged hunk or a
repeated edit that touches a condition; and the notes the terminal and Markdown show."""

from __future__ import annotations

import difflib
import io

from bot.core.diff import parse_diff
from bot.core.model import Diff, Finding, HunkScore, ScoredHunk
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.render.markdown import render_markdown
from bot.render.terminal import render_terminal
from bot.review.attention import RISK_SCRUTINIZE, attention_for, merge
from bot.review.mechanical import Mechanical
from bot.review.pipeline import review
from bot.review.risk import combine
from bot.review.scoring import score_files


def change(before: dict[str, str], after: dict[str, str]) -> Diff:
    parts = []
    for path in dict.fromkeys([*after, *before]):  # diff order: as given
        old = before.get(path, "").splitlines(keepends=True)
        new = after.get(path, "").splitlines(keepends=True)
        body = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=2))
        if body:
            parts.append(f"diff --git a/{path} b/{path}\n{body}")
    return parse_diff("".join(parts))


def attention(
    before: dict[str, str],
    after: dict[str, str],
    parts: dict[tuple[str, int], list[HunkScore]] | None = None,
    findings: tuple[Finding, ...] = (),
) -> list[ScoredHunk]:
    diff = change(before, after)
    scored = score_files(diff, parts or {}, after, {}, findings)
    return [h for f in diff.files for h in scored.hunks[f.path]]


FIX_BEFORE = (
    "import os\nimport sys\n\n\nclass Conn:\n    def reset(self):\n        self.buffer = []\n"
    "        self.closed = False\n\n\n"
    + "\n".join(f"def helper{i}():\n    return {i}\n\n" for i in range(8))
)


def test_state_reset_fix_is_read_while_the_import_resort_beside_it_is_skim() -> None:
    fixed = FIX_BEFORE.replace("import os\nimport sys", "import sys\nimport os").replace(
        "        self.closed = False\n", "        self.closed = False\n        self.pending = 0\n"
    )
    # Entropy says the fix is predictable and the re-sort is dense: neither decides.
    parts = {
        ("m.py", 0): [HunkScore("m.py", 0, entropy=42.5, flags=frozenset({"dense"}))],
        ("m.py", 1): [HunkScore("m.py", 1, entropy=0.3, mechanical="predictable (0.3 bits/token)")],
    }
    resort, fix = attention({"m.py": FIX_BEFORE}, {"m.py": fixed}, parts)
    assert (resort.attention, resort.note) == (
        "skim",
        "imports re-sorted: the same imports in another order",
    )
    assert fix.attention == "read" and fix.note is None


def test_moved_function_is_skim_and_says_where_from() -> None:
    mover = "def total(items):\n    return sum(i.price for i in items)\n"
    before = {"shop/cart.py": "X = 1\n\n\n" + mover, "shop/money.py": "Y = 2\n"}
    after = {"shop/cart.py": "X = 1\n", "shop/money.py": "Y = 2\n\n\n" + mover}
    removed, added = attention(before, after)
    assert added.attention == "skim" and added.note == "moved from shop/cart.py:2 unchanged"
    assert removed.attention == "skim" and removed.note == "moved to shop/money.py:2 unchanged"


def test_reformat_rename_and_version_bump_are_skim() -> None:
    before = {
        "a.py": "def f(a, b):\n    return g(a,\n             b)\n",
        "b.py": "def load(path):\n    return path\n\n\nVALUE = load('x')\n",
        "pkg/__init__.py": "__version__ = '1.2.3'\n",
    }
    after = {
        "a.py": "def f(a, b):\n    return g(a, b)\n",
        "b.py": "def read(path):\n    return path\n\n\nVALUE = read('x')\n",
        "pkg/__init__.py": "__version__ = '1.2.4'\n",
    }
    hunks = attention(before, after)
    assert [h.attention for h in hunks] == ["skim"] * 3
    assert [h.note for h in hunks] == [
        "formatting or comments only: the code is unchanged",
        "renames `load` → `read`",
        "version bump",
    ]


def test_a_changed_call_target_that_already_existed_is_not_a_rename() -> None:
    before = "def old():\n    return 1\n\n\ndef new():\n    return 2\n\n\nX = old()\n"
    (hunk,) = attention({"m.py": before}, {"m.py": before.replace("X = old()", "X = new()")})
    assert hunk.attention == "read"


def test_a_rename_inside_a_condition_is_read() -> None:
    before = "def f(limit):\n    if limit > 3:\n        return 1\n    return 0\n"
    after = "def f(cap):\n    if cap > 3:\n        return 1\n    return 0\n"
    (hunk,) = attention({"m.py": before}, {"m.py": after})
    assert hunk.attention == "read"
    assert hunk.note == "renames `limit` → `cap`; in a condition: read it"


SITES = "".join(
    f"def call{i}(timeout=None):\n    if timeout is not None:\n        wait{i}(timeout)\n"
    f"    return {i}\n\n\n"
    for i in range(3)
)


def test_a_repeated_edit_touching_a_condition_stays_read_at_every_site() -> None:
    # The re-introduced `if timeout:` bug at three sites: a zero timeout no longer waits.
    buggy = SITES.replace("    if timeout is not None:\n", "    if timeout:\n")
    hunks = attention({"m.py": SITES}, {"m.py": buggy})
    assert [h.attention for h in hunks] == ["read", "read", "read"]
    assert hunks[0].note == (
        "the same edit repeats in 2 other hunks; it touches a condition: read each"
    )
    assert hunks[2].note == "repeats the edit at m.py:2 (3 in all); it touches a condition: read it"


def test_the_same_edit_without_a_condition_is_skim_after_its_first_instance() -> None:
    edited = SITES.replace("wait0(timeout)", "wait0(timeout, strict=True)")
    edited = edited.replace("wait1(timeout)", "wait1(timeout, strict=True)")
    edited = edited.replace("wait2(timeout)", "wait2(timeout, strict=True)")
    hunks = attention({"m.py": SITES}, {"m.py": edited})
    assert [h.attention for h in hunks] == ["read", "skim", "skim"]
    assert hunks[1].repeat_of == ("m.py", 0)
    assert hunks[1].note == "repeats the edit at m.py:3 (3 in all)"


def test_different_edits_do_not_count_as_repeats() -> None:
    edited = SITES.replace("wait0(timeout)", "wait0(timeout, strict=True)")
    edited = edited.replace("wait1(timeout)", "wait1(timeout, strict=False)")
    hunks = attention({"m.py": SITES}, {"m.py": edited})
    assert [h.attention for h in hunks] == ["read", "read"]


def test_a_flagged_or_risky_mechanical_hunk_is_never_skim() -> None:
    before = {"m.py": "def f(a, b):\n    return g(a,\n             b)\n"}
    after = {"m.py": "def f(a, b):\n    return g(a, b)\n"}
    finding = Finding("m.py", 2, 2, "warning", "semgrep", "rule", "message", 0.9)
    (flagged,) = attention(before, after, findings=(finding,))
    assert flagged.attention == "read"
    assert flagged.note == (
        "formatting or comments only: the code is unchanged; but flagged, so read it"
    )
    static = {("m.py", 0): [HunkScore("m.py", 0, flags=frozenset({"static"}))]}
    assert attention(before, after, static)[0].attention == "read"
    # The combined risk decides (bot/review/risk.py): a detector probability of 0.999 is
    # above the scrutinize threshold once combined, whatever the structure says.
    risky = {("m.py", 0): [HunkScore("m.py", 0, risk=0.999)]}
    assert attention(before, after, risky)[0].attention == "scrutinize"


def _review(before: dict[str, str], after: dict[str, str]) -> tuple[str, str]:
    outcome = review(change(before, after), MemoryTree(after), Config(), [])
    terminal = io.StringIO()
    render_terminal(outcome, terminal, color=False)
    return terminal.getvalue(), render_markdown(outcome)


def test_like_the_one_above_only_points_at_a_hunk_shown_above() -> None:
    # The first instance of the edit (in diff order) is in z.py; the reading order puts a.py
    # first: its repeat is shown there in full, and nothing claims to be "above".
    body = "def f{n}(x):\n    return compute(x)\n\n\n" + "# -\n" * 6
    before = {"z.py": body.format(n=0), "a.py": "".join(body.format(n=i) for i in (1, 2))}
    before["a.py"] += "LIMIT = 1\n"
    after = {k: v.replace("compute(x)", "compute(x, strict=True)") for k, v in before.items()}
    after["a.py"] = after["a.py"].replace("LIMIT = 1", "LIMIT = 2")
    terminal, _ = _review(before, after)
    assert "above" not in terminal
    first = terminal.index("━━ 1. a.py")
    expanded = terminal.index("repeats the edit at z.py:2 (3 in all): shown once", first)
    shown = terminal.index("+     return compute(x, strict=True)", expanded)
    collapsed = terminal.index("repeats the edit at z.py:2 (3 in all) (collapsed)", shown)
    assert first < expanded < shown < collapsed < terminal.index("━━ 2. z.py")


def test_markdown_keeps_different_repeat_groups_on_different_lines() -> None:
    # Two edits, each repeated at three sites: two bullets (they were merged into one when
    # both notes read "2 repeated edits like the one above").
    one = "def f{n}(x):\n    return one(x)\n\n\n" + "# -\n" * 6
    two = "def g{n}(y):\n    return two(y)\n\n\n" + "# -\n" * 6
    before = {"m.py": "".join(one.format(n=i) + two.format(n=i) for i in range(3))}
    text = before["m.py"].replace("one(x)", "one(x, 1)").replace("two(y)", "two(y, 2)")
    _, markdown = _review(before, {"m.py": text})
    bullets = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(bullets) == 2
    assert "repeats the edit at m\\.py:2 \\(3 in all\\)" in bullets[0]
    assert "repeats the edit at m\\.py:12 \\(3 in all\\)" in bullets[1]


# --- attention_for and merge, one rule at a time (bot/review/attention.py) ----------------

RESORT = Mechanical("imports", "imports re-sorted")
CONDITION_REPEAT = Mechanical("repeated", "repeats the edit at m.py:2", skim=False)


def level(
    score: HunkScore,
    mechanical: Mechanical | None = None,
    generated: bool = False,
    flagged: bool = False,
) -> str:
    return attention_for(score, generated, mechanical, flagged)


def test_danger_and_risk_scrutinize_whatever_the_structure_says() -> None:
    dangerous = HunkScore("m.py", 0, flags=frozenset({"dangerous"}))
    assert level(dangerous, RESORT) == "scrutinize"
    assert level(dangerous, generated=True) == "scrutinize"
    at_threshold = HunkScore("m.py", 0, risk=RISK_SCRUTINIZE)
    assert level(at_threshold, RESORT) == "scrutinize"
    below = HunkScore("m.py", 0, risk=RISK_SCRUTINIZE - 0.01)
    assert level(below) == "read"


def test_skim_is_earned_structurally_and_lost_to_any_flag() -> None:
    plain = HunkScore("m.py", 0)
    assert level(plain, RESORT) == "skim"
    # Dense text is no news in an import re-sort: entropy does not decide.
    assert level(HunkScore("m.py", 0, flags=frozenset({"dense"})), RESORT) == "skim"
    assert level(plain, RESORT, flagged=True) == "read"
    assert level(HunkScore("m.py", 0, flags=frozenset({"static"})), RESORT) == "read"
    # A repeat that touches a condition is not skim, and dense is then scrutinized.
    assert level(plain, CONDITION_REPEAT) == "read"
    assert level(HunkScore("m.py", 0, flags=frozenset({"dense"})), CONDITION_REPEAT) == (
        "scrutinize"
    )


def test_entropy_never_greys_anything_out() -> None:
    # The entropy analyzer's "predictable" verdict alone is no mechanical class.
    predictable = HunkScore("m.py", 0, entropy=0.2, mechanical="predictable (0.2 bits/token)")
    assert level(predictable) == "read"
    assert level(HunkScore("m.py", 0, entropy=40.0, flags=frozenset({"dense"}))) == "scrutinize"
    assert level(HunkScore("m.py", 0), generated=True) == "skim"  # a generated file


def test_merge_folds_every_analyzer_into_one_score() -> None:
    parts = [
        HunkScore("m.py", 1, risk=0.2, reasons=("comparison `<` changed to `<=`",)),
        HunkScore("m.py", 1, entropy=7.5, line_heat=((3, 9.0),), repeats=2),
        HunkScore("m.py", 1, flags=frozenset({"static"}), reasons=("F821 undefined name `x`",)),
        HunkScore("m.py", 1, flags=frozenset({"dangerous"}), repeats=1),
    ]
    merged = merge("m.py", 1, parts)
    assert (merged.path, merged.hunk) == ("m.py", 1)
    assert merged.flags == frozenset({"static", "dangerous"})
    assert (merged.entropy, merged.line_heat, merged.repeats) == (7.5, ((3, 9.0),), 2)
    assert (merged.risk, merged.reasons) == combine(parts)
    assert merged.reasons[:2] == ("comparison `<` changed to `<=`", "F821 undefined name `x`")
    assert "touches code marked dangerous" in merged.reasons
    empty = merge("m.py", 2, [])
    assert (empty.risk, empty.entropy, empty.flags, empty.reasons) == (None, None, frozenset(), ())


def test_the_terminal_and_markdown_say_why_repeats_touching_a_condition_are_read() -> None:
    # The `if timeout:` bug at three sites: each shown in full, each note saying it repeats.
    buggy = SITES.replace("    if timeout is not None:\n", "    if timeout:\n")
    terminal, markdown = _review({"m.py": SITES}, {"m.py": buggy})
    assert terminal.count("+     if timeout:") == 3
    assert "collapsed" not in terminal
    first = terminal.index("▸ the same edit repeats in 2 other hunks; it touches a condition")
    second = terminal.index("▸ repeats the edit at m.py:2 (3 in all); it touches a condition")
    assert first < second
    rows = [line for line in markdown.splitlines() if line.startswith("| `m.py`")]
    assert len(rows) == 3 and all("| read — " in row for row in rows)
    assert "repeats the edit at m\\.py:2 \\(3 in all\\); it touches a condition" in rows[2]
