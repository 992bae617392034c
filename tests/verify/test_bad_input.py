"""Issue 17's bad inputs, each a clear unknown with its reason (or a refusal with one line and
exit 2), never a crash or a hang past the budget."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.verify.helpers import verdicts
from verify.runner import Job, run

CASES = [
    ("def f(x: int) -> int:\n    '''post: __return__ >'''\n    return x\n", "does not parse"),
    (
        "def f(x: int) -> int:\n    '''post: __return__ > limit'''\n    return x\n",
        "undefined name `limit`",
    ),
    ("def f(*xs: int) -> int:\n    '''post: __return__ >= 0'''\n    return len(xs)\n", "*args"),
    ("def f(**kw: int) -> int:\n    '''post: __return__ >= 0'''\n    return len(kw)\n", "**kwargs"),
    (
        "from typing import List\ndef f(xs: List[int]) -> List[int]:\n"
        "    '''post: all(map(lambda x: x > 0, __return__))'''\n    return xs\n",
        "map",
    ),
    (
        "import numpy\ndef f(x: int) -> int:\n"
        "    '''post: numpy.isfinite(__return__)'''\n    return x\n",
        "numpy.isfinite",
    ),
    (
        "def f(x: int) -> int:\n    '''post: __return__ > 0'''\n    return f(x - 1)\n",
        "recursion deeper",
    ),
    (
        "import icontract\n@icontract.ensure(check_result)\ndef f(x: int) -> int:\n    return x\n",
        "not a lambda",
    ),
]


@pytest.mark.parametrize(("source", "reason"), CASES)
def test_bad_contracts_end_unknown_with_their_reason(source: str, reason: str) -> None:
    found = [v for v in verdicts(source) if v.kind == "post"]
    assert found and all(v.status == "unknown" for v in found), found
    assert any(reason in (v.reason or "") for v in found), [v.reason for v in found]


def test_a_lambda_called_in_a_contract_is_read() -> None:
    found = verdicts(
        "def f(x: int) -> int:\n    '''post: (lambda r: r >= 0)(__return__)'''\n    return abs(x)\n"
    )
    assert [v.status for v in found] == ["proved"]


def test_a_solver_that_runs_away_ends_within_the_budget() -> None:
    source = (
        "def f(x: int, y: int, z: int) -> int:\n"
        "    '''post: __return__ != 42'''\n    return x**3 + y**3 + z**3\n"
    )
    start = time.monotonic()
    [verdict] = verdicts(source, timeout=0.5)
    assert verdict.status == "unknown" and (verdict.reason or "").startswith(
        ("time budget", "the solver gave up")
    )
    assert time.monotonic() - start < 5


def test_five_hundred_functions_keep_the_total_budget() -> None:
    functions = "\n".join(
        f"def f{i}(x: int, y: int) -> int:\n    '''post: __return__ != {i}'''\n"
        f"    return x * x * y * y + {i % 7}\n"
        for i in range(500)
    )
    start = time.monotonic()
    found = run([Job("many.py", functions)], timeout=0.3, total=3.0)
    elapsed = time.monotonic() - start
    assert elapsed < 8.0, elapsed
    assert {v.function for v in found} == {f"f{i}" for i in range(500)}  # none goes missing
    assert any(v.reason == "time budget exhausted" for v in found)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"def f(:\n    pass\n", "does not parse"),
        (b"x = 1\x00\n", "does not parse"),
        (b"\xff\xfe x", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_bad_input(
    tmp_path: Path, run_cli: Run, content: bytes, message: str
) -> None:
    target = tmp_path / "broken.py"
    target.write_bytes(content)
    code, out, err = run_cli("verify", str(target))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_a_missing_path_is_bad_input(tmp_path: Path, run_cli: Run) -> None:
    code, _, err = run_cli("verify", str(tmp_path / "nothing.py"))
    assert code == 2 and "no such file" in err


def test_the_verdicts_of_a_long_file_are_all_listed() -> None:
    source = textwrap.dedent(
        '''
        def slow(x: int, y: int, z: int) -> int:
            """post: __return__ != 42"""
            return x * x * x + y * y * y + z * z * z

        def asserts_only(x: int) -> int:
            assert x * x * x != 42
            return x
        '''
    )
    found = run([Job("budget.py", source)], timeout=30.0, total=1.0)
    assert {v.function for v in found} == {"slow", "asserts_only"}
    assert all(v.status == "unknown" and v.reason == "time budget exhausted" for v in found)
