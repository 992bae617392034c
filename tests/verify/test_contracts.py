"""Spec verification: each spec syntax (leading asserts, PEP 316, icontract, deal), the first
constructs, Python's floor division and modulo on negatives, loop bounds, the unknown paths,
budgets, counterexamples that replay by calling the function, the command and the review."""

from __future__ import annotations

import functools
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, Run
from verify.check import Verdict, verify_source
from verify.runner import Job, run


def verdicts(source: str) -> list[Verdict]:
    return list(verify_source(textwrap.dedent(source), "case.py"))


def only(source: str) -> Verdict:
    found = [v for v in verdicts(source) if v.kind in ("post", "invariant")]
    assert len(found) == 1, found
    return found[0]


def replay(source: str, verdict: Verdict) -> Any:
    """Call the function on the counterexample (test code only: redline never executes)."""
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace)
    assert verdict.counterexample is not None
    return namespace[verdict.function](**verdict.counterexample["args"])


# --- spec syntaxes -------------------------------------------------------------------------


def test_leading_asserts_are_preconditions_and_asserts_before_return_postconditions() -> None:
    source = """
    def shift(x: int) -> int:
        assert x > 0
        y = x - 10
        assert y > -10
        return y
    """
    found = {(v.kind, v.condition): v.status for v in verdicts(source)}
    assert found == {("post", "y > -10"): "proved"}
    broken = source.replace("x - 10", "x - 11")
    refuted = [v for v in verdicts(broken) if v.status == "refuted"]
    assert [(v.kind, v.counterexample) for v in refuted] == [
        ("post", {"args": {"x": 1}, "raises": "AssertionError"})
    ]


def test_pep316_pre_post_return_names_and_old() -> None:
    source = '''
    from typing import List
    def push(items: List[int], x: int) -> int:
        """
        pre: x >= 0
        post[items]: len(items) == len(__old__.items) + 1
        post: _ == x
        """
        items.append(x)
        return __return_value(x)
    def __return_value(v: int) -> int:
        return v
    '''
    found = {v.condition: v.status for v in verdicts(source) if v.function == "push"}
    assert found == {"len(items) == len(__old__.items) + 1": "proved", "_ == x": "proved"}


def test_pep316_raises_and_invariants() -> None:
    source = '''
    class Account:
        """
        inv: self.balance >= 0
        """
        balance: int

        def withdraw(self, amount: int) -> int:
            """
            pre: amount > 0
            raises: ValueError
            """
            if amount > self.balance:
                raise ValueError("insufficient funds")
            self.balance -= amount
            return self.balance

        def bad_withdraw(self, amount: int) -> int:
            """
            pre: amount > 0
            """
            self.balance -= amount
            return self.balance
    '''
    found = {(v.function, v.kind, v.status) for v in verdicts(source)}
    assert ("Account.withdraw", "invariant", "proved") in found
    assert ("Account.bad_withdraw", "invariant", "refuted") in found
    assert not any(v.kind == "raise" for v in verdicts(source) if v.function == "Account.withdraw")


def test_icontract_require_ensure_and_old() -> None:
    source = """
    import icontract
    from typing import List

    @icontract.require(lambda x: x > 0)
    @icontract.ensure(lambda x, result: result > x)
    def bump(x: int) -> int:
        return x + 1

    @icontract.ensure(lambda result, OLD, xs: len(xs) == len(OLD.xs) + 1)
    def add(xs: List[int]) -> None:
        xs.append(1)
    """
    assert {v.function: v.status for v in verdicts(source)} == {"bump": "proved", "add": "proved"}


def test_deal_pre_post_ensure() -> None:
    source = """
    import deal

    @deal.pre(lambda a, b: b != 0)
    @deal.post(lambda result: result >= 0)
    @deal.ensure(lambda a, b, result: result <= abs(a))
    def magnitude_ratio(a: int, b: int) -> int:
        return abs(a) // abs(b)

    @deal.ensure(lambda _: _.result != _["x"])
    def differs(x: int) -> int:
        return x * 2
    """
    found = {(v.function, v.condition): v for v in verdicts(source)}
    assert found[("magnitude_ratio", "result >= 0")].status == "proved"
    assert found[("magnitude_ratio", "result <= abs(a)")].status == "proved"
    refuted = found[("differs", '_.result != _["x"]')]
    assert refuted.status == "refuted" and refuted.counterexample == {
        "args": {"x": 0},
        "returns": 0,
    }


def test_type_hints_are_the_domain() -> None:
    source = '''
    from typing import List
    def size(xs: List[str]) -> int:
        """post: __return__ >= 0"""
        return len(xs)
    def half(x: float) -> float:
        """post: __return__ * 2 == x"""
        return x / 2
    '''
    found = {v.function: v for v in verdicts(source) if v.kind == "post"}
    assert found["size"].status == "proved"
    assert found["half"].status == "proved" and "real" in (found["half"].reason or "")


# --- constructs ----------------------------------------------------------------------------

CONSTRUCTS = """
from typing import Dict, List, Tuple

def ints_and_bools(a: int, b: bool) -> int:
    '''post: __return__ >= 0'''
    n = abs(a)
    n += 1 if b else 0
    return n

def strings(s: str) -> bool:
    '''post: implies(__return__, len(s) >= 2)'''
    return s.startswith("ab") and "b" in s

def tuples(p: Tuple[int, int]) -> Tuple[int, int]:
    '''post: __return__[0] <= __return__[1]'''
    a, b = p
    return (a, b) if a <= b else (b, a)

def lists(xs: List[int]) -> int:
    '''
    pre: len(xs) >= 2
    post: __return__ == xs[0] + xs[-1]
    '''
    head = xs[:1]
    return head[0] + xs[len(xs) - 1]

def dicts(d: Dict[str, int], k: str) -> int:
    '''
    pre: k in d and d[k] > 0
    post: __return__ > 0
    '''
    return d.get(k, 0)

def chained(a: int, b: int, c: int) -> bool:
    '''post: implies(__return__, a < c)'''
    return a < b < c

def branches(x: int) -> int:
    '''post: __return__ in (1, 2, 3)'''
    if x < 0:
        return 1
    elif x == 0:
        return 2
    else:
        return 3

def for_range(n: int) -> int:
    '''
    pre: 0 <= n <= 5
    post: __return__ == n * (n - 1) // 2
    '''
    total = 0
    for i in range(n):
        total += i
    return total

def for_sequence(xs: List[int]) -> int:
    '''
    pre: 0 < len(xs) <= 5 and all(x > 0 for x in xs)
    post: __return__ > 0
    '''
    total = 0
    for x in xs:
        total = total + x
    return total

def while_loop(n: int) -> int:
    '''
    pre: 0 <= n <= 4
    post: __return__ == 0
    '''
    while n > 0:
        n -= 1
    return n

def helper(x: int) -> int:
    return x * 2

def calls(x: int) -> int:
    '''post: __return__ % 2 == 0'''
    return helper(x) + helper(1)

def builtins(xs: List[int]) -> bool:
    '''
    pre: 0 < len(xs) <= 4
    post: __return__
    '''
    return min(xs) <= max(xs) and sum(xs) == sum(x for x in xs) and any(
        x == xs[0] for x in xs)
"""


@functools.cache
def _constructs() -> tuple[Verdict, ...]:
    return tuple(verdicts(CONSTRUCTS))


@pytest.mark.parametrize(
    "function",
    [
        "ints_and_bools",
        "strings",
        "tuples",
        "lists",
        "dicts",
        "chained",
        "branches",
        "for_range",
        "for_sequence",
        "while_loop",
        "calls",
        "builtins",
    ],
)
def test_each_construct_is_proved(function: str) -> None:
    found = [v for v in _constructs() if v.function == function and v.kind == "post"]
    assert found and all(v.status == "proved" for v in found), found


def test_boolean_operators_short_circuit_their_obligations() -> None:
    source = '''
    def safe(x: int, y: int) -> bool:
        """post: implies(__return__, y != 0)"""
        return y != 0 and x / y > 1
    '''
    found = verdicts(source)
    assert all(v.status == "proved" for v in found), found  # no "division by zero" refuted


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("-7 // 2", -4),
        ("-7 % 2", 1),
        ("7 // -2", -4),
        ("7 % -2", -1),
        ("-7 // -2", 3),
        ("-7 % -2", -1),
    ],
)
def test_floor_division_and_modulo_on_negatives(expression: str, expected: int) -> None:
    a, op, b = expression.split()
    source = f'''
    def f(a: int, b: int) -> int:
        """
        pre: a == {a} and b == {b}
        post: __return__ == {expected}
        """
        return a {op} b
    '''
    assert only(source).status == "proved"
    wrong = source.replace(f"== {expected}\n", f"== {expected + 1}\n")
    refuted = only(wrong)
    assert refuted.status == "refuted" and replay(wrong, refuted) == expected


def test_loop_bound_is_unknown_not_proved_but_bugs_within_it_are_refuted() -> None:
    unbounded = '''
    def count(n: int) -> int:
        """
        pre: n >= 0
        post: __return__ == n
        """
        i = 0
        while i < n:
            i += 1
        return i
    '''
    verdict = only(unbounded)
    assert verdict.status == "unknown" and "bound reached" in (verdict.reason or "")
    assert "unrolled 8 times" in (verdict.reason or "")
    buggy = unbounded.replace("i += 1", "i += 1 if i != 3 else 2")
    refuted = only(buggy)
    assert (
        refuted.status == "refuted"
        and replay(buggy, refuted) != refuted.counterexample["args"]["n"]
    )  # type: ignore[index]


def test_one_list_passed_twice_is_an_input_the_contract_must_survive() -> None:
    source = '''
    from typing import List
    def append_zero_to_each(lists: List[List[int]]) -> None:
        """
        pre: len(lists) >= 2
        post: all(len(x) == len(__old__.lists[i]) + 1 for i, x in enumerate(lists))
        """
        for ls in lists:
            ls.append(0)
    '''
    verdict = only(source)
    assert verdict.status == "refuted"
    example = verdict.counterexample
    assert example is not None
    shared = example["args"]["lists"]
    assert any(isinstance(item, str) and "same list as item" in item for item in shared)
    # Replayed with real aliasing, the function breaks its promise.
    first: list[int] = []
    lists = [first, first]
    before = [len(x) for x in lists]
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace)
    namespace["append_zero_to_each"](lists)
    assert [len(x) for x in lists] != [n + 1 for n in before]
    # A promise that holds with or without aliasing is not refuted.
    holds = source.replace(
        "all(len(x) == len(__old__.lists[i]) + 1 for i, x in enumerate(lists))",
        "all(len(x) >= 1 for x in lists)",
    )
    assert only(holds).status != "refuted"


def test_counterexamples_replay_by_calling_the_function() -> None:
    source = '''
    def next_departure(bus_id: int, min_time: int) -> int:
        """
        pre: bus_id > 0 and min_time >= 0
        post: __return__ >= min_time and __return__ % bus_id == 0
        """
        return (min_time // bus_id + 1) * bus_id - (1 if min_time % bus_id == 1 else 0)
    '''
    verdict = only(source)
    assert verdict.status == "refuted"
    example = verdict.counterexample
    assert example is not None
    result = replay(source, verdict)
    assert result == example["returns"]
    args = example["args"]
    assert not (result >= args["min_time"] and result % args["bus_id"] == 0)


def test_implicit_safety_properties() -> None:
    source = '''
    from typing import List
    def ratio(a: int, b: int) -> float:
        """post: True"""
        return a / b
    def first(xs: List[int]) -> int:
        """post: True"""
        return xs[0]
    def checked(x: int) -> int:
        """post: True"""
        if x == 3:
            raise RuntimeError("three")
        return x
    '''
    refuted = {
        (v.function, v.counterexample["raises"])
        for v in verdicts(source)  # type: ignore
        if v.status == "refuted"
    }
    assert refuted == {
        ("ratio", "ZeroDivisionError"),
        ("first", "IndexError"),
        ("checked", "RuntimeError"),
    }


# --- unknown paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(x: int) -> int:\n    '''post: _ > 0'''\n    return x +\n", "syntax error"),
        ("def f(x: int) -> int:\n    '''post: _ > limit'''\n    return x\n", "undefined name"),
        ("def f(x: int) -> int:\n    '''post: _ > 0'''\n    return f(x)\n", "recursion deeper"),
        (
            "def f(x: int) -> int:\n    '''post: _ > 0'''\n    return x + " + "9" * 500 + "\n",
            "literal of 500 digits",
        ),
        (
            "def f(x: int) -> int:\n    '''post: _ > 0'''\n    return "
            + " + ".join(["x"] * 3000)
            + "\n",
            "nesting too deep",
        ),
        ("def f(x) -> int:\n    '''post: _ > 0'''\n    return x\n", "no type hint"),
        (
            "def f(x: int) -> int:\n    '''post: _ > 0'''\n    match x:\n        case _:\n"
            "            return 1\n",
            "statement `Match`",
        ),
    ],
)
def test_bad_input_ends_as_unknown_with_a_reason(source: str, reason: str) -> None:
    found = list(verify_source(source, "bad.py"))
    assert found and all(v.status == "unknown" for v in found), found
    assert any(reason in (v.reason or "") for v in found), [v.reason for v in found]


def test_the_total_budget_is_enforced() -> None:
    hard = '''
    def hard(x: int, y: int, z: int) -> int:
        """post: __return__ != 33"""
        return x * x * x + y * y * y + z * z * z
    '''
    start = time.monotonic()
    found = run([Job("hard.py", textwrap.dedent(hard))], timeout=30.0, total=1.0)
    elapsed = time.monotonic() - start
    assert elapsed < 3.0
    assert [v.status for v in found] == ["unknown"]
    assert (found[0].reason or "").startswith("time budget exhausted")


# --- interfaces ----------------------------------------------------------------------------


def test_verify_command_json(tmp_path: Path, run_cli: Run) -> None:
    target = tmp_path / "m.py"
    target.write_text(
        textwrap.dedent('''
    class Pair:
        def total(self, a: int, b: int) -> int:
            """post: __return__ == a + b"""
            return a + b - (1 if a == 2 else 0)
    ''')
    )
    code, out, _ = run_cli("verify", str(target), "--format", "json")
    assert code == 1
    [entry] = json.loads(out)
    assert set(entry) == {
        "path",
        "function",
        "line",
        "kind",
        "condition",
        "status",
        "counterexample",
        "reason",
        "ms",
    }
    assert entry["function"] == "Pair.total" and entry["kind"] == "post"
    assert entry["counterexample"] == {"args": {"self": {}, "a": 2, "b": 0}, "returns": 1}


def test_review_reports_refutations_inline_and_proofs_in_the_summary(
    repo: Repo, run_cli: Run
) -> None:
    base = textwrap.dedent('''
    def clamp(value: int, low: int, high: int) -> int:
        """
        pre: low <= high
        post: low <= __return__ <= high
        """
        return max(low, min(value, high))


    def half(x: int) -> int:
        """post: __return__ * 2 <= x"""
        return x // 2
    ''')
    repo.commit("base", {"lib.py": base})
    repo.commit(
        "head",
        {
            "lib.py": base.replace(
                "return max(low, min(value, high))", "return max(low, min(value, high + 1))"
            ).replace("return x // 2", "return x // 2  # floor")
        },
    )
    code, out, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--only=verify",
    )
    document = json.loads(out)
    findings = [f for f in document["findings"] if f["source"] == "verify"]
    assert len(findings) == 1 and findings[0]["severity"] == "error"
    assert "`clamp(value=" in findings[0]["message"] and "` returns `" in findings[0]["message"]
    assert code == 1
    statuses = {(c["function"], c["status"]) for c in document["verification"]["conditions"]}
    assert ("half", "proved") in statuses and ("clamp", "refuted") in statuses
    _, markdown, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "markdown",
        "--only=verify",
    )
    assert "### Contracts" in markdown and "proved, 1 refuted" in markdown
