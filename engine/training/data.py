"""Training examples for the fix model: a buggy file, its fixed version and the finding's
message become (prompt, answer) token sequences, rendered by the same prompt code inference
uses. Where the pairs come from (the bug injector, real fixes turned around, the rule pack) is
the training command's business: engine imports no model or analyzer package."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from engine.model.tokenizer import Tokenizer
from engine.prompt import FixPrompt, answer_for, render
from engine.region import region_for

# Messages in the words the analyzers use, by kind of bug, for injected pairs.
FAMILY_MESSAGES = {
    "wrong-identifier": "`{tok}` looks like the wrong variable here.",
    "wrong-operand": "`{tok}` looks like the wrong operand here.",
    "wrong-function": "`{tok}` looks like the wrong function to call here.",
    "wrong-attribute": "`.{tok}` looks like the wrong attribute here.",
    "wrong-literal": "`{tok}` looks off.",
    "wrong-boolean": "`{tok}` looks inverted.",
    "wrong-operator": "`{tok}` looks like the wrong operator.",
    "wrong-caller": "the method is called on `{tok}`; it looks like the wrong object.",
    "wrong-keyword": "the keyword `{tok}` looks wrong.",
    "wrong-comparison": "`{tok}` looks like the wrong comparison.",
    "missing-argument": "this call looks like it is missing an argument.",
    "extra-argument": "this call looks like it has one argument too many.",
    "missing-wrapping-call": "`{tok}` may need a wrapping call here.",
    "condition-clause-dropped": "this condition looks incomplete: a clause may be missing.",
    "condition-clause-added": "this condition has a clause that may not belong.",
    "missing-method-call": "`{tok}` may be missing a method call.",
    "negation": "this condition may be inverted (a `not` added or dropped).",
    "swapped-arguments": "these arguments may be in the wrong order.",
}
GENERIC_MESSAGE = "This change looks like it introduced a bug on this line."


@dataclass(frozen=True, slots=True)
class Pair:
    """A buggy file and its fix; `line`/`end_line` are the finding's lines in `buggy`."""

    path: str
    buggy: str
    fixed: str
    line: int
    end_line: int
    message: str
    rule: str = ""
    origin: str = ""  # injected | real | rule


@dataclass(frozen=True, slots=True)
class Example:
    prompt: list[int]
    answer: list[int]
    origin: str


def family_message(family: str, token: str) -> str:
    text = FAMILY_MESSAGES.get(family, GENERIC_MESSAGE).format(tok=token.strip()[:40])
    return text[0].upper() + text[1:]


def task_for(pair: Pair) -> tuple[FixPrompt, str] | None:
    """The prompt task and the fixed region, or None when the fix reaches outside the region."""
    start, end = region_for(pair.buggy, pair.line, pair.end_line, pair.path.endswith(".py"))
    old = pair.buggy.splitlines(keepends=True)
    new = pair.fixed.splitlines(keepends=True)
    grow = len(new) - len(old)
    if old[: start - 1] != new[: start - 1] or old[end:] != new[end + grow :]:
        return None
    fixed_region = "".join(new[start - 1 : end + grow])
    task = FixPrompt(pair.path, pair.buggy, start, end, pair.message, pair.rule)
    return task, fixed_region


def encode(pair: Pair, tokenizer: Tokenizer, context: int, max_answer: int) -> Example | None:
    made = task_for(pair)
    if made is None:
        return None
    task, fixed_region = made
    answer = tokenizer.encode(answer_for(fixed_region))
    if len(answer) > max_answer:
        return None
    try:
        rendered = render(task, context - len(answer) - 1, lambda s: len(tokenizer.encode(s)))
    except Exception:  # a region too large for the budget: not a usable example
        return None
    prompt = tokenizer.encode(rendered.prefix + rendered.suffix)
    if len(prompt) + len(answer) > context:
        return None
    return Example(prompt, answer, pair.origin)


def examples(
    pairs: Iterable[Pair], tokenizer: Tokenizer, context: int, max_answer: int
) -> Iterator[Example]:
    for pair in pairs:
        example = encode(pair, tokenizer, context, max_answer)
        if example is not None:
            yield example


def shuffled(items: list[Example], seed: int) -> list[Example]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out
