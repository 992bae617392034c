"""The hidden markers the bot writes into its own comments: the summary marker, and one
fingerprint per inline finding, so a re-run never posts a finding twice.

A fingerprint marker carries an HMAC over the pull request and the fingerprint with a server
secret, so an author cannot plant `<!-- redline:fp=... -->` in their own comment to silence a
real finding (the fingerprint itself can be computed offline). Hosts also believe markers only
in comments the bot's own identity wrote."""

from __future__ import annotations

import hashlib
import hmac
import re

SUMMARY_MARKER = "<!-- redline:summary -->"
_FP = re.compile(r"<!-- redline:fp=([0-9A-Za-z_-]{1,64}):([0-9a-f]{16}) -->")


class Marks:
    """Signs and reads fingerprint markers with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a marker key needs at least 16 bytes")
        self._key = key

    def _mac(self, scope: str, fingerprint: str) -> str:
        message = f"{scope}\0{fingerprint}".encode("utf-8", "surrogateescape")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]

    def mark(self, scope: str, fingerprint: str) -> str:
        """The marker for a finding's comment; `scope` names the pull request."""
        return f"<!-- redline:fp={fingerprint}:{self._mac(scope, fingerprint)} -->"

    def read(self, scope: str, body: str) -> str | None:
        """The fingerprint in `body`, if its marker was signed by us for this pull request."""
        for match in _FP.finditer(body):
            fingerprint, mac = match.group(1), match.group(2)
            if hmac.compare_digest(mac, self._mac(scope, fingerprint)):
                return fingerprint
        return None


def scope_of(host: str, repo: str, number: int) -> str:
    return f"{host}:{repo}#{number}"


def derive_key(secret: str, purpose: str = "redline fingerprint markers") -> bytes:
    """A key for one purpose from a configured secret (never the secret itself)."""
    return hmac.new(secret.encode("utf-8"), purpose.encode(), hashlib.sha256).digest()
