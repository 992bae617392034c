"""A secret string that never shows itself in logs, reprs or tracebacks."""

from __future__ import annotations

import hmac


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def matches(self, given: str | bytes | None) -> bool:
        """Constant-time comparison with what a caller presented."""
        if given is None:
            return False
        raw = given if isinstance(given, bytes) else given.encode("utf-8", "replace")
        return hmac.compare_digest(self._value.encode("utf-8"), raw)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)
