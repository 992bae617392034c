"""Mechanical hunks, recognised structurally."""

from __future__ import annotations

from bot.review.mechanical import HunkText, classify


def kinds(*hunks: tuple[tuple[str, ...], tuple[str, ...]]) -> list[str | None]:
    items = [HunkText(("m.py", i), old, new) for i, (old, new) in enumerate(hunks)]
    found = classify(items)
    return [found[h.key].kind if h.key in found else None for h in items]


def test_each_kind() -> None:
    assert kinds((("x=1",), ("x = 1",))) == ["formatting"]
    assert kinds((("import b", "import a"), ("import a", "import b"))) == ["imports"]
    assert kinds((("__version__ = '1.2.3'",), ("__version__ = '1.2.4'",))) == ["version"]
    assert kinds((("requests==2.31.0",), ("requests==2.32.0",))) == ["version"]
    # A changed threshold is code to read, not a version bump.
    assert kinds((("BUDGETS = {'low': 0.002}",), ("BUDGETS = {'low': 0.0005}",))) == [None]
    assert kinds((("y = old_name(1)",), ("y = new_name(1)",))) == ["rename"]
    assert kinds((("if a < b:",), ("if a <= b:",))) == [None]
    assert kinds((("f(a,", "  b)"), ("f(a, b)",))) == ["formatting"]


def test_moving_a_line_out_of_its_block_is_not_formatting() -> None:
    # Same tokens, but `save()` now runs whatever `ok` is: in Python that is a real change.
    assert kinds((("if ok:", "    save()"), ("if ok:", "save()"))) == [None]


def test_repeated_edits_and_moves() -> None:
    edit = (("total = compute(a)",), ("total = compute(a, strict=True)",))
    again = (("value = compute(b)",), ("value = compute(b, strict=True)",))
    assert kinds(edit, again, again) == [None, "repeated", "repeated"]
    block = ("def f():", "    return 1")
    assert kinds(((), block), (block, ())) == ["moved", "moved"]


def test_repeat_note_points_at_the_first_instance_and_counts_them() -> None:
    edits = [HunkText(("m.py", i), (f"x{i} = f(1)",), (f"x{i} = f(1, 2)",)) for i in range(13)]
    found = classify(edits)
    assert found[("m.py", 12)].note == "repeats the edit at m.py#0 (13 in all)"
    assert found[("m.py", 12)].repeat_of == ("m.py", 0)
    assert ("m.py", 0) not in found  # the first instance is read


def test_repeats_touching_a_condition_are_not_skim() -> None:
    edits = [HunkText(("m.py", i), ("if x is not None:",), ("if x:",)) for i in range(3)]
    found = classify(edits)
    assert [found[("m.py", i)].skim for i in range(3)] == [False, False, False]


def test_python_hunks_compare_syntax_trees() -> None:
    """With the post-image, a reformat black would make (quotes, a trailing comma, joined
    lines) is formatting; a docstring edit and a moved block inside a function are not."""
    from bot.core.diff import parse_diff
    from bot.review.mechanical import classify_diff

    before = (
        "def f(a, b):\n"
        '    """Sum."""\n'
        "    y = 1\n"
        "    x = g('a',\n"
        "          b,)\n"
        "    z = 2\n"
        "    if a:\n"
        "        return x\n"
        "    return 0\n"
    )
    after = before.replace("g('a',\n          b,)", 'g("a", b)').replace('"""Sum."""', '"""Add."""')
    after = after.replace("    if a:\n        return x\n    return 0\n", "    return 0\n")
    import difflib

    body = "".join(
        difflib.unified_diff(
            before.splitlines(True), after.splitlines(True), "a/m.py", "b/m.py", n=0
        )
    )
    diff = parse_diff("diff --git a/m.py b/m.py\n" + body)
    found = classify_diff(diff, {"m.py": after})
    kinds = [
        found[("m.py", h.index)].kind if ("m.py", h.index) in found else None
        for h in diff.files[0].hunks
    ]
    assert kinds == [None, "formatting", None]


def test_a_deep_expression_is_classified_without_recursion_error() -> None:
    from bot.core.diff import parse_diff
    from bot.review.mechanical import classify_diff

    deep = "x = " + " if c else ".join(f"a{i}" for i in range(2000))
    patch = f"diff --git a/e.py b/e.py\n--- a/e.py\n+++ b/e.py\n@@ -1 +1 @@\n-x = 1\n+{deep}\n"
    assert classify_diff(parse_diff(patch), {"e.py": deep + "\n"}) == {}


def test_thousands_of_hunks_repeat_in_linear_time() -> None:
    """8,000 hunks of one reformat-like edit: one group, every repeat after the first."""
    edits = [HunkText(("m.py", i), (f"v{i} = f(a,b)",), (f"v{i} = f(a, b)",)) for i in range(8000)]
    found = classify(edits)
    assert len(found) == 8000 and all(m.kind == "formatting" for m in found.values())
    edits = [HunkText(("m.py", i), (f"v{i} = f(a)",), (f"v{i} = f(a, b)",)) for i in range(8000)]
    found = classify(edits)
    assert len(found) == 7999 and all(m.repeat_of == ("m.py", 0) for m in found.values())


def test_large_edits_repeat_each_other_only_when_the_whole_edit_is_equal() -> None:
    # Past the alignment budget the edit is one change (the common ends cut off).
    from bot.review.mechanical import edit_signature

    old = ["x", "="] + [t for i in range(100) for t in (f"a{i}", "+")] + ["end"]
    new = ["x", "="] + [t for i in range(100) for t in (f"b{i}", "+")] + ["end"]
    assert edit_signature(old, new) == ((*old[2:-2], "→", *new[2:-2]),)  # ends: "+ end"
    assert edit_signature(["y", *old[1:]], ["y", *new[1:]]) == edit_signature(old, new)
    assert edit_signature(old, [*new[:-2], "-", "end"]) != edit_signature(old, new)
    # Small edits are aligned token by token: one insertion, wherever it is.
    assert edit_signature(["f", "(", "a", ")"], ["f", "(", "a", ",", "b", ")"]) == (
        ("→", ",", "b"),
    )
