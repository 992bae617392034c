"""Globs as people write them in `.redline.toml`: `*` stays in one folder, `**` crosses them,
a bare name matches at any depth, a slash anchors at the root, a trailing slash means a folder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.globs import compile_glob, matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.py", "a.py", True),
        ("*.py", "deep/in/a.py", True),  # no slash: any depth
        ("*.py", "a.pyc", False),
        ("*.py", "a.py/inner.txt", True),  # a folder named like the pattern: all under it
        ("docs/*.md", "docs/a.md", True),
        ("docs/*.md", "docs/sub/a.md", False),  # `*` does not cross a slash
        ("docs/*.md", "x/docs/a.md", False),  # a slash anchors at the root
        ("docs/**", "docs/sub/deep/a.md", True),
        ("docs/**", "docsx/a.md", False),
        ("**/test_*.py", "test_a.py", True),  # `**/` may match no folder at all
        ("**/test_*.py", "a/b/test_a.py", True),
        ("src/**/gen.py", "src/gen.py", True),
        ("src/**/gen.py", "src/a/b/gen.py", True),
        ("/build/", "build/out.o", True),  # a leading slash is the root
        ("/build/", "src/build/out.o", False),
        ("vendor/", "vendor/lib/x.go", True),  # trailing slash: everything in the folder
        ("vendor/", "vendor", False),
        ("node_modules", "web/node_modules/x/index.js", True),
        ("?.py", "a.py", True),
        ("?.py", "ab.py", False),
        ("?.py", "/.py", False),  # `?` is never a slash
        ("a+b(1).py", "a+b(1).py", True),  # regex characters are literal
        ("a+b(1).py", "aab1.py", False),
        ("  *.lock  ", "Cargo.lock", True),  # whitespace around a pattern is ignored
    ],
)
def test_patterns(pattern: str, path: str, expected: bool) -> None:
    assert (compile_glob(pattern).match(path) is not None) is expected


def test_matches_returns_the_first_matching_pattern() -> None:
    patterns = ("*.md", "docs/**", "*.py")
    assert matches("docs/a.md", patterns) == "*.md"
    assert matches("docs/a.txt", patterns) == "docs/**"
    assert matches("src/a.rs", patterns) is None
    assert matches("a.py", ["*.py"]) == "*.py"  # a list works as well as a tuple
    assert matches("a.py", ()) is None


NAMES = st.text(alphabet="abcXYZ019_-.+()[]{}$^", min_size=1, max_size=12).filter(
    lambda name: name not in (".", "..") and not set(name) <= {"."}
)


@settings(max_examples=50, deadline=None)
@given(NAMES, st.lists(st.sampled_from(["src", "a b", "x.y"]), max_size=3))
def test_a_plain_name_matches_itself_at_any_depth_and_nothing_else(
    name: str, folders: list[str]
) -> None:
    path = "/".join([*folders, name])
    assert matches(path, [name]) == name
    assert matches("/".join([*folders, name + "z"]), [name]) is None
    assert matches("/".join([*folders, "z" + name]), [name]) is None
