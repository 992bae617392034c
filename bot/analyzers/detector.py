"""The bug detector as an analyzer: risk on every changed Python hunk, and findings (with a
repair where the model names one) at the configured paranoia."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.model import Finding, HunkScore
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from engine.suggest import token_suggestion
from review_models.mechanical import formatting_only

_MESSAGES = {
    "wrong-identifier": "`{tok}` looks like the wrong variable here{fix}.",
    "wrong-operand": "`{tok}` looks like the wrong operand here{fix}.",
    "wrong-function": "`{tok}` looks like the wrong function to call here{fix}.",
    "wrong-attribute": "`.{tok}` looks like the wrong attribute here{fix}.",
    "wrong-literal": "`{tok}` looks off{fix}.",
    "wrong-boolean": "`{tok}` looks inverted{fix}.",
    "wrong-operator": "`{tok}` looks like the wrong operator{fix}.",
    "wrong-caller": "the method is called on `{tok}`; it looks like the wrong object{fix}.",
    "wrong-keyword": "the keyword `{tok}` looks wrong{fix}.",
    "wrong-comparison": "`{tok}` looks like the wrong comparison{fix}.",
    "missing-argument": "this call looks like it is missing an argument.",
    "extra-argument": "this call looks like it has one argument too many.",
    "missing-wrapping-call": "`{tok}` may need a wrapping call here (such as `len(...)` or "
    "`int(...)`).",
    "condition-clause-dropped": "this condition looks incomplete: a clause may be missing.",
    "condition-clause-added": "this condition has a clause that may not belong.",
    "missing-method-call": "`{tok}` may be missing a method call (such as `.strip()`).",
    "negation": "this condition may be inverted (a `not` added or dropped).",
    "swapped-arguments": "these arguments may be in the wrong order.",
}


def _message(family: str, token: str, fix: str | None, risk: float, line_share: float) -> str:
    if (
        fix is not None
        and family == "wrong-comparison"
        and {token, fix} in ({"<", "<="}, {">", ">="})
    ):
        body = f"`{token}` here looks like an off-by-one; did you mean `{fix}`?"
    elif fix is not None and family == "wrong-literal" and token.isdigit() and fix.isdigit():
        body = f"`{token}` looks off by one; did you mean `{fix}`?"
    else:
        template = _MESSAGES.get(family, "this line looks like it holds a bug.")
        hint = f"; did you mean `{fix}`" if fix is not None else ""
        body = template.format(tok=token, fix=hint)
        body = body[0].upper() + body[1:]
        if hint:
            body = body.rstrip(".") + "?"
    return (
        f"{body} (bug detector: risk {risk:.2f} that this hunk holds a bug, "
        f"{line_share:.0%} of it on this line)"
    )


class DetectorAnalyzer:
    name = "detector"
    default_budget = 60.0

    def __init__(self) -> None:
        from review_models.detector.infer import shared_model

        self._model = shared_model()
        self.version = self._model.version
        self.thresholds: Mapping[str, float] = self._model.thresholds

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        from review_models.detector.windows import windows_for

        jobs: list[tuple[str, int, Any]] = []
        sources: dict[str, str] = {}
        risk: dict[tuple[str, int], float] = {}
        for file in request.diff.files:
            if file.language != "python" or file.status == "deleted":
                continue
            text = request.text(file.path)
            lines = (text if text is not None else file.partial_text()).split("\n")
            sources[file.path] = "\n".join(lines)
            for hunk in file.hunks:
                if formatting_only(
                    [line.text for line in hunk.removed], [line.text for line in hunk.added]
                ):
                    risk[(file.path, hunk.index)] = 0.0  # a reformat cannot add a token bug
                    continue
                for window in windows_for(lines, hunk.touched_new_lines):
                    jobs.append((file.path, hunk.index, window))
        results = self._model.score([job[2] for job in jobs])
        best: dict[tuple[str, int], tuple[float, Any, Any]] = {}
        for (path, hunk_index, window), result in zip(jobs, results, strict=True):
            key = (path, hunk_index)
            risk[key] = max(risk.get(key, 0.0), result.probability)
            if key not in best or result.probability > best[key][0]:
                best[key] = (result.probability, window, result)
        findings = []
        for (path, _), (probability, window, result) in best.items():
            if not result.line_probs:
                continue
            token = window.tokens[result.top_token]
            line = token.line
            share = result.line_probs.get(line, 0.0)
            fix_text = None
            suggestion = None
            repair = result.repair
            if repair is not None and repair.confidence >= 0.4 and token.line == line:
                last = window.tokens[repair.token + repair.width - 1]
                suggestion = token_suggestion(
                    sources[path], line, token.col, last.end_col, repair.text
                )
                fix_text = repair.text if suggestion is not None else None
            findings.append(
                Finding(
                    path=path,
                    line=line,
                    end_line=line,
                    severity="warning",
                    source=self.name,
                    rule=result.family,
                    message=_message(result.family, token.text, fix_text, probability, share),
                    score=probability,
                    suggestion=suggestion,
                )
            )
        scores = tuple(HunkScore(path, index, risk=value) for (path, index), value in risk.items())
        return AnalyzerOutput(
            scores=scores, findings=tuple(findings), detail=f"{len(jobs)} windows scored"
        )
