"""The entropy scorer as an analyzer: per-hunk surprisal from the code LM (Python) and per-line
heat. It never raises findings, and it does not decide what is mechanical: the review core
does that structurally, before entropy (bot/review/mechanical.py)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.model import HunkScore
from bot.core.ports import AnalysisRequest, AnalyzerOutput

MIN_CONTENT_TOKENS = 3  # fewer changed tokens than this say too little to call a hunk dense


class EntropyAnalyzer:
    name = "entropy"
    default_budget = 60.0
    thresholds: Mapping[str, float] = {}

    def __init__(self) -> None:
        from review_models.lm.score import shared_model

        self._model = shared_model()
        self.version = self._model.version

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        from review_models.lm.score import FileInput, HunkInput

        inputs = []
        for file in request.diff.files:
            if file.language != "python" or file.status == "deleted" or not file.hunks:
                continue
            text = request.text(file.path)
            inputs.append(
                FileInput(
                    file.path,
                    text if text is not None else file.partial_text(),
                    tuple(
                        HunkInput(
                            (file.path, h.index),
                            h.new_start,
                            h.new_start + max(h.new_lines, 1) - 1,
                            h.added_line_numbers,
                            tuple(line.text for line in h.removed),
                        )
                        for h in file.hunks
                    ),
                )
            )
        entropies = self._model.score_files(inputs)
        scores = []
        for file in request.diff.files:
            for hunk in file.hunks:
                key = (file.path, hunk.index)
                result = entropies.get(key)
                flags: frozenset[str] = frozenset()
                entropy = None
                heat: tuple[tuple[int, float], ...] = ()
                if result is not None:
                    entropy = result.entropy
                    heat = result.line_heat
                    if result.tokens >= MIN_CONTENT_TOKENS and entropy >= self._model.dense:
                        flags = frozenset({"dense"})
                scores.append(
                    HunkScore(
                        file.path,
                        hunk.index,
                        entropy=entropy,
                        line_heat=heat,
                        flags=flags,
                    )
                )
        return AnalyzerOutput(
            scores=tuple(scores), detail=f"{sum(len(f.hunks) for f in inputs)} Python hunks scored"
        )
