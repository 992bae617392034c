"""The constructs real contracts are written with that the other verify tests leave out:
comprehensions, all/any/sum over generators, Optional values, typing containers (Sequence,
Mapping, FrozenSet, Iterable, Callable) and recursion. For each, a refutation replayed in
Python, a proof that Python agrees with on sample inputs, and an unknown that says why."""

from __future__ import annotations

import functools
import textwrap
from typing import Any

import pytest

from bot.core.model import Verdict
from tests.verify.helpers import holds, verdicts

SOURCES: dict[str, str] = {
    "comprehensions": '''
from typing import Dict, List

def decremented(xs: List[int]) -> List[int]:
    """post: all(y >= 0 for y in __return__)"""
    return [x - 1 for x in xs]

def evens(xs: List[int]) -> List[int]:
    """
    pre: len(xs) <= 3
    post: all(y % 2 == 0 for y in __return__)
    """
    return [x for x in xs if x % 2 == 0]

def keyed(xs: List[str]) -> Dict[str, int]:
    """
    pre: len(xs) <= 3
    post: all(k in xs for k in __return__)
    """
    return {x: len(x) for x in xs}

def squares(xs: List[int]) -> List[int]:
    """post: all(y >= 0 for y in __return__)"""
    return [x * x for x in xs]
''',
    "quantified": '''
from typing import Sequence, Tuple

def any_zero_bad(xs: Sequence[int]) -> bool:
    """post: __return__ == any(x == 0 for x in xs)"""
    return 0 in xs[1:]

def has_neg(xs: Tuple[int, ...]) -> bool:
    """post: __return__ == any(x < 0 for x in xs)"""
    return any(x < 0 for x in xs)

def count_pos(xs: Sequence[int]) -> int:
    """post: __return__ == sum(1 for x in xs if x > 0)"""
    return len([x for x in xs if x > 0])
''',
    "optional": '''
from typing import Optional, Sequence

def length_or_zero(s: Optional[str]) -> int:
    """post: __return__ >= 0"""
    return 0 if s is None else len(s)

def first_or_none(xs: Sequence[int]) -> Optional[int]:
    """post: (__return__ is None) == (len(xs) == 0)"""
    return xs[0] if xs else None

def length_bad(s: Optional[str]) -> int:
    """post: True"""
    return len(s)

def upper_of(x: Optional[str]) -> str:
    """post: __return__ == __return__.upper()"""
    return (x or "").upper()
''',
    "typing containers": '''
from typing import FrozenSet, List, Mapping, Sequence, Tuple

def pairs_bad(rows: Sequence[Tuple[int, int]]) -> int:
    """
    pre: len(rows) > 0
    post: __return__ >= 0
    """
    return rows[0][0]

def nested_map(m: Mapping[str, List[int]], k: str) -> int:
    """post: __return__ >= 0"""
    return len(m.get(k, []))

def member(xs: FrozenSet[int], x: int) -> bool:
    """post: __return__ == (x in xs)"""
    return x in xs

def heads(rows: Sequence[Tuple[int, int]]) -> int:
    """post: __return__ >= 0"""
    return len([a for a, _ in rows])
''',
    "recursion": '''
def fact_bad(n: int) -> int:
    """
    pre: 0 <= n <= 5
    post: __return__ >= 1
    """
    if n <= 1:
        return n
    return n * fact_bad(n - 1)

def small_fact(n: int) -> int:
    """
    pre: 0 <= n <= 3
    post: __return__ >= n
    """
    if n == 0:
        return 1
    return n * small_fact(n - 1)

def depth(n: int) -> int:
    """
    pre: n >= 0
    post: __return__ == n
    """
    if n == 0:
        return 0
    return 1 + depth(n - 1)
''',
}

# construct -> (refuted, proved (and a second proved one), (unknown, what its reason says))
EXPECTED: dict[str, tuple[str, tuple[str, ...], tuple[str, str]]] = {
    "comprehensions": ("decremented", ("evens", "keyed"), ("squares", "bound reached")),
    "quantified": ("any_zero_bad", ("has_neg",), ("count_pos", "bound reached")),
    "optional": ("length_bad", ("length_or_zero", "first_or_none"), ("upper_of", "str.upper")),
    "typing containers": ("pairs_bad", ("nested_map", "member"), ("heads", "composite")),
    "recursion": ("fact_bad", ("small_fact",), ("depth", "recursion deeper")),
}

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "evens": [{"xs": xs} for xs in ([], [1, 2, 3], [-4, 7], [0, 0, 5])],
    "keyed": [{"xs": xs} for xs in ([], ["a", "bb"], ["", "", "c"])],
    "has_neg": [{"xs": xs} for xs in ((), (1, 2), (3, -1), tuple(range(-9, 9)))],
    "length_or_zero": [{"s": s} for s in (None, "", "abc")],
    "first_or_none": [{"xs": xs} for xs in ([], [0], [4, 5])],
    "nested_map": [{"m": {"a": [1]}, "k": "a"}, {"m": {}, "k": "z"}],
    "member": [{"xs": frozenset({1, 2}), "x": 2}, {"xs": frozenset(), "x": 0}],
    "small_fact": [{"n": n} for n in range(4)],
}


@functools.cache
def _verdicts(construct: str) -> tuple[Verdict, ...]:
    return tuple(verdicts(SOURCES[construct], timeout=10.0))


def _of(construct: str, function: str) -> list[Verdict]:
    return [v for v in _verdicts(construct) if v.function == function]


@pytest.mark.parametrize("construct", list(SOURCES))
def test_refuted_as_python_behaves(construct: str) -> None:
    function = EXPECTED[construct][0]
    refuted = [v for v in _of(construct, function) if v.status == "refuted"]
    assert refuted, _of(construct, function)
    assert all(holds(SOURCES[construct], v) for v in refuted), refuted


@pytest.mark.parametrize("construct", list(SOURCES))
def test_proved_and_python_agrees(construct: str) -> None:
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(SOURCES[construct]), namespace)  # the test's own source
    for function in EXPECTED[construct][1]:
        found = [v for v in _of(construct, function) if v.kind == "post"]
        assert found and all(v.status == "proved" for v in found), found
        for args in SAMPLES.get(function, []):
            result = namespace[function](**args)
            env = {**args, "__return__": result}
            assert eval(found[0].condition, {**namespace, **env}), (function, args, result)


@pytest.mark.parametrize("construct", list(SOURCES))
def test_unknown_says_why(construct: str) -> None:
    function, why = EXPECTED[construct][2]
    found = [v for v in _of(construct, function) if v.kind == "post"]
    assert found and all(v.status == "unknown" for v in found), found
    assert all(why in (v.reason or "") for v in found), [v.reason for v in found]


CONSTRUCTOR = """
from typing import Optional

import icontract

@icontract.invariant(lambda self: not (self.name is None and self.found) or self.path is not None)
class Dependency:
    def __init__(self, found: bool, name: Optional[str] = None, path: Optional[str] = None) -> None:
        self.name = name
        self.path = path
        self.found = found

@icontract.invariant(lambda self: self.n >= 0)
class Counter:
    def __init__(self, n: int) -> None:
        self.n = n - 1
"""


def test_a_constructor_refutation_shows_the_object_it_makes() -> None:
    """The object shown is the one `__init__` leaves (as Python makes it), not `self` on
    entry, which is no input of the call."""
    namespace: dict[str, Any] = {}
    plain = [line for line in CONSTRUCTOR.splitlines() if "icontract" not in line]
    exec("\n".join(plain), namespace)  # the test's own source, without icontract's checks
    found = [v for v in verdicts(CONSTRUCTOR, timeout=10.0) if v.status == "refuted"]
    assert {v.function for v in found} == {"Dependency.__init__", "Counter.__init__"}, found
    for verdict in found:
        example = verdict.counterexample or {}
        cls = verdict.function.split(".")[0]
        assert "self" not in example["args"]  # type: ignore[operator]
        made = namespace[cls].__new__(namespace[cls])
        made.__init__(**example["args"])  # type: ignore[arg-type]
        assert vars(made) == example["made"], (vars(made), example)
        shown = " ".join(f"{k}={v!r}" for k, v in vars(made).items())
        assert verdict.reason is not None and verdict.reason.startswith(f"`{cls}(")
        assert f"makes an object ({shown})" in verdict.reason, verdict.reason


DEAL_SHORT = '''
import deal

@deal.pre(lambda _: _.a > 0)
@deal.pre(validator=lambda _: _.b >= _.a)
def gap(a: int, b: int) -> int:
    """post: __return__ >= 0"""
    return b - a

@deal.pre(lambda _: _.a >= 0)
def gap_bad(a: int, b: int) -> int:
    """post: __return__ >= 0"""
    return b - a

@deal.pre(lambda _: len(_) > 0)
def whole(xs: list) -> int:
    """post: __return__ >= 0"""
    return 0
'''


def test_deal_short_validators_read_the_arguments_as_attributes() -> None:
    """deal gives a validator whose one parameter is `_` the call's arguments as attributes
    (and takes the validator by keyword too): `_.a` is the parameter `a`."""
    found = {v.function: v for v in verdicts(DEAL_SHORT, timeout=10.0) if v.kind == "post"}
    assert found["gap"].status == "proved", found["gap"]
    refuted = found["gap_bad"]
    assert refuted.status == "refuted" and holds(DEAL_SHORT.replace("@deal", "# "), refuted)
    assert refuted.counterexample is not None
    assert refuted.counterexample["args"]["a"] >= 0  # type: ignore[index]  # the precondition
    assert found["whole"].status == "unknown" and "`_`" in (found["whole"].reason or "")
