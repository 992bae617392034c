"""`.redline.toml`: the repository's review policy, parsed once into a typed, frozen value.

With `--range` the file is read at BASE, never at HEAD, so a change cannot switch off its own gate.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import ConfigError
from bot.core.globs import matches

PARANOIA_LEVELS = ("low", "default", "high", "max")
FAIL_ON_LEVELS = ("error", "warning", "never")
SEVERITIES = ("error", "warning", "note")
ANALYZERS = ("detector", "entropy", "semgrep", "markers", "verify", "static", "llm", "fixes")
REVIEW_BUDGET = 600.0  # seconds for a whole review (`[budgets] review`), analyzers included
# The dangerous-code gate: the analyzers that read every changed file a rule could match,
# large ones included, and that fail closed by default.
RULE_PACK = frozenset({"semgrep", "markers"})
FAIL_CLOSED = ("rules", "all", "off")


@dataclass(frozen=True, slots=True)
class Markers:
    words: tuple[str, ...] = ("DANGEROUS",)
    radius: int = 3
    severity: str = "warning"


@dataclass(frozen=True, slots=True)
class Override:
    """Settings for paths matching `paths`; later overrides win."""

    paths: tuple[str, ...]
    paranoia: str | None = None
    fail_on: str | None = None
    disable: tuple[str, ...] = ()  # analyzer names or rule ids


@dataclass(frozen=True, slots=True)
class Config:
    paranoia: str = "default"
    fail_on: str = "error"
    ignore: tuple[str, ...] = ()
    max_file_bytes: int = 1024 * 1024
    markers: Markers = field(default_factory=Markers)
    semgrep_rules: tuple[str, ...] = ()  # extra rule files, relative to the repository root
    # `[semgrep] allow`: "rule-id:path-glob" pairs whose findings the base accepts (listed
    # in the review's coverage as suppressions).
    semgrep_allow: tuple[str, ...] = ()
    # `[semgrep] author-suppressions`: rule ids (or "*") whose in-file suppressions a change
    # may add on its own lines; by default a change cannot silence its own findings.
    semgrep_author_suppressions: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()
    max_inline_comments: int = 15
    # What a review that could not look at something does to the gate: "rules" (default) fails
    # it when the dangerous-code rules could not run or could not read a file, and when the
    # review as a whole could not finish; "all" also when any other analyzer could not run;
    # "off" never (the base's explicit choice).
    fail_closed: str = "rules"
    max_scan_bytes: int = 16 * 1024 * 1024  # the rule pack reads files up to this size
    budgets: tuple[tuple[str, float], ...] = ()  # per-analyzer seconds
    verify_timeout: float = 2.0
    verify_total: float = 20.0
    # `[static] type-checker`: "mypy" (default) or "none" (ruff's checks alone).
    static_type_checker: str = "mypy"
    # The LLM tier (bot/analyzers/llm.py), used only where a backend is configured: hunks whose
    # cheap risk falls in `[llm] band` are sent, or every Python hunk at `--paranoia max` or
    # when `deep` is set (a `/redline deep` comment). Empty band: no automatic sending.
    llm_band: tuple[float, float] | None = None
    llm_max_hunks: int = 20
    llm_deep: bool = False

    @property
    def fails_closed(self) -> bool:
        """A review that could not finish fails the gate (every setting but "off")."""
        return self.fail_closed != "off" and self.fail_on != "never"

    def budget(self, analyzer: str, default: float) -> float:
        return dict(self.budgets).get(analyzer, default)

    def paranoia_for(self, path: str) -> str:
        level = self.paranoia
        for override in self.overrides:
            if override.paranoia and matches(path, override.paths):
                level = override.paranoia
        return level

    def fail_on_for(self, path: str) -> str:
        level = self.fail_on
        for override in self.overrides:
            if override.fail_on and matches(path, override.paths):
                level = override.fail_on
        return level

    def disabled_for(self, path: str) -> frozenset[str]:
        names = set(self.disable)
        for override in self.overrides:
            if matches(path, override.paths):
                names.update(override.disable)
        return frozenset(names)

    def with_cli(self, paranoia: str | None, fail_on: str | None) -> Config:
        """CLI flags override the file."""
        changes: dict[str, Any] = {}
        if paranoia is not None:
            changes["paranoia"] = _choice("--paranoia", paranoia, PARANOIA_LEVELS)
        if fail_on is not None:
            changes["fail_on"] = _choice("--fail-on", fail_on, FAIL_ON_LEVELS)
        return dataclasses.replace(self, **changes)


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _strings(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings; got {value!r}")
    return tuple(value)


def _number(key: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{key} must be a number from {low} to {high}; got {value!r}")
    return float(value)


def _table(key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table; got {value!r}")
    return value


def _reject_unknown(where: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where} (known: {', '.join(sorted(known))})"
        )


_TOP = {
    "paranoia",
    "fail-on",
    "ignore",
    "max-file-bytes",
    "markers",
    "semgrep",
    "disable",
    "overrides",
    "max-inline-comments",
    "fail-closed",
    "max-scan-bytes",
    "budgets",
    "verify",
    "static",
    "llm",
}


def _tiers(data: dict[str, Any]) -> dict[str, Any]:
    """`[static]` and `[llm]`."""
    changes: dict[str, Any] = {}
    if "static" in data:
        table = _table("static", data["static"])
        _reject_unknown("[static]", table, {"type-checker"})
        checker = table.get("type-checker", "mypy")
        changes["static_type_checker"] = _choice("static.type-checker", checker, ("mypy", "none"))
    if "llm" in data:
        table = _table("llm", data["llm"])
        _reject_unknown("[llm]", table, {"band", "max-hunks"})
        if "band" in table:
            band = table["band"]
            if not isinstance(band, list) or len(band) != 2:
                raise ConfigError(f"llm.band must be [low, high]; got {band!r}")
            low, high = (_number("llm.band", v, 0.0, 1.0) for v in band)
            if low > high:
                raise ConfigError(f"llm.band must be [low, high] with low <= high; got {band!r}")
            changes["llm_band"] = (low, high)
        if "max-hunks" in table:
            changes["llm_max_hunks"] = int(_number("llm.max-hunks", table["max-hunks"], 1, 500))
    return changes


def parse_config(text: str, source: str = ".redline.toml") -> Config:
    """Parse `.redline.toml` text; every mistake names the key and the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    try:
        return _from_table(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    """The top-level keys that are plain values."""
    changes: dict[str, Any] = {}
    if "paranoia" in data:
        changes["paranoia"] = _choice("paranoia", data["paranoia"], PARANOIA_LEVELS)
    if "fail-on" in data:
        changes["fail_on"] = _choice("fail-on", data["fail-on"], FAIL_ON_LEVELS)
    if "ignore" in data:
        changes["ignore"] = _strings("ignore", data["ignore"])
    if "disable" in data:
        changes["disable"] = _strings("disable", data["disable"])
    if "max-file-bytes" in data:
        changes["max_file_bytes"] = int(_number("max-file-bytes", data["max-file-bytes"], 1, 2**31))
    if "max-inline-comments" in data:
        changes["max_inline_comments"] = int(
            _number("max-inline-comments", data["max-inline-comments"], 0, 1000)
        )
    if "fail-closed" in data:
        value = data["fail-closed"]
        if isinstance(value, bool):
            # `fail-closed = true` predates the levels: it meant every analyzer.
            value = "all" if value else "off"
        changes["fail_closed"] = _choice("fail-closed", value, FAIL_CLOSED)
    if "max-scan-bytes" in data:
        changes["max_scan_bytes"] = int(_number("max-scan-bytes", data["max-scan-bytes"], 1, 2**31))
    return changes


def _markers(value: object) -> Markers:
    table = _table("markers", value)
    _reject_unknown("[markers]", table, {"words", "radius", "severity"})
    markers = Markers()
    return Markers(
        words=_strings("markers.words", table.get("words", list(markers.words))),
        radius=int(_number("markers.radius", table.get("radius", markers.radius), 0, 200)),
        severity=_choice("markers.severity", table.get("severity", markers.severity), SEVERITIES),
    )


def _semgrep(value: object) -> dict[str, Any]:
    table = _table("semgrep", value)
    _reject_unknown("[semgrep]", table, {"rules", "allow", "author-suppressions"})
    rules = _strings("semgrep.rules", table.get("rules", []))
    allow = _strings("semgrep.allow", table.get("allow", []))
    for entry in allow:
        rule, _, glob = entry.partition(":")
        if not rule.strip() or not glob.strip():
            raise ConfigError(f'semgrep.allow entries are "rule-id:path-glob"; got {entry!r}')
    return {
        "semgrep_rules": rules,
        "semgrep_allow": allow,
        "semgrep_author_suppressions": _strings(
            "semgrep.author-suppressions", table.get("author-suppressions", [])
        ),
    }


def _limits(data: dict[str, Any]) -> dict[str, Any]:
    """`[budgets]` (seconds per analyzer, and for the whole review) and `[verify]`."""
    changes: dict[str, Any] = {}
    if "budgets" in data:
        table = _table("budgets", data["budgets"])
        _reject_unknown("[budgets]", table, {*ANALYZERS, "review"})
        changes["budgets"] = tuple(
            (name, _number(f"budgets.{name}", value, 0.01, 3600)) for name, value in table.items()
        )
    if "verify" in data:
        table = _table("verify", data["verify"])
        _reject_unknown("[verify]", table, {"timeout", "total"})
        changes["verify_timeout"] = _number("verify.timeout", table.get("timeout", 2.0), 0.01, 600)
        changes["verify_total"] = _number("verify.total", table.get("total", 20.0), 0.01, 3600)
    return changes


def _override(number: int, item: object) -> Override:
    table = _table(f"overrides #{number}", item)
    _reject_unknown(f"[[overrides]] #{number}", table, {"paths", "paranoia", "fail-on", "disable"})
    if "paths" not in table:
        raise ConfigError(f"[[overrides]] #{number} needs `paths`")
    return Override(
        paths=_strings("overrides.paths", table["paths"]),
        paranoia=_choice("overrides.paranoia", table["paranoia"], PARANOIA_LEVELS)
        if "paranoia" in table
        else None,
        fail_on=_choice("overrides.fail-on", table["fail-on"], FAIL_ON_LEVELS)
        if "fail-on" in table
        else None,
        disable=_strings("overrides.disable", table.get("disable", [])),
    )


def _overrides(raw: object) -> tuple[Override, ...]:
    if not isinstance(raw, list):
        raise ConfigError("overrides must be an array of tables ([[overrides]])")
    return tuple(_override(number, item) for number, item in enumerate(raw, start=1))


def _from_table(data: dict[str, Any]) -> Config:
    # The sections are checked in this order, so a file with several mistakes always names
    # the same one first.
    _reject_unknown("the top level", data, _TOP)
    changes = _scalars(data)
    if "markers" in data:
        changes["markers"] = _markers(data["markers"])
    if "semgrep" in data:
        changes.update(_semgrep(data["semgrep"]))
    changes.update(_limits(data))
    changes.update(_tiers(data))
    if "overrides" in data:
        changes["overrides"] = _overrides(data["overrides"])
    return dataclasses.replace(Config(), **changes)
