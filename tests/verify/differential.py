"""Random small programs with contracts in the subset the translator models, and the check
of its verdicts against Python's own behaviour on many inputs: a "proved" that an input
refutes, or a refutation that does not replay, is a failure. The programs are generated
here, never taken from a reviewed change, so running them is allowed."""

from __future__ import annotations

import random
import sys
import textwrap
import traceback
from dataclasses import dataclass
from typing import Any

from bot.core.model import Verdict
from verify.check import verify_source

INTS = ("a", "b")


class Program:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.locals: list[str] = []
        self.lines: list[str] = []

    def atom(self) -> str:
        choices = [*INTS, *self.locals, str(self.rng.randint(-3, 3)), "len(xs)"]
        return self.rng.choice(choices)

    def expr(self, depth: int = 0) -> str:
        r = self.rng.random()
        if depth > 2 or r < 0.3:
            return self.atom()
        if r < 0.55:
            op = self.rng.choice(["+", "-", "*", "+", "-"])
            return f"({self.expr(depth + 1)} {op} {self.expr(depth + 1)})"
        if r < 0.63:
            return f"({self.expr(depth + 1)} {self.rng.choice(['//', '%'])} {self.expr(depth + 1)})"
        if r < 0.70:
            return f"xs[{self.expr(depth + 1)}]"
        if r < 0.76:
            return (
                f"{self.rng.choice(['min', 'max'])}({self.expr(depth + 1)}, {self.expr(depth + 1)})"
            )
        if r < 0.80:
            return f"abs({self.expr(depth + 1)})"
        if r < 0.86:
            return f"({self.expr(depth + 1)} if {self.cond(depth + 1)} else {self.expr(depth + 1)})"
        if r < 0.90:
            return "sum(xs)"
        if r < 0.94:
            return f"sum(x * {self.atom()} for x in xs if x > {self.rng.randint(-2, 2)})"
        return f"len([x for x in xs if x {self.rng.choice(['<', '>', '=='])} {self.atom()}])"

    def cond(self, depth: int = 0) -> str:
        r = self.rng.random()
        if r < 0.6 or depth > 2:
            op = self.rng.choice(["<", "<=", ">", ">=", "==", "!="])
            return f"{self.expr(depth + 1)} {op} {self.expr(depth + 1)}"
        if r < 0.75:
            return (
                f"({self.cond(depth + 1)} {self.rng.choice(['and', 'or'])} {self.cond(depth + 1)})"
            )
        if r < 0.85:
            return f"not ({self.cond(depth + 1)})"
        k = self.rng.randint(-2, 2)
        quantifier = self.rng.choice(["all", "any"])
        compare = self.rng.choice(["<", ">", "!="])
        return f"{quantifier}(x {compare} {k} for x in xs)"

    def statement(self, indent: str, depth: int = 0) -> None:
        r = self.rng.random()
        target = (
            f"v{len(self.locals)}" if len(self.locals) < 3 and self.rng.random() < 0.6 else None
        )
        if target is None and self.locals:
            target = self.rng.choice(self.locals)
        target = target or "v0"
        if r < 0.45 or depth > 1:
            self.lines.append(f"{indent}{target} = {self.expr()}")
        elif r < 0.65:
            self.lines.append(f"{indent}if {self.cond()}:")
            self.lines.append(f"{indent}    {target} = {self.expr()}")
            self.lines.append(f"{indent}else:")
            self.lines.append(f"{indent}    {target} = {self.expr()}")
        elif r < 0.80:
            self.lines.append(f"{indent}{target} = {self.atom()}")
            self.lines.append(f"{indent}for x in xs:")
            self.lines.append(f"{indent}    {target} = {target} + x * {self.atom()}")
        elif r < 0.90:
            self.lines.append(f"{indent}{target} = 0")
            self.lines.append(
                f"{indent}while {target} < {self.rng.choice(['a', 'b', 'len(xs)', '3'])}:"
            )
            self.lines.append(f"{indent}    {target} += 1")
        else:
            self.lines.append(f"{indent}assert {self.cond()}")
            return
        if target not in self.locals:
            self.locals.append(target)

    def build(self) -> str:
        pre = self.rng.choice(
            [
                "True",
                "0 <= a <= 5",
                "len(xs) <= 3",
                "b != 0",
                "a > b",
                "0 <= a <= 9 and len(xs) <= 9",
            ]
        )
        for _ in range(self.rng.randint(1, 3)):
            self.statement("    ")
        result = self.expr()
        post = self.rng.choice(
            [
                f"__return__ >= {self.rng.randint(-5, 5)}",
                f"__return__ != {self.rng.randint(-5, 5)}",
                "__return__ <= a + b + len(xs)",
                "__return__ >= min(a, b)",
                f"__return__ % 2 == {self.rng.randint(0, 1)}",
                "__return__ < 9",
            ]
        )
        body = "\n".join(self.lines)
        return (
            "from typing import List\n\n"
            "def f(a: int, b: int, xs: List[int]) -> int:\n"
            f'    """\n    pre: {pre}\n    post: {post}\n    """\n'
            f"{body}\n    return {result}\n"
        )


@dataclass
class Failure:
    source: str
    verdict: Verdict
    why: str


def _inputs(rng: random.Random, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        size = rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 9, 10])
        out.append(
            {
                "a": rng.randint(-6, 10),
                "b": rng.randint(-6, 6),
                "xs": [rng.randint(-4, 4) for _ in range(size)],
            }
        )
    return out


def _conditions(source: str) -> tuple[str, str]:
    pre = next(line.split("pre:", 1)[1].strip() for line in source.splitlines() if "pre:" in line)
    post = next(
        line.split("post:", 1)[1].strip() for line in source.splitlines() if "post:" in line
    )
    return pre, post


def _run(function: Any, args: dict[str, Any]) -> tuple[str, Any, int]:
    """("returns", value, 0) or ("raises", name, line in the program)."""
    try:
        return "returns", function(a=args["a"], b=args["b"], xs=list(args["xs"])), 0
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<program>"]
        return "raises", type(exc).__name__, frames[-1].lineno if frames else 0


def check(source: str, verdicts: list[Verdict], samples: int, seed: int) -> list[Failure]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<program>", "exec"), namespace)  # generated here, never reviewed code
    function = namespace["f"]
    pre, post = _conditions(source)
    failures: list[Failure] = []

    def allowed(args: dict[str, Any]) -> bool:
        try:
            return bool(eval(pre, {}, dict(args)))
        except Exception:
            return False

    def broken(args: dict[str, Any], value: Any) -> bool:
        return not eval(post, {}, {**args, "__return__": value})

    for v in verdicts:
        if v.status != "refuted":
            continue
        example = v.counterexample or {}
        args = example.get("args", {})
        if not allowed(args):
            failures.append(Failure(source, v, "the counterexample breaks the precondition"))
            continue
        outcome, value, line = _run(function, args)
        if "raises" in example:
            if outcome != "raises" or value != example["raises"]:
                failures.append(Failure(source, v, f"replayed: {outcome} {value!r}"))
        elif (
            outcome != "returns"
            or value != example.get("returns")
            or (v.kind == "post" and not broken(args, value))
        ):
            failures.append(Failure(source, v, f"replayed: {outcome} {value!r}"))
    proved_post = any(v.kind == "post" and v.status == "proved" for v in verdicts)
    # Where one line has several places that raise the same exception, only a line where
    # all of them are proved claims it never raises there.
    by_place: dict[tuple[int, str], list[Verdict]] = {}
    for v in verdicts:
        if v.kind in ("raise", "assert"):
            for name in _exceptions(v):
                by_place.setdefault((v.line, name), []).append(v)
    proved = {
        place: group[0]
        for place, group in by_place.items()
        if all(v.status == "proved" for v in group)
    }

    for args in _inputs(random.Random(seed), samples):
        if not allowed(args):
            continue
        outcome, value, line = _run(function, args)
        if outcome == "returns" and proved_post and broken(args, value):
            v = next(v for v in verdicts if v.kind == "post")
            failures.append(Failure(source, v, f"proved, but f({args}) returns {value!r}"))
            break
        if outcome == "raises" and (line, value) in proved:
            v = proved[(line, value)]
            failures.append(
                Failure(source, v, f"proved, but f({args}) raises {value} at line {line}")
            )
            break
    return failures


def _exceptions(v: Verdict) -> tuple[str, ...]:
    """What Python raises where the proved condition would fail."""
    text = v.condition
    if v.kind == "assert":
        return ("AssertionError",)
    if text == "division by zero":
        return ("ZeroDivisionError",)
    if "in range" in text:
        return ("IndexError",)
    if "key present" in text:
        return ("KeyError",)
    if "not None" in text:
        return ("TypeError", "AttributeError")
    if "non-empty" in text or "unpacking" in text:
        return ("ValueError", "IndexError")
    if text.startswith("raises "):
        return (text.split()[1],)
    return ()


def run(
    programs: int, seed: int, samples: int = 150, timeout: float = 1.0
) -> tuple[list[Failure], dict[str, int]]:
    rng = random.Random(seed)
    failures: list[Failure] = []
    counts = {"proved": 0, "refuted": 0, "unknown": 0}
    for index in range(programs):
        source = Program(rng).build()
        found = list(verify_source(source, "program.py", timeout))
        for v in found:
            counts[v.status] += 1
        failures += check(source, found, samples, seed * 1000 + index)
    return failures, counts


if __name__ == "__main__":  # pragma: no cover
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    found, totals = run(n, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    for failure in found:
        print(textwrap.indent(failure.source, "  "), failure.verdict, failure.why, sep="\n")
    print(totals, len(found), "failures")
