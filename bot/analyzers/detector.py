"""The diff-aware bug detector as an analyzer: every changed Python hunk is read as an edit
(removed and added tokens aligned, the enclosing function on both sides), scored with a
calibrated risk and its reasons, and the riskiest line of each hunk becomes a finding that the
paranoia level shows or not. No suggestion: the detector says what changed and why it is
risky; it does not guess a repair."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.model import FileDiff, Finding, HunkScore
from bot.core.ports import AnalysisRequest, AnalyzerOutput


def _sides(request: AnalysisRequest, file: FileDiff) -> tuple[list[str], list[str]]:
    """The new and old lines of a file; the old side from the new one and the hunks when
    the post-image is there (exact), else from the base tree, else the diff alone."""
    from review_models.detector.edits import pre_image

    text = request.text(file.path)
    if text is not None:
        new = text.split("\n")
        return new, pre_image(new, file)
    data = request.base.read(file.old_path or file.path)
    old = data.decode("utf-8", "replace").split("\n") if data is not None else []
    return file.partial_text().split("\n"), old


def _message(reasons: tuple[str, ...], risk: float, share: float) -> str:
    body = "; ".join(reasons) if reasons else "this edit looks like it may introduce a bug"
    return (
        f"{body[0].upper()}{body[1:]} (bug detector: risk {risk:.2f} that this edit introduces "
        f"a bug, {share:.0%} of it on this line)"
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
        from review_models.detector.edits import edit_of

        scores: list[HunkScore] = []
        findings: list[Finding] = []
        skipped = 0
        for file in request.diff.files:
            if file.status in ("deleted", "binary") or not file.hunks:
                continue
            if file.language != "python":
                skipped += 1
                continue
            new, old = _sides(request, file)
            for hunk in file.hunks:
                edit = edit_of(file.path, hunk, new, old)
                if not any(block.ops for block in edit.blocks):
                    # The tokens did not change (formatting, comments): no token bug.
                    scores.append(HunkScore(file.path, hunk.index, risk=0.0))
                    continue
                result = self._model.score(edit)
                scores.append(
                    HunkScore(
                        file.path, hunk.index, risk=result.probability, reasons=result.reasons
                    )
                )
                share = result.line_shares.get(result.top_line, 0.0)
                findings.append(
                    Finding(
                        path=file.path,
                        line=result.top_line,
                        end_line=result.top_line,
                        severity="warning",
                        source=self.name,
                        rule=result.rule,
                        message=_message(result.reasons, result.probability, share),
                        score=result.probability,
                    )
                )
        detail = f"{len(scores)} hunks scored"
        if skipped:
            detail += f"; {skipped} non-Python file(s) skipped"
        return AnalyzerOutput(scores=tuple(scores), findings=tuple(findings), detail=detail)
