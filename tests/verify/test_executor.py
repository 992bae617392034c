"""The executor, construct by construct (statements, loops, expressions, subscripts, calls,
classes): for each a refutation (replayed in Python), a proof and an unknown with its
reason."""

from __future__ import annotations

import functools

import pytest

from bot.core.model import Verdict
from tests.verify.helpers import holds, verdicts

SOURCES: dict[str, str] = {
    "statements": '''
from typing import List

def swap_sorted(a: int, b: int) -> int:
    """post: __return__ >= b"""
    if a < b:
        a, b = b, a
    return a

def bad_swap(a: int, b: int) -> int:
    """post: __return__ >= a"""
    a, b = b, a
    return a

def declared(x: int) -> int:
    """
    raises: ValueError
    post: __return__ > 0
    """
    if x <= 0:
        raise ValueError("x")
    return x

def finally_counts(x: int) -> int:
    """post: __return__ >= 0"""
    total = 0
    try:
        total = 10 // x
    finally:
        total = total + 1
    return total

def deleted(xs: List[int]) -> int:
    """post: True"""
    del xs[0]
    return 0
''',
    "loops": '''
from typing import List

def count_up(n: int) -> int:
    """
    pre: 0 <= n <= 5
    post: __return__ == n
    """
    i = 0
    while i < n:
        i += 1
    return i

def first_negative(xs: List[int]) -> int:
    """post: __return__ < 0"""
    for x in xs:
        if x < 0:
            return x
    else:
        return 0
    return 1

def unbounded(xs: List[int]) -> int:
    """post: __return__ == len(xs)"""
    total = 0
    for _ in xs:
        total += 1
    return total

def nested(n: int) -> int:
    """
    pre: 0 <= n <= 3
    post: __return__ == n * n
    """
    total = 0
    for i in range(n):
        for j in range(n):
            total += 1
    return total
''',
    "expressions": '''
def sign(x: int) -> int:
    """post: __return__ in (-1, 0, 1)"""
    return (x > 0) - (x < 0)

def floor_half(x: int) -> int:
    """post: __return__ * 2 <= x"""
    return x // 2 + (1 if x == 7 else 0)

def chained(a: int, b: int, c: int) -> bool:
    """post: implies(__return__, a < c)"""
    return a < b < c

def powered(x: int, n: int) -> int:
    """post: __return__ >= 0"""
    return x ** n
''',
    "subscripts": '''
from typing import List, Tuple

def last(xs: List[int]) -> int:
    """
    pre: len(xs) > 0
    post: __return__ == xs[len(xs) - 1]
    """
    return xs[-1]

def middle(xs: List[int]) -> List[int]:
    """
    pre: len(xs) >= 2
    post: len(__return__) == len(xs) - 2
    """
    return xs[1:-2]

def second(p: Tuple[int, int, int]) -> int:
    """post: __return__ == p[1]"""
    return p[1]

def every_other(xs: List[int]) -> List[int]:
    """post: __return__ == xs[::2]"""
    return xs[::2]
''',
    "calls": '''
def double(x: int) -> int:
    """
    pre: x >= 0
    post: __return__ == 2 * x
    """
    return x + x

def uses_double(x: int) -> int:
    """
    pre: x >= 0
    post: __return__ >= x
    """
    return double(x)

def breaks_double(x: int) -> int:
    """post: True"""
    return double(x - 1)

def loops_forever(n: int) -> int:
    """post: __return__ >= 0"""
    return loops_forever(n + 1)

def opaque(x: int) -> int:
    """post: __return__ >= 0"""
    import json
    return json.loads(str(x))
''',
    "classes": '''
from dataclasses import dataclass

import icontract

@icontract.invariant(lambda self: self.balance >= 0)
class Account:
    balance: int

    def __init__(self, balance: int) -> None:
        self.balance = max(0, balance)

    @icontract.require(lambda amount: amount > 0)
    def deposit(self, amount: int) -> None:
        self.balance += amount

    @icontract.require(lambda amount: amount > 0)
    def withdraw(self, amount: int) -> None:
        self.balance -= amount

    @icontract.snapshot(lambda self: self.balance, name="before")
    @icontract.ensure(lambda self, OLD: self.balance == OLD.before)
    def audit(self) -> None:
        self.balance = self.balance + 0

@dataclass
class Point:
    x: int
    y: int = 0

    def moved(self, dx: int) -> "Point":
        """post: __return__.x == self.x + dx"""
        return Point(self.x + dx, self.y)

def origin() -> Point:
    """post: __return__ == Point(0, 0)"""
    return Point(0)

def far() -> int:
    """post: __return__ > 0"""
    return Point(0, 0).__class__.__name__.count("x")
''',
}

# construct -> (refuted, proved, (unknown, what its reason says))
EXPECTED: dict[str, tuple[str, str, tuple[str, str]]] = {
    "statements": ("bad_swap", "swap_sorted", ("deleted", "del")),
    "loops": ("first_negative", "count_up", ("unbounded", "bound reached")),
    "expressions": ("floor_half", "sign", ("powered", "**")),
    "subscripts": ("middle", "last", ("every_other", "step")),
    "calls": ("breaks_double", "uses_double", ("loops_forever", "recursion")),
    "classes": ("Account.withdraw", "Account.deposit", ("far", "")),
}


@functools.cache
def _verdicts(construct: str) -> tuple[Verdict, ...]:
    return tuple(verdicts(SOURCES[construct], timeout=10.0))


def _of(construct: str, function: str) -> list[Verdict]:
    return [v for v in _verdicts(construct) if v.function == function]


@pytest.mark.parametrize("construct", list(SOURCES))
def test_refuted(construct: str) -> None:
    function = EXPECTED[construct][0]
    refuted = [v for v in _of(construct, function) if v.status == "refuted"]
    assert refuted, _of(construct, function)
    if construct != "classes":  # a method's object is replayed in test_classes below
        # A callee's PEP 316 precondition is not checked at run time: nothing to replay.
        assert all(holds(SOURCES[construct], v) for v in refuted if v.kind != "pre"), refuted


@pytest.mark.parametrize("construct", list(SOURCES))
def test_proved(construct: str) -> None:
    found = _of(construct, EXPECTED[construct][1])
    assert found and all(v.status == "proved" for v in found), found


@pytest.mark.parametrize("construct", list(SOURCES))
def test_unknown(construct: str) -> None:
    function, why = EXPECTED[construct][2]
    found = [v for v in _of(construct, function) if v.kind in ("post", "invariant", "raise")]
    assert found and any(v.status == "unknown" and why in (v.reason or "") for v in found), found


def test_classes_invariants_snapshots_and_dataclasses() -> None:
    found = {(v.function, v.kind, v.status) for v in _verdicts("classes")}
    assert ("Account.__init__", "invariant", "proved") in found
    assert ("Account.withdraw", "invariant", "refuted") in found
    assert ("Account.audit", "post", "proved") in found  # OLD.before from the snapshot
    assert ("Point.moved", "post", "proved") in found
    assert ("origin", "post", "proved") in found  # dataclass equality by fields
    withdraw = next(
        v
        for v in _verdicts("classes")
        if v.function == "Account.withdraw" and v.status == "refuted"
    )
    assert withdraw.counterexample is not None
    balance = withdraw.counterexample["args"]["self"]["balance"]  # type: ignore[index]
    amount = withdraw.counterexample["args"]["amount"]  # type: ignore[index]
    assert balance >= 0 and amount > 0 and balance - amount < 0  # Python agrees


def test_declared_exceptions_are_not_refutations() -> None:
    found = _of("statements", "declared")
    assert not any(v.status == "refuted" for v in found), found
    finally_counts = _of("statements", "finally_counts")
    assert any(
        v.status == "refuted"
        and v.counterexample
        and v.counterexample.get("raises") == "ZeroDivisionError"
        for v in finally_counts
    )
