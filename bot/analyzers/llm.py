"""The LLM tier: a code LLM reads the riskiest hunks, on demand, through the engine's inference
interface (`engine.backends.base`: a local model, vLLM, or any OpenAI-compatible server).

When it runs: only where a backend is configured (REDLINE_LLM_BACKEND), and then only for the
hunks a review asks for: every Python hunk at `--paranoia max` or with `deep` set (a
`/redline deep` comment), else the hunks whose detector risk falls in `[llm] band`. Off, it
sends nothing and costs nothing.

What it gets per hunk: the hunk, its enclosing function on both sides, the definitions in the
file of the names the hunk uses, and the new static diagnostics on the hunk. What it answers:
JSON, `{"findings": [{"line", "message", "severity", "confidence", "code"}]}`. Every answer is
validated: a finding whose line is not a changed line of the hunk, or whose `code` (the
snippet it is about) is not on that line, is dropped; an answer that is not that JSON is
dropped whole. The drops are counted in the analyzer's detail. A model's "error" is shown as
a warning: an LLM alone never fails the gate."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.errors import EngineError
from bot.core.model import FileDiff, Finding, Hunk, Severity
from bot.core.ports import AnalysisRequest, AnalyzerOutput

SCHEMA = {
    "type": "object",
    "required": ["findings"],
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["line", "message", "severity", "confidence", "code"],
                "properties": {
                    "line": {"type": "integer"},
                    "message": {"type": "string"},
                    "severity": {"enum": ["error", "warning", "note"]},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "code": {"type": "string"},
                },
            },
        }
    },
}
INSTRUCTIONS = """You review one change to a Python file for bugs it introduces. You see the
hunk (lines starting with + were added, - removed), the enclosing function before and after,
definitions of names it uses, and static-analysis diagnostics. Report only real defects that
this change introduces (wrong logic, off-by-one, wrong variable, missing check, broken error
handling), not style. Answer with JSON only, exactly this shape:
{"findings": [{"line": <new-side line number of an added line>, "message": "<what is wrong
and why>", "severity": "error" | "warning" | "note", "confidence": <0..1>, "code": "<the exact
code on that line the finding is about>"}]}
An empty list is the right answer for a correct change: {"findings": []}
"""
THRESHOLDS = {"low": 0.9, "default": 0.75, "high": 0.5, "max": 0.0}
_NAME = re.compile(r"[A-Za-z_]\w*")
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")


@dataclass
class Drops:
    """Answers and findings the validation refused, by reason (the detail reports them)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1

    def describe(self) -> str:
        return ", ".join(f"{n} {why}" for why, n in sorted(self.counts.items()))


def _definitions(lines: list[str], names: set[str], limit: int = 40) -> str:
    """The file's own `def`/`class` blocks (first lines of each) for names the hunk uses."""
    out: list[str] = []
    for index, line in enumerate(lines):
        match = _DEF.match(line)
        if match and match.group(1) in names:
            indent = len(line) - len(line.lstrip())
            block = [line]
            for follow in lines[index + 1 : index + 12]:
                if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                    break
                block.append(follow)
            out.append("\n".join(block))
        if sum(len(b.split("\n")) for b in out) >= limit:
            break
    return "\n\n".join(out)


def _hunk_text(hunk: Hunk) -> str:
    marks = {"add": "+", "del": "-", "ctx": " "}
    rows = []
    for line in hunk.lines:
        number = f"{line.new_no:>5}" if line.new_no is not None else "     "
        rows.append(f"{number} {marks[line.kind]}{line.text}")
    return "\n".join(rows)


def prompt_for(
    path: str, hunk: Hunk, new: list[str], old: list[str], diagnostics: list[str]
) -> str:
    """The hunk-specific part of the prompt (the instructions are the shared prefix)."""
    from review_models.detector.regions import enclosing_region

    touched = sorted(hunk.touched_new_lines) or [hunk.new_start]
    start, end = enclosing_region(new, touched[0], touched[-1]) if new else (1, 0)
    old_numbers = [ln.old_no for ln in hunk.lines if ln.kind == "del" and ln.old_no] or [
        max(1, hunk.old_start + 3)
    ]
    o_start, o_end = enclosing_region(old, min(old_numbers), max(old_numbers)) if old else (1, 0)
    names = {n for ln in hunk.lines if ln.kind != "ctx" for n in _NAME.findall(ln.text)}
    parts = [
        f"File: {path}",
        f"Hunk:\n{_hunk_text(hunk)}",
        "Enclosing function after the change:\n" + "\n".join(new[start - 1 : end][:80]),
        "Enclosing function before the change:\n" + "\n".join(old[o_start - 1 : o_end][:80]),
    ]
    definitions = _definitions(new, names)
    if definitions:
        parts.append(f"Definitions used:\n{definitions}")
    parts.append("Static analysis:\n" + ("\n".join(diagnostics) if diagnostics else "(none)"))
    return "\n\n".join(parts) + "\n\nJSON answer:\n"


def validate(text: str, path: str, hunk: Hunk, drops: Drops, source: str = "llm") -> list[Finding]:
    """The answer's findings that hold: JSON of the schema, on a changed line, about code that
    is on that line. Everything else is dropped and counted."""
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start : end + 1]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        drops.add("answers not valid JSON")
        return []
    added = {ln.new_no: ln.text for ln in hunk.lines if ln.kind == "add" and ln.new_no}
    out = []
    for item in data["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("line"), int):
            drops.add("findings malformed")
            continue
        line, code = item["line"], str(item.get("code", "")).strip()
        message = str(item.get("message", "")).strip()
        severity = item.get("severity")
        confidence = item.get("confidence")
        if line not in added:
            drops.add("findings on lines outside the diff")
            continue
        if not code or " ".join(code.split()) not in " ".join(added[line].split()):
            drops.add("findings naming code that is not there")
            continue
        if (
            not message
            or severity not in ("error", "warning", "note")
            or not isinstance(confidence, int | float)
            or not 0 <= confidence <= 1
        ):
            drops.add("findings malformed")
            continue
        shown: Severity = "note" if severity == "note" else "warning"
        out.append(
            Finding(
                path,
                line,
                line,
                shown,
                source,
                "llm-review",
                f"{message} (LLM review)",
                float(confidence),
            )
        )
    return out


class LlmAnalyzer:
    name = "llm"
    default_budget = 180.0
    thresholds: Mapping[str, float] = THRESHOLDS

    def __init__(self, backend: object, max_tokens: int = 400) -> None:
        from engine.backends.base import Backend

        assert isinstance(backend, Backend)
        self.backend = backend
        self.max_tokens = max_tokens
        self.version = f"{backend.name}:{backend.model or '-'}"

    def _chosen(self, request: AnalysisRequest) -> list[tuple[FileDiff, Hunk, float]]:
        """The hunks this review asks the LLM about, riskiest first."""
        from bot.analyzers.detector import _sides
        from review_models.detector.edits import edit_of
        from review_models.detector.infer import shared_model

        config = request.config
        model = shared_model()
        chosen = []
        for file in request.diff.files:
            if file.language != "python" or file.status in ("deleted", "binary"):
                continue
            everything = config.llm_deep or config.paranoia_for(file.path) == "max"
            if not everything and config.llm_band is None:
                continue
            new, old = _sides(request, file)
            for hunk in file.hunks:
                if not hunk.added:
                    continue
                risk = model.score(edit_of(file.path, hunk, new, old)).probability
                band = config.llm_band
                if everything or (band is not None and band[0] <= risk <= band[1]):
                    chosen.append((file, hunk, risk))
        chosen.sort(key=lambda item: -item[2])
        return chosen[: config.llm_max_hunks]

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        from bot.analyzers.detector import _sides
        from engine.backends.base import Request

        chosen = self._chosen(request)
        if not chosen:
            return AnalyzerOutput(detail="no hunk asked for (paranoia, band or deep): nothing sent")
        static = self._static(request, deadline)
        drops = Drops()
        findings: list[Finding] = []
        failed = 0
        for file, hunk, _ in chosen:
            remaining = deadline - time.monotonic()
            if remaining < 2:
                drops.add("hunks not sent (budget spent)")
                continue
            new, old = _sides(request, file)
            lines = set(hunk.added_line_numbers)
            notes = [m for (p, n), m in static if p == file.path and n in lines]
            suffix = prompt_for(file.path, hunk, new, old, notes)
            try:
                answer = self.backend.complete(
                    Request(
                        INSTRUCTIONS,
                        suffix,
                        max_tokens=self.max_tokens,
                        json_schema=json.dumps(SCHEMA),
                        timeout_s=min(120.0, remaining - 1),
                    )
                )
            except EngineError:
                failed += 1
                continue
            findings.extend(validate(answer.text, file.path, hunk, drops))
        detail = f"{len(chosen)} hunk(s) sent to {self.version}, {len(findings)} finding(s)"
        if failed:
            detail += f", {failed} request(s) failed"
        if drops.counts:
            detail += f"; dropped: {drops.describe()}"
        return AnalyzerOutput(findings=tuple(findings), detail=detail)

    def _static(
        self, request: AnalysisRequest, deadline: float
    ) -> list[tuple[tuple[str, int], str]]:
        """ruff's new diagnostics on the changed lines, for the prompt (fast; no type checker)."""
        from bot.analyzers.static import StaticAnalyzer

        try:
            output = StaticAnalyzer(type_checker=None).analyze(
                request, min(deadline, time.monotonic() + 20)
            )
        except Exception:  # the prompt loses a hint; the review goes on
            return []
        return [((f.path, f.line), f.message) for f in output.findings]
