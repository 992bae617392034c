"""From findings to validated fixes.

For each finding: a deterministic fix where one is known (a semgrep rule's `fix:`, the
detector's token repair, both arriving as the finding's suggestion), otherwise the model
through an inference backend (the region rewritten, the original region as the draft). Every
candidate goes through shadow validation (engine.validate); what survives becomes a frozen
`Fix`, everything else a `DroppedFix` with its reason. Nothing here reads files or starts
processes: texts, the backend and the checks are given.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.errors import EngineError
from bot.core.model import DroppedFix, Finding, Fix, FixOrigin
from engine.backends.base import Backend, Completion, Cost, Request
from engine.prompt import END_MARK, FixPrompt, render
from engine.region import region_for, trim
from engine.validate import Candidate, Check, Outcome, Shadow, run_checks, shadow

MAX_ANSWER_TOKENS = 768


@dataclass(frozen=True)
class Options:
    rules: tuple[str, ...] = ()  # repository rules for fixes, put in every prompt's prefix
    use_model: bool = True  # ask the backend where no rule knows the fix
    max_answer_tokens: int = MAX_ANSWER_TOKENS
    timeout_s: float = 60.0


@dataclass(frozen=True)
class Result:
    fixes: tuple[Fix, ...] = ()
    dropped: tuple[DroppedFix, ...] = ()
    cost: Cost = field(default_factory=Cost)
    cuts: tuple[str, ...] = ()  # what the prompt renderer left out, over all prompts
    detail: str = ""


def _drop(finding: Finding, origin: str, reason: str) -> DroppedFix:
    return DroppedFix(
        finding.path, finding.line, f"{finding.source}:{finding.rule}", origin, reason
    )


def _lines(text: str, start: int, end: int) -> str:
    return "".join(text.splitlines(keepends=True)[start - 1 : end])


def fit_to_finding(
    finding: Finding, start: int, end: int, replacement: str, text: str
) -> tuple[int, int, str]:
    """A change inside the finding's lines, widened to exactly those lines (so it can be a
    one-click suggestion); other changes stay as they are."""
    lo, hi = finding.line, finding.end_line
    if lo <= start and end <= hi and start - 1 <= hi:
        lines = text.splitlines(keepends=True)
        head = "".join(lines[lo - 1 : start - 1])
        tail = "".join(lines[end:hi])
        if replacement and not replacement.endswith("\n"):
            replacement += "\n"
        return lo, hi, head + replacement + tail
    return start, end, replacement


def rule_candidate(finding: Finding, text: str) -> Candidate | None:
    """The finding's own suggestion (a rule's `fix:` or a detector repair) as a candidate."""
    if finding.suggestion is None:
        return None
    origin: FixOrigin = "detector" if finding.source == "detector" else "rule"
    original = _lines(text, finding.line, finding.end_line)
    return Candidate(
        finding,
        finding.line,
        finding.end_line,
        finding.suggestion,
        original,
        origin,
        (finding.line, finding.end_line),
    )


def prompt_for(finding: Finding, text: str, python: bool, options: Options) -> FixPrompt:
    start, end = region_for(text, finding.line, finding.end_line, python)
    return FixPrompt(
        finding.path,
        text,
        start,
        end,
        finding.message,
        f"{finding.source}:{finding.rule}",
        options.rules,
    )


def request_for(
    task: FixPrompt, backend: Backend, options: Options
) -> tuple[Request, tuple[str, ...]]:
    region_tokens = backend.count_tokens(task.region)
    answer = min(options.max_answer_tokens, region_tokens + region_tokens // 2 + 32)
    rendered = render(task, backend.context_window - answer, backend.count_tokens)
    return (
        Request(
            rendered.prefix,
            rendered.suffix,
            draft=task.region,
            stop=(END_MARK,),
            max_tokens=answer,
            timeout_s=options.timeout_s,
        ),
        rendered.cuts,
    )


def _runs_past(task: FixPrompt, answer: str) -> bool:
    """The answer ends with the file's lines after the region: the model wrote past it."""
    following = task.text.splitlines()[task.end : task.end + 8]
    got = answer.splitlines()
    region = task.region.splitlines()
    for k in range(len(following), 0, -1):
        tail = following[:k]
        if any(line.strip() for line in tail) and got[-k:] == tail and region[-k:] != tail:
            return True
    return False


def model_candidate(finding: Finding, task: FixPrompt, completion: Completion) -> Candidate | str:
    """The candidate in a model's answer, or the reason there is none."""
    if completion.finish != "stop":
        return f"the model's answer did not end within {completion.cost.generated_tokens} tokens"
    answer = completion.text
    if not answer.strip():
        return "the model returned nothing"
    if "\x00" in answer or "\ufffd" in answer:
        return "the model returned garbage (bytes that are not text)"
    if answer.endswith("\n\n") and not task.region.endswith("\n\n"):
        answer = answer.rstrip("\n") + "\n"
    if _runs_past(task, answer):
        return "the fix touches lines outside its region (it rewrote the lines after it)"
    change = trim(task.region, answer, task.start)
    if change is None:
        return "the model changed nothing"
    start, end, replacement = fit_to_finding(
        finding, change.start, change.end, change.replacement, task.text
    )
    original = _lines(task.text, start, end)
    return Candidate(
        finding,
        start,
        end,
        replacement,
        original,
        "model",
        (task.start, task.end),
        completion.cost.generated_tokens,
        round(completion.cost.wall_s * 1000),
    )


def warm(backend: Backend, texts: Mapping[str, str | None], options: Options | None = None) -> int:
    """Fill the backend's prefix cache with the shared prefix of every changed file, ahead of
    the findings (called when a pull request opens). Returns how many prefixes were sent."""
    from engine.prompt import shared_prefix

    options = options or Options()
    budget = backend.context_window - options.max_answer_tokens // 2
    sent = 0
    for path, text in texts.items():
        if text is None:
            continue
        prefix = shared_prefix(path, text, options.rules, budget, backend.count_tokens)
        if prefix is not None:
            backend.warm(prefix)
            sent += 1
    return sent


def _ask(
    backend: Backend, asks: list[tuple[Finding, FixPrompt, Request]]
) -> list[Completion | EngineError]:
    return backend.complete_all([request for _, _, request in asks])


@dataclass
class _Gathered:
    """What `propose` collects on its way, in order: a finding dropped at any stage keeps its
    place among the dropped, so the review lists them as they arose."""

    dropped: list[DroppedFix] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    asks: list[tuple[Finding, FixPrompt, Request]] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)


def _is_python(python: Mapping[str, bool] | None, path: str) -> bool:
    return (python or {}).get(path, path.endswith(".py"))


def _gather(
    gathered: _Gathered,
    finding: Finding,
    text: str | None,
    is_python: bool,
    backend: Backend | None,
    options: Options,
) -> None:
    """A rule's candidate for `finding`, else a request to the model, else why there is none."""
    if text is None:
        gathered.dropped.append(
            _drop(finding, "-", "the file is binary, not UTF-8 or could not be read")
        )
        return
    if finding.side != "new" or not 1 <= finding.line <= finding.end_line <= len(text.splitlines()):
        gathered.dropped.append(
            _drop(finding, "-", "the finding's lines are not in the file (it moved on)")
        )
        return
    rule = rule_candidate(finding, text)
    if rule is not None:
        gathered.candidates.append(rule)
        return
    if backend is None or not options.use_model:
        gathered.dropped.append(
            _drop(finding, "model", "no rule knows the fix and no model is configured")
        )
        return
    task = prompt_for(finding, text, is_python, options)
    try:
        request, made_cuts = request_for(task, backend, options)
    except EngineError as exc:
        gathered.dropped.append(_drop(finding, "model", str(exc)))
        return
    gathered.cuts.extend(made_cuts)
    gathered.asks.append((finding, task, request))


def _answers(gathered: _Gathered, backend: Backend) -> Cost:
    """The model's candidates for the gathered requests, asked all at once; their cost."""
    cost = Cost(speculation="plain")
    for (finding, task, _), answer in zip(gathered.asks, _ask(backend, gathered.asks), strict=True):
        if isinstance(answer, EngineError):
            gathered.dropped.append(
                _drop(finding, "model", f"the {backend.name} backend failed: {answer}")
            )
            continue
        # The first answer's cost is taken whole: adding it to the empty plain cost would
        # relabel a speculative backend's mode as mixed ("server").
        cost = (
            answer.cost
            if cost.generated_tokens == 0 and cost.forward_passes == 0
            else cost + answer.cost
        )
        made = model_candidate(finding, task, answer)
        if isinstance(made, str):
            gathered.dropped.append(_drop(finding, "model", made))
        else:
            gathered.candidates.append(made)
    return cost


def _shadows(
    gathered: _Gathered, texts: Mapping[str, str | None], python: Mapping[str, bool] | None
) -> list[Shadow]:
    shadows = []
    for candidate in gathered.candidates:
        text = texts[candidate.path]
        assert text is not None
        try:
            shadows.append(shadow(candidate, text, _is_python(python, candidate.path)))
        except EngineError as exc:
            gathered.dropped.append(_drop(candidate.finding, candidate.origin, str(exc)))
    return shadows


def _fix(outcome: Outcome) -> Fix:
    c = outcome.shadow.candidate
    return Fix(
        c.path,
        c.start,
        c.end,
        c.replacement,
        c.original,
        c.finding.fingerprint,
        f"{c.finding.source}:{c.finding.rule}",
        c.origin,
        outcome.passed,
        (c.start, c.end) == (c.finding.line, c.finding.end_line),
        c.tokens,
        c.ms,
    )


def propose(
    findings: Sequence[Finding],
    texts: Mapping[str, str | None],
    backend: Backend | None,
    checks: Sequence[Check],
    options: Options | None = None,
    python: Mapping[str, bool] | None = None,
) -> Result:
    """Validated fixes for `findings` (texts are the files' post-images; None: unreadable)."""
    started = time.perf_counter()
    options = options or Options()
    gathered = _Gathered()
    for finding in findings:
        text = texts.get(finding.path)
        is_python = _is_python(python, finding.path)
        _gather(gathered, finding, text, is_python, backend, options)
    cost = Cost(speculation="plain")
    if gathered.asks and backend is not None:
        cost = _answers(gathered, backend)
    fixes: list[Fix] = []
    for outcome in run_checks(_shadows(gathered, texts, python), checks):
        if outcome.reason is not None:
            c = outcome.shadow.candidate
            gathered.dropped.append(_drop(c.finding, c.origin, outcome.reason))
            continue
        fixes.append(_fix(outcome))
    ms = round((time.perf_counter() - started) * 1000)
    detail = f"{len(fixes)} fixes validated, {len(gathered.dropped)} dropped"
    if backend is not None and gathered.asks:
        detail += f"; {len(gathered.asks)} asked of {backend.name}"
    return Result(
        tuple(fixes),
        tuple(gathered.dropped),
        cost,
        tuple(dict.fromkeys(gathered.cuts)),
        f"{detail} ({ms} ms)",
    )
