"""The hidden markers the bot writes into its own comments: the summary marker, and one
fingerprint per inline finding (so a re-run never posts a finding twice)."""

from __future__ import annotations

SUMMARY_MARKER = "<!-- redline:summary -->"
FINGERPRINT_MARK = "<!-- redline:fp={} -->"
_FP_START = "<!-- redline:fp="


def fingerprint_mark(fingerprint: str) -> str:
    return FINGERPRINT_MARK.format(fingerprint)


def fingerprint_of(body: str) -> str | None:
    start = body.find(_FP_START)
    if start < 0:
        return None
    end = body.find(" -->", start)
    return body[start + len(_FP_START) : end] if end > 0 else None
