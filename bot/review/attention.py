"""Attention per hunk (skim | read | scrutinize) from the merged analyzer scores.

Danger markers and detector risk raise attention; entropy only ranks, it never raises a
finding. A mechanical hunk (repeated edit, rename, formatting...) is skimmed unless it is risky
or dangerous."""

from __future__ import annotations

from bot.core.model import Attention, HunkScore
from bot.review.risk import combine as risk_of

RISK_SCRUTINIZE = 0.5


def attention_for(score: HunkScore, generated: bool = False) -> Attention:
    if "dangerous" in score.flags:
        return "scrutinize"
    if score.risk is not None and score.risk >= RISK_SCRUTINIZE:
        return "scrutinize"
    if generated or score.mechanical:
        return "skim"
    if "dense" in score.flags:
        return "scrutinize"
    return "read"


def merge(path: str, hunk: int, parts: list[HunkScore]) -> HunkScore:
    """Fold several analyzers' scores for one hunk into one."""
    risk, reasons = risk_of(parts)  # one calibrated risk from every signal, with reasons
    entropy = next((p.entropy for p in parts if p.entropy is not None), None)
    mechanical = next((p.mechanical for p in parts if p.mechanical), None)
    heat = next((p.line_heat for p in parts if p.line_heat), ())
    repeats = max((p.repeats for p in parts), default=0)
    flags: frozenset[str] = frozenset().union(*(p.flags for p in parts)) if parts else frozenset()
    return HunkScore(path, hunk, risk, entropy, mechanical, repeats, heat, flags, reasons)
