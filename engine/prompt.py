"""Fix prompts, laid out for prefix caching and fitted to a token budget by priority.

Layout (the same text for the small model trained here and for a real code LLM):

    prefix  instructions, repository rules, the file (the same for every finding of a file,
            so a backend with prefix caching computes it once per file)
    suffix  the finding, the region to rewrite, the answer cue
    answer  the rewritten region, then END_MARK

When everything does not fit, parts are cut in priority order and the cuts are stated: first
the file far from the region (a window around the region stays; the prefix is then no longer
shared between findings), then the repository rules, then the window itself down to the region.
The instructions, the finding and the region are never cut: a region too large for the budget
is an EngineError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.errors import EngineError

END_MARK = "<<<END>>>"
INSTRUCTIONS = (
    "You fix one finding in a source file. Rewrite the region so that the finding is resolved "
    "and change nothing else: keep its indentation and every line that is not at fault. Answer "
    f"with the rewritten region only, followed by the line {END_MARK}\n"
)
MIN_WINDOW = 6  # lines kept on each side of the region before the rules are cut


@dataclass(frozen=True, slots=True)
class FixPrompt:
    """What a fix prompt is made of. Lines are 1-based and inclusive; `region` is the text of
    lines start..end of `text` (each line with its newline)."""

    path: str
    text: str
    start: int
    end: int
    message: str
    rule: str = ""
    rules: tuple[str, ...] = ()  # repository rules for fixes (from the base's config)

    @property
    def region(self) -> str:
        return "".join(self.text.splitlines(keepends=True)[self.start - 1 : self.end])


@dataclass(frozen=True, slots=True)
class Rendered:
    prefix: str
    suffix: str
    tokens: int
    cuts: tuple[str, ...] = ()  # what was left out, in words
    shared_prefix: bool = True  # the prefix is the whole file's (cacheable across findings)


def _rules_block(rules: Sequence[str]) -> str:
    if not rules:
        return ""
    return "### Repository rules\n" + "".join(f"- {r}\n" for r in rules)


def _file_block(path: str, lines: Sequence[str], first: int, last: int) -> str:
    """Lines first..last (1-based) with a marker for each cut stretch."""
    out = [f"### File {path}\n"]
    if first > 1:
        out.append(f"# ... lines 1-{first - 1} cut ...\n")
    out.extend(lines[first - 1 : last])
    if last < len(lines):
        if out[-1] and not out[-1].endswith("\n"):
            out.append("\n")
        out.append(f"# ... lines {last + 1}-{len(lines)} cut ...\n")
    text = "".join(out)
    return text if text.endswith("\n") else text + "\n"


def suffix_for(task: FixPrompt) -> str:
    span = f"line {task.start}" if task.start == task.end else f"lines {task.start}-{task.end}"
    rule = f" [{task.rule}]" if task.rule else ""
    region = task.region
    if region and not region.endswith("\n"):
        region += "\n"
    return (
        f"### Finding at {span}{rule}\n{task.message.strip()}\n"
        f"### Region\n{region}{END_MARK}\n### Rewritten region\n"
    )


def render(task: FixPrompt, budget: int, count: Callable[[str], int]) -> Rendered:
    """The prompt for `task` in at most `budget` tokens (as `count` measures them)."""
    lines = task.text.splitlines(keepends=True)
    if not 1 <= task.start <= task.end <= max(len(lines), 1):
        raise EngineError(f"region {task.start}-{task.end} is outside {task.path}")
    suffix = suffix_for(task)
    rules = _rules_block(task.rules)
    whole = INSTRUCTIONS + rules + _file_block(task.path, lines, 1, len(lines))
    # No tokenizer packs 16 bytes a token on average: a longer file cannot fit, skip counting.
    if len(whole.encode("utf-8", "surrogatepass")) <= 16 * budget:
        total = count(whole) + count(suffix)
        if total <= budget:
            return Rendered(whole, suffix, total)
    fixed = count(INSTRUCTIONS) + count(suffix) + count(f"### File {task.path}\n") + 24
    if fixed > budget:
        raise EngineError(
            f"the region of {task.path}:{task.start}-{task.end} does not fit the "
            f"{budget}-token budget"
        )
    cuts = ["the file far from the region"]
    keep_rules = (
        bool(rules)
        and fixed + count(rules) + _window_cost(lines, task, MIN_WINDOW, count) <= budget
    )
    if rules and not keep_rules:
        cuts.append("the repository rules")
    head = INSTRUCTIONS + (rules if keep_rules else "")
    room = budget - count(head) - count(suffix)
    costs = [count(line) for line in lines]  # per line: a slight over-estimate, summed fast
    radius = _widest(costs, task, room - count(f"### File {task.path}\n") - 24)
    while True:
        first, last = max(1, task.start - radius), min(len(lines), task.end + radius)
        prefix = head + _file_block(task.path, lines, first, last)
        tokens = count(prefix) + count(suffix)
        if tokens <= budget or radius == 0:
            break
        radius -= 1
    if radius < MIN_WINDOW:
        cuts.append(f"the surrounding code beyond {radius} lines of the region")
    return Rendered(prefix, suffix, tokens, tuple(cuts), False)


def _window_cost(
    lines: Sequence[str], task: FixPrompt, radius: int, count: Callable[[str], int]
) -> int:
    first, last = max(1, task.start - radius), min(len(lines), task.end + radius)
    return count(_file_block(task.path, lines, first, last))


def _widest(costs: Sequence[int], task: FixPrompt, room: int) -> int:
    """The largest radius (lines each side of the region) whose window fits `room` tokens."""
    prefix = [0]
    for cost in costs:
        prefix.append(prefix[-1] + cost)
    low, high = 0, max(task.start, len(costs) - task.end) + 1
    while low < high:
        mid = (low + high + 1) // 2
        first, last = max(1, task.start - mid), min(len(costs), task.end + mid)
        if prefix[last] - prefix[first - 1] <= room:
            low = mid
        else:
            high = mid - 1
    return low


def shared_prefix(
    path: str, text: str, rules: Sequence[str], budget: int, count: Callable[[str], int]
) -> str | None:
    """The prefix every finding of this file will share (the whole file), or None when the
    file is too large for it and each finding gets its own window."""
    lines = text.splitlines(keepends=True)
    prefix = INSTRUCTIONS + _rules_block(rules) + _file_block(path, lines, 1, len(lines))
    if len(prefix.encode("utf-8", "surrogatepass")) > 16 * budget or count(prefix) > budget:
        return None
    return prefix


def answer_for(region: str) -> str:
    """The answer text that rewrites the region into `region` (training targets)."""
    if region and not region.endswith("\n"):
        region += "\n"
    return region + END_MARK
