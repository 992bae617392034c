"""The fix engine wired into a review: the findings of a finished review get validated fixes.

The engine (L1) imports no analyzer, so the shadow-validation checks that need one are built
here and handed to it:
- `semgrep`: the rule pack re-run on every patched file (all candidates in one scan), with the
  fixed lines as the change: the finding's rule must be gone and no new rule may fire there;
- `ruff`: `ruff check` (pyflakes, bugbear, syntax errors) on the file before and after; nothing
  new may appear on the fixed lines;
- `detector`, `verify`: for their own findings, the analyzer re-run on the patched file must no
  longer raise the finding (re-scored, no longer refuting).
The project's tests are never run here: PR code is not executed by default.

The review's findings keep a `suggestion` only when a validated fix replaces exactly their
lines; the engine's run is listed in `analyzers` (a backend that is not configured or not
reachable says so there, and the rule fixes still go through).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.core.errors import EngineError, RedlineError
from bot.core.model import AnalyzerRun, AnalyzerStatus, DiffLine, FileDiff, Finding, Hunk, Review
from bot.core.model import Diff as DiffValue
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, Analyzer
from engine.backends.base import Backend
from engine.fixer import Options, propose
from engine.validate import Check, Shadow

VERSION = "1"
CHECK_BUDGET_S = 120.0
RUFF_SELECT = "E9,F,B,PLE"


def _marked(path: str, text: str, first: int, last: int) -> FileDiff:
    """`text` as a file whose lines first..last are the change (what analyzers look at)."""
    lines = text.splitlines()
    first = max(1, min(first, len(lines)))
    last = max(first, min(last, len(lines)))
    body = tuple(DiffLine("add", lines[n - 1], None, n) for n in range(first, last + 1))
    hunk = Hunk(0, first, 0, first, len(body), "", body)
    return FileDiff(path, "modified", (hunk,))


def _shadow_request(items: Sequence[Shadow], config: Config) -> AnalysisRequest:
    """Each shadow twice, as `fixN/...` (patched) and `origN/...` (as it was), fixed lines
    marked as the change in both."""
    files, texts = [], {}
    for i, s in enumerate(items):
        c = s.candidate
        after, before = f"fix{i}/{c.path}", f"orig{i}/{c.path}"
        files.append(_marked(after, s.after, s.start, max(s.end, s.start)))
        files.append(_marked(before, s.before, c.start, max(c.end, c.start)))
        texts[after], texts[before] = s.after, s.before
    return AnalysisRequest(DiffValue(tuple(files)), texts, config)


def _by_file(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.path, []).append(finding)
    return out


def analyzer_check(
    name: str, make: Callable[[], Analyzer | None], config: Config, own_only: bool
) -> Check:
    """Re-run an analyzer on the patched files: the fixed finding is gone (for its own
    findings) and nothing new is raised on the fixed lines (unless `own_only`)."""

    def run(items: Sequence[Shadow]) -> list[str | None]:
        relevant = [
            i for i, s in enumerate(items) if not own_only or s.candidate.finding.source == name
        ]
        verdicts: list[str | None] = [None] * len(items)
        if not relevant:
            return verdicts
        chosen = [items[i] for i in relevant]
        analyzer = make()
        if analyzer is None:  # not configured here: it cannot object to the fix
            return verdicts
        output = analyzer.analyze(
            _shadow_request(chosen, config), time.monotonic() + CHECK_BUDGET_S
        )
        found = _by_file(output.findings)
        for j, i in enumerate(relevant):
            s = items[i]
            c = s.candidate
            after = found.get(f"fix{j}/{c.path}", [])
            before = {f.rule for f in found.get(f"orig{j}/{c.path}", [])}
            if c.finding.source == name and any(f.rule == c.finding.rule for f in after):
                verdicts[i] = f"{name} still raises {c.finding.rule} on the fixed lines"
                continue
            new = sorted({f.rule for f in after} - before - {c.finding.rule})
            if new and not own_only:
                verdicts[i] = f"{name} raises {new[0]} on the fixed lines"
        return verdicts

    return Check(name, run)


def _ruff_diagnostics(root: Path, names: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
    from ruff.__main__ import find_ruff_bin

    proc = subprocess.run(
        [
            str(find_ruff_bin()),
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            RUFF_SELECT,
            "--output-format",
            "json",
            "--exit-zero",
            *names,
        ],
        cwd=root,
        capture_output=True,
        timeout=CHECK_BUDGET_S,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EngineError(f"ruff failed: {message[-1] if message else proc.returncode}")
    out: dict[str, list[tuple[int, str]]] = {}
    for item in json.loads(proc.stdout or b"[]"):
        path = str(Path(item["filename"]).resolve().relative_to(root.resolve()))
        out.setdefault(path, []).append((int(item["location"]["row"]), str(item["code"])))
    return out


def _ruff(items: Sequence[Shadow]) -> list[str | None]:
    chosen = [i for i, s in enumerate(items) if s.python]
    verdicts: list[str | None] = [None] * len(items)
    if not chosen:
        return verdicts
    with tempfile.TemporaryDirectory(prefix="redline-fix-ruff-") as tmp:
        root = Path(tmp)
        names = []
        for i in chosen:
            for side, text in (("after", items[i].after), ("before", items[i].before)):
                name = f"{side}{i}.py"
                (root / name).write_text(text, encoding="utf-8", errors="surrogatepass")
                names.append(name)
        found = _ruff_diagnostics(root, names)
    for i in chosen:
        s = items[i]
        c = s.candidate
        grow = (s.end - s.start) - (c.end - c.start)
        after = [
            code
            for row, code in found.get(f"after{i}.py", [])
            if s.start <= row <= max(s.end, s.start)
        ]
        # Diagnostics outside the region count too when the fix made them (a removed import).
        outside_after = sorted(
            (row - grow if row > s.end else row, code)
            for row, code in found.get(f"after{i}.py", [])
            if not s.start <= row <= max(s.end, s.start)
        )
        outside_before = sorted(
            (row, code)
            for row, code in found.get(f"before{i}.py", [])
            if not c.start <= row <= max(c.end, c.start)
        )
        before = [
            code
            for row, code in found.get(f"before{i}.py", [])
            if c.start <= row <= max(c.end, c.start)
        ]
        new = [code for code in after if code not in before]
        if new:
            verdicts[i] = f"ruff reports {new[0]} on the fixed lines"
        elif set(outside_after) - set(outside_before):
            code = sorted(set(outside_after) - set(outside_before))[0][1]
            verdicts[i] = f"ruff reports {code} elsewhere in the file after the fix"
    return verdicts


def default_checks(config: Config, findings: Sequence[Finding]) -> list[Check]:
    """The validation checks for these findings: semgrep and ruff always; the detector and
    verify only for their own findings (they load models / a solver)."""
    from bot.analyzers import FACTORIES

    checks = [analyzer_check("semgrep", FACTORIES["semgrep"], config, own_only=False)]
    checks.append(Check("ruff", _ruff))
    sources = {f.source for f in findings}
    for name in ("detector", "verify"):
        if name in sources and name in FACTORIES:
            checks.append(analyzer_check(name, FACTORIES[name], config, own_only=True))
    return checks


def _texts(request: AnalysisRequest) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for file in request.diff.files:
        # A file shown with replacement characters would be written back corrupted.
        out[file.path] = None if file.lossy else request.text(file.path)
    return out


def ready_backend(backend: Backend | None) -> tuple[Backend | None, str | None]:
    """The backend if it can serve, else None and why (recorded, never fatal)."""
    if backend is None:
        return None, None
    try:
        backend.check()
    except EngineError as exc:
        return None, str(exc)
    return backend, None


def attach_fixes(
    review: Review,
    request: AnalysisRequest,
    backend: Backend | None,
    options: Options | None = None,
    backend_error: str | None = None,
    checks: Sequence[Check] | None = None,
) -> Review:
    """`review` with validated fixes, dropped fixes and the engine's run."""
    started = time.perf_counter()
    findings = [f for f in review.findings if f.side == "new"]
    backend, unreachable = ready_backend(backend)
    backend_error = backend_error or unreachable
    try:
        result = propose(
            findings,
            _texts(request),
            backend,
            list(checks) if checks is not None else default_checks(request.config, findings),
            options or Options(),
        )
    except RedlineError as exc:  # the engine failing must not take the review with it
        run = AnalyzerRun("engine", VERSION, _ms(started), "error", f"{type(exc).__name__}: {exc}")
        return dataclasses.replace(
            review,
            findings=tuple(dataclasses.replace(f, suggestion=None) for f in review.findings),
            analyzers=tuple(sorted((*review.analyzers, run), key=lambda r: r.name)),
        )
    exact = {
        (fix.path, fix.start, fix.end, fix.rule): fix for fix in result.fixes if fix.suggestion
    }

    def suggestion(f: Finding) -> str | None:
        fix = exact.get((f.path, f.line, f.end_line, f"{f.source}:{f.rule}"))
        return fix.replacement if fix is not None else None

    detail = result.detail
    if backend is not None:
        detail += f"; backend {backend.name}"
    if backend_error:
        detail += f"; model fixes skipped: {backend_error}"
    if result.cuts:
        detail += f"; prompts cut: {', '.join(result.cuts)}"
    status: AnalyzerStatus = "ok" if not backend_error else "skipped"
    run = AnalyzerRun("engine", VERSION, _ms(started), status, detail)
    return dataclasses.replace(
        review,
        findings=tuple(dataclasses.replace(f, suggestion=suggestion(f)) for f in review.findings),
        fixes=result.fixes,
        fixes_dropped=result.dropped,
        analyzers=tuple(sorted((*review.analyzers, run), key=lambda r: r.name)),
    )


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
