"""The builtins model, family by family: for each, a refutation (replayed in Python: the
call does what the counterexample says), a proof (checked in Python on sample inputs) and an
unknown (with its reason)."""

from __future__ import annotations

import functools
import textwrap
from typing import Any

import pytest

from bot.core.model import Verdict
from tests.verify.helpers import holds, verdicts

FAMILIES: dict[str, str] = {
    "numbers": '''
import math

def clamp_abs(x: int) -> int:
    """post: __return__ >= 0"""
    return abs(x) - 1

def truncate(x: float) -> int:
    """
    pre: -100.0 < x < 100.0
    post: abs(__return__) <= abs(x)
    """
    return int(x)

def code_point(c: str) -> int:
    """
    pre: len(c) == 1
    post: chr(__return__) == c
    """
    return ord(c)

def root(x: float) -> float:
    """post: __return__ >= 0"""
    return math.exp(x)
''',
    "folds": '''
from typing import List

def largest(xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: all(x <= __return__ for x in xs)
    """
    return max(xs)

def smallest_bad(xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: all(__return__ <= x for x in xs)
    """
    return xs[0]

def positives(xs: List[int]) -> bool:
    """post: __return__ == all(x > 0 for x in xs)"""
    return not any(x <= 0 for x in xs)

def keyed(xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: __return__ in xs
    """
    return max(xs, key=abs)
''',
    "containers": '''
from typing import List, Tuple

def pairs(xs: List[int], ys: List[int]) -> List[Tuple[int, int]]:
    """post: len(__return__) == min(len(xs), len(ys))"""
    return list(zip(xs, ys))

def unique_count(xs: List[int]) -> int:
    """post: __return__ <= len(xs)"""
    return len(set(xs))

def doubled(xs: List[int]) -> int:
    """post: __return__ == len(xs)"""
    return len(xs + xs)

def ranked(xs: List[int]) -> List[int]:
    """post: __return__ == sorted(xs, key=abs)"""
    return sorted(xs, key=abs)
''',
    "objects": '''
from typing import Optional

class Box:
    def __init__(self, size: int) -> None:
        self.size = size

def make(size: int) -> Box:
    """post: isinstance(__return__, Box)"""
    return Box(size)

def text(x: int) -> str:
    """post: __return__ != "7" """
    return str(x)

def label(x: Optional[int]) -> str:
    """post: isinstance(__return__, str)"""
    return "none" if x is None else repr(x)

def unknown_type(x: object) -> bool:
    """post: __return__"""
    return isinstance(x, int)
''',
    "strings": '''
def shout(s: str) -> str:
    """post: __return__.endswith("!")"""
    return f"{s.strip()}!"

def first_word(s: str) -> str:
    """post: len(__return__) < len(s)"""
    return s.split(" ")[0]

def greeting(name: str) -> str:
    """post: len(__return__) > 6"""
    return "hello " + name.removeprefix("x")

def joined(a: str, b: str) -> str:
    """post: __return__.count(",") == 1"""
    return ",".join([a, b])
''',
    "regex": '''
import re

_WORD = re.compile(r"[a-z]+")

def is_word(s: str) -> bool:
    """post: implies(__return__, len(s) > 0)"""
    return _WORD.fullmatch(s) is not None

def starts_with_digit(s: str) -> bool:
    """post: implies(__return__, not s.startswith("a"))"""
    return re.match(r"[0-9]", s) is not None


def has_abc(s: str) -> bool:
    """post: __return__ == ("abc" in s)"""
    return re.search(r"ab?c", s) is not None

def boundary(s: str) -> bool:
    """post: implies(__return__, len(s) > 0)"""
    return re.search(r"\\bx", s) is not None
''',
    "lists": '''
from typing import List

def push(xs: List[int], x: int) -> int:
    """post: __return__ == len(__old__.xs) + 1"""
    xs.append(x)
    return len(xs)

def pop_first(xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: __return__ == __old__.xs[0]
    """
    return xs.pop()

def without(xs: List[int], x: int) -> List[int]:
    """
    pre: x in xs
    post: len(__return__) == len(xs) - 1
    """
    ys = list(xs)
    ys.remove(x)
    return ys

def ordered(xs: List[int]) -> List[int]:
    """post: __return__ == sorted(xs)"""
    ys = list(xs)
    ys.sort(key=abs)
    return ys
''',
    "dicts": '''
from typing import Dict

def count(d: Dict[str, int], k: str) -> int:
    """post: __return__ >= 0"""
    return d.get(k, -1) + 1

def lookup(d: Dict[str, int], k: str) -> int:
    """
    pre: k in d
    post: __return__ == d[k]
    """
    return d.get(k, 0)

def tally(words: str) -> int:
    """post: __return__ <= len(words)"""
    seen: Dict[str, int] = {}
    for w in words:
        seen[w] = seen.get(w, 0) + 1
    return len(seen)

def merged(a: Dict[str, int], b: Dict[str, int]) -> int:
    """post: __return__ >= len(a)"""
    return len({**a, **b})
''',
    "sets": '''
from typing import Set

def added(s: Set[int], x: int) -> int:
    """post: __return__ == len(__old__.s) + 1"""
    s.add(x)
    return len(s)

def member(s: Set[int], x: int) -> bool:
    """post: __return__ == (x in s)"""
    t = set(s)
    t.add(x)
    return x in t and x in s

def grown(s: Set[int], x: int) -> int:
    """post: __return__ >= len(__old__.s)"""
    s.add(x)
    return len(s)

def sizes(s: Set[str]) -> int:
    """post: __return__ == len(s)"""
    return len({(x, len(x)) for x in s})
''',
    "randoms": '''
import random
from typing import List

def pick(rng: random.Random, xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: __return__ != 3
    """
    return rng.choice(xs)

def dice(rng: random.Random) -> int:
    """post: 1 <= __return__ <= 6"""
    return rng.randint(1, 6)

def coin() -> int:
    """post: __return__ in (0, 1)"""
    return random.randint(0, 2)

def draw(rng: random.Random) -> int:
    """post: __return__ >= 0"""
    return rng.sample([1, 2], 1)[0]
''',
}

# family -> (refuted, proved, unknown and what its reason says)
EXPECTED: dict[str, tuple[str, str, tuple[str, str]]] = {
    "numbers": ("clamp_abs", "code_point", ("root", "math.exp")),
    "folds": ("smallest_bad", "largest", ("keyed", "key")),
    "containers": ("doubled", "pairs", ("ranked", "key")),
    "objects": ("text", "make", ("unknown_type", "")),
    "strings": ("first_word", "shout", ("joined", "")),
    "regex": ("has_abc", "is_word", ("boundary", "\\b")),
    "lists": ("pop_first", "push", ("ordered", "")),
    "dicts": ("count", "lookup", ("merged", "**")),
    "sets": ("added", "grown", ("sizes", "composite")),
    "randoms": ("pick", "dice", ("draw", "sample")),
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "code_point": [{"c": c} for c in "a Z\u00e9\u4e2d"],
    "largest": [{"xs": xs} for xs in ([1], [3, -1, 7], [-5, -9], list(range(20)))],
    "pairs": [
        {"xs": [1, 2, 3], "ys": [4]},
        {"xs": [], "ys": [1]},
        {"xs": list(range(12)), "ys": list(range(10))},
    ],
    "make": [{"size": n} for n in (-1, 0, 5)],
    "shout": [{"s": s} for s in ("", " a ", "x\n", "\u3000b")],
    "is_word": [{"s": s} for s in ("", "abc", "a1", "\u00e9")],
    "push": [{"xs": [1, 2], "x": 3}, {"xs": [], "x": 0}],
    "lookup": [{"d": {"a": 1}, "k": "a"}, {"d": {"a": 1, "b": 2}, "k": "b"}],
    "grown": [{"s": {1, 2}, "x": 2}, {"s": set(), "x": 1}],
    "dice": [{"rng": __import__("random").Random(seed)} for seed in range(5)],
}


@functools.cache
def _verdicts(family: str) -> tuple[Verdict, ...]:
    return tuple(verdicts(FAMILIES[family], timeout=10.0))


def _of(family: str, function: str) -> list[Verdict]:
    return [v for v in _verdicts(family) if v.function == function and v.kind == "post"]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_refuted_as_python_behaves(family: str) -> None:
    function = EXPECTED[family][0]
    [verdict] = _of(family, function)
    assert verdict.status == "refuted", verdict
    assert holds(FAMILIES[family], verdict), verdict


@pytest.mark.parametrize("family", list(FAMILIES))
def test_proved_and_python_agrees(family: str) -> None:
    function = EXPECTED[family][1]
    found = _of(family, function)
    assert found and all(v.status == "proved" for v in found), found
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(FAMILIES[family]), namespace)  # the test's own source
    for args in SAMPLES.get(function, []):
        copied = {
            k: (type(v)(v) if isinstance(v, list | dict | set) else v) for k, v in args.items()
        }
        result = namespace[function](**copied)
        condition = found[0].condition
        env = {
            **args,
            "__return__": result,
            "implies": lambda a, b: not a or b,
            "__old__": type("Old", (), args),
        }
        assert eval(condition, {**namespace, **env}), (function, args, result)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_unknown_says_why(family: str) -> None:
    function, why = EXPECTED[family][2]
    found = _of(family, function)
    assert found and all(v.status == "unknown" for v in found), found
    assert all(why in (v.reason or "") and v.reason for v in found), [v.reason for v in found]


def test_a_list_method_with_arguments_that_do_not_fit_is_unknown_not_a_crash() -> None:
    # `count()` without its argument on a list with no name to store back into reached an
    # `assert` in the translator ("translator error: AssertionError").
    source = '''
def f(a: list[int]) -> int:
    """post: __return__ >= 0"""
    return (a + [1]).count()
'''
    (verdict,) = verdicts(source)
    assert verdict.status == "unknown"
    assert verdict.reason is not None and "not modelled: method `count` of list" in verdict.reason
