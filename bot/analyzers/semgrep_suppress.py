"""Suppressions of rule-pack findings, decided by redline from the base, never by the change.

semgrep runs with `--disable-nosem`; this module decides which findings an in-file comment
(`# nosemgrep`, `# nosec`, `# redline: ignore`, or `//` forms) silences:

- a comment the change itself adds (on one of its added lines) silences nothing, unless the
  base's `[semgrep] author-suppressions` names the rule (or "*");
- a comment that was already there at base silences the finding it sits on; one on the line
  before a finding silences it only when that line is unchanged too (new code moved under an
  old suppression is not covered by it);
- `[semgrep] allow = ["rule-id:path-glob"]` in the base's `.redline.toml` silences a rule for
  paths.

Each one that met a finding is returned as a `Suppression`, honoured or not, for the review's
coverage. Pure functions: no I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from bot.core.globs import matches
from bot.core.model import Suppression

_MARKER = re.compile(
    r"(?:#|//|/\*)\s*(?P<kind>nosemgrep|nosem|nosec|redline:\s*ignore)(?![\w-])(?P<rest>.*)$",
    re.IGNORECASE,
)
# A rule name in a suppression: semgrep ids (`subprocess-shell-true`), bandit ids (`B602`).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Marker:
    line: int
    text: str  # the comment as written
    names: tuple[str, ...]  # the rules it names; empty: every rule
    alone: bool  # the line holds the comment and nothing else


def _names(rest: str) -> tuple[str, ...]:
    names: list[str] = []
    for token in re.split(r"[\s,\[\]():]+", rest.strip()):
        if not token:
            continue
        # Stop at the justification: a plain word ("nosec because ...") names no rule.
        if token == "--" or not _NAME.match(token) or not re.search(r"[\d_.-]", token):
            break
        names.append(token)
    return tuple(names)


def find_markers(text: str) -> dict[int, Marker]:
    """Suppression comments by (1-based) line."""
    found: dict[int, Marker] = {}
    if "nosem" not in text.lower() and "nosec" not in text.lower() and "ignore" not in text:
        return found
    for number, line in enumerate(text.split("\n"), start=1):
        match = _MARKER.search(line)
        if match is None:
            continue
        comment = line[match.start() :].strip()
        found[number] = Marker(
            number,
            comment[:200],
            _names(match.group("rest")),
            not line[: match.start()].strip(),
        )
    return found


def _names_rule(marker: Marker, rule: str, aliases: Collection[str]) -> bool:
    if not marker.names:
        return True
    wanted = {rule.lower(), *(a.lower() for a in aliases)}
    return any(n.lower() in wanted or n.lower().rsplit(".", 1)[-1] in wanted for n in marker.names)


@dataclass(frozen=True)
class Context:
    """What a decision about one file needs: its suppression comments, the lines the change
    added, the lines of the file at base (None when the base has no readable copy), the
    post-image lines, and the base policy."""

    path: str
    markers: Mapping[int, Marker]
    added: frozenset[int]
    base_lines: frozenset[str] | None
    lines: tuple[str, ...]
    author_rules: tuple[str, ...]
    allow: tuple[str, ...]


def allowed_by_policy(path: str, rule: str, allow: tuple[str, ...]) -> str | None:
    """The `[semgrep] allow` entry that accepts `rule` at `path`, if any."""
    for entry in allow:
        name, _, glob = entry.partition(":")
        if name.strip() in (rule, "*") and matches(path, (glob.strip(),)):
            return entry
    return None


def decide(
    ctx: Context, rule: str, aliases: Collection[str], start: int, end: int
) -> Suppression | None:
    """The suppression that meets a result at lines start..end, honoured or not; None if no
    suppression comment or policy entry covers it."""
    entry = allowed_by_policy(ctx.path, rule, ctx.allow)
    if entry is not None:
        return Suppression(
            ctx.path,
            start,
            f'[semgrep] allow "{entry}"',
            rule,
            True,
            "allowed for this path by the base's .redline.toml",
        )
    candidates = [ctx.markers[n] for n in range(start, end + 1) if n in ctx.markers]
    above = ctx.markers.get(start - 1)
    if above is not None and above.alone:
        candidates.append(above)
    for marker in candidates:
        if _names_rule(marker, rule, aliases):
            honoured, reason = _judge(ctx, marker, rule, start)
            named = rule if marker.names else None
            return Suppression(ctx.path, marker.line, marker.text, named, honoured, reason)
    return None


def _judge(ctx: Context, marker: Marker, rule: str, start: int) -> tuple[bool, str]:
    if marker.line in ctx.added:
        if "*" in ctx.author_rules or rule in ctx.author_rules:
            return True, f"added by this change; the base allows author suppressions for {rule}"
        return False, (
            "added by this change: a change cannot silence its own findings "
            "(the base's [semgrep] author-suppressions can allow it for a rule)"
        )
    if marker.line < start and start in ctx.added:
        return False, "at base it covered other code: this change put new code under it"
    if ctx.base_lines is None:
        return True, "unchanged by this change"
    text = ctx.lines[marker.line - 1].strip() if marker.line <= len(ctx.lines) else ""
    if text in ctx.base_lines:
        return True, "present at base"
    return False, "not found at base"
