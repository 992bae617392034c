"""Attention per hunk (skim | read | scrutinize) from the merged analyzer scores and the
structural classification of the hunk (bot/review/mechanical.py).

Danger markers and detector risk raise attention; entropy only ranks and marks dense code, it
never greys anything out. Skim is earned structurally, and lost to anything that matters: a
mechanical hunk (reformat, import re-sort, move, rename, version bump, repeated edit) is
skimmed unless it touches a condition or control flow, or an analyzer flags it (a finding on
its lines, a static diagnostic, danger, risk)."""

from __future__ import annotations

from bot.core.model import Attention, HunkScore
from bot.review.mechanical import Mechanical
from bot.review.risk import combine as risk_of

RISK_SCRUTINIZE = 0.5


def attention_for(
    score: HunkScore,
    generated: bool = False,
    mechanical: Mechanical | None = None,
    flagged: bool = False,
) -> Attention:
    """`mechanical`: what the structural classifier decided for the hunk; `flagged`: a finding
    of any analyzer lies on the hunk's lines."""
    if "dangerous" in score.flags:
        return "scrutinize"
    if score.risk is not None and score.risk >= RISK_SCRUTINIZE:
        return "scrutinize"
    if generated:
        return "skim"
    raised = flagged or bool(score.flags - {"dense"})
    if mechanical is not None and mechanical.skim and not raised:
        return "skim"  # dense or not: an import re-sort is surprising text, not news
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
