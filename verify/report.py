"""What a verdict says to the reviewer: a refutation as the concrete call and what it returns
or raises, a proof with what it covers, and why a condition is unknown, in words."""

from __future__ import annotations

from typing import Any

from verify.counterexamples import literal
from verify.state import CALL_DEPTH, LOOP_BOUND

_KIND = {
    "pre": "the precondition",
    "post": "the postcondition",
    "assert": "the assertion",
    "invariant": "the invariant",
    "raise": "",
}


def call_text(function: str, example: dict[str, Any]) -> str:
    """`name(a=1, b=[2])`, the object first for a method: `<Account balance=5>.withdraw(...)`."""
    args = dict(example.get("args") or {})
    name = function.rsplit(".", 1)[-1]
    owner = ""
    if name == "__init__" and "." in function:
        args.pop("self", None)
        cls = function.rsplit(".", 2)[-2] if "." in function else name
        return f"{cls}({', '.join(f'{k}={literal(v)}' for k, v in args.items())})"
    if "self" in args:
        fields = args.pop("self")
        cls = function.rsplit(".", 2)[-2] if "." in function else "object"
        shown = (
            " ".join(f"{k}={literal(v)}" for k, v in fields.items())
            if isinstance(fields, dict)
            else literal(fields)
        )
        owner = f"<{cls}{' ' + shown if shown else ''}>."
    shown_args = ", ".join(f"{k}={literal(v)}" for k, v in args.items())
    return f"{owner}{name}({shown_args})"


def refutation(
    function: str, kind: str, condition: str, example: dict[str, Any], assumptions: list[str]
) -> str:
    call = f"`{call_text(function, example)}`"
    if example.get("aliases"):
        call += f" (with {', '.join(example['aliases'])})"

    if "raises" in example:
        what = f"{call} raises {example['raises']}"
        broken = (
            f" ({condition})" if kind == "raise" and not condition.startswith("raises ") else ""
        )
        if kind in ("assert", "post", "invariant", "pre"):
            broken = f", so {_KIND[kind]} `{condition}` fails"
        text = what + broken
    elif function.endswith("__init__") and "made" in example:
        made = example["made"]
        shown = (
            " ".join(f"{k}={literal(v)}" for k, v in made.items()) if isinstance(made, dict) else ""
        )
        broken_kind = _KIND.get(kind) or "the condition"
        text = f"{call} makes an object ({shown}) that breaks {broken_kind} `{condition}`"
    else:
        returned = literal(example.get("returns"))
        broken_kind = _KIND.get(kind) or "the condition"
        text = f"{call} returns `{returned}`, which breaks {broken_kind} `{condition}`"
    if assumptions:
        assumed = ", ".join(assumptions[:3])
        text += f" (if the code it calls that is not modelled returns normally: {assumed})"
    return text


def proof(loops: bool, reals: bool, unmodelled: list[str]) -> str:
    text = "proved for all inputs"
    details = []
    if loops:
        details.append(
            f"every loop ends within {LOOP_BOUND} iterations and every call within"
            f" {CALL_DEPTH} nested calls on the inputs the precondition allows"
        )
    if reals:
        details.append("floats modelled as reals")
    if unmodelled:
        details.append(
            f"whatever {', '.join(unmodelled[:3])} {'do' if len(unmodelled) > 1 else 'does'}"
        )
    return text + (f" ({'; '.join(details)})" if details else "")


def bounded(reason: str) -> str:
    """The "proved up to N" statement: holds on every path within the bound."""
    return f"bound reached ({reason}): holds on every path within the bound, not proved beyond it"


def unknown_unconfirmed(unmodelled: list[str]) -> str:
    if unmodelled:
        verb = "do" if len(unmodelled) > 1 else "does"
        return (
            "a counterexample was found but not confirmed: it may depend on what"
            f" {', '.join(unmodelled[:3])} {verb}"
        )
    return "a counterexample was found but not confirmed"


def not_proved(unmodelled: list[str]) -> str:
    names = ", ".join(unmodelled[:3])
    return f"not proved: it depends on {names}, which the translator does not model"
