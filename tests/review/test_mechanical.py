"""Mechanical hunks, recognised structurally."""

from __future__ import annotations

from review_models.mechanical import HunkText, classify


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


def test_repeat_note_counts_the_repeats() -> None:
    edits = [HunkText(("m.py", i), (f"x{i} = f(1)",), (f"x{i} = f(1, 2)",)) for i in range(13)]
    notes = {k: v.note for k, v in classify(edits).items()}
    assert notes[("m.py", 12)] == "12 repeated edits like the one above"
