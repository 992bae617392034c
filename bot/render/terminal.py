"""The terminal rendering (rich): files in reading order with their reasons, hunks shaded by
attention (skim dim and collapsed, scrutinize bright), findings with the code and the
suggested replacement, coverage and the gate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.text import Text

from bot.core.model import Finding, Review, ReviewFile, ScoredHunk

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "note": "bold blue"}
_ATTENTION_STYLE = {"scrutinize": "bold bright_white on red", "read": "bold", "skim": "dim"}
MAX_HUNK_LINES = 40
WIDTH = 120


# C0 controls (but tab and newline) as their Unicode control pictures, DEL and C1 and the
# bidi/zero-width controls as a replacement mark.
_VISIBLE = {c: 0x2400 + c for c in range(32) if c not in (9, 10)}
_VISIBLE.update({0x7F: 0x2421})
_VISIBLE.update(dict.fromkeys(range(0x80, 0xA0), 0xFFFD))
_VISIBLE.update(
    dict.fromkeys(
        [
            0x061C,
            0x200B,
            0x200C,
            0x200D,
            0x200E,
            0x200F,
            0x2028,
            0x2029,
            0x202A,
            0x202B,
            0x202C,
            0x202D,
            0x202E,
            0x2060,
            0x2066,
            0x2067,
            0x2068,
            0x2069,
            0xFEFF,
        ],
        0xFFFD,
    )
)


class _Lines:
    """Collects lines and prints them in one call: rich's per-call overhead dominates on a
    large review. Code lines are cut to the width; prose wraps."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lines: list[Text] = []

    def line(self, text: Text, cut: bool = False) -> None:
        # Text from the PR must not drive the reviewer's terminal: every control character
        # (an ESC starts a sequence that can clear the screen or retitle the window) is shown
        # as a visible symbol, one for one, so rich's style spans stay where they were.
        text.plain = text.plain.translate(_VISIBLE)
        if cut:
            text.truncate(WIDTH, overflow="ellipsis")
        self.lines.append(text)

    def flush(self) -> None:
        self.console.print(Text("\n").join(self.lines))


def _heat_style(value: float, clamp: float) -> str:
    ratio = min(value, clamp) / clamp if clamp > 0 else 0.0
    if ratio > 0.75:
        return "bold bright_white"
    if ratio > 0.4:
        return "white"
    return "grey62"


def _hunk(console: _Lines, hunk: ScoredHunk, clamp: float, expand: bool = False) -> None:
    """`expand`: show a skim hunk's lines anyway (the first of its repeats to be shown)."""
    h = hunk.hunk
    header = Text(
        f"  @@ -{h.old_start},{h.old_lines} +{h.new_start},{h.new_lines} @@ ", style="cyan"
    )
    if h.section:
        header.append(h.section[:60] + " ", style="cyan dim")
    header.append(f" {hunk.attention} ", style=_ATTENTION_STYLE[hunk.attention])
    details = []
    if hunk.risk is not None:
        details.append(f"risk {hunk.risk:.2f}")
    if hunk.entropy is not None:
        details.append(f"{hunk.entropy:.1f} bits/token")
    if details:
        header.append("  " + " · ".join(details), style="dim")
    console.line(header)
    if hunk.attention == "skim" and not expand:
        console.line(Text(f"    ▸ {hunk.note or 'predictable change'} (collapsed)", style="dim"))
        return
    if expand:
        console.line(Text(f"    ▸ {hunk.note}: shown once, its repeats collapse", style="dim"))
    elif hunk.note:
        # A hunk kept to read although it looks mechanical (a repeat touching a condition, a
        # flagged reformat): the note says why, and that it repeats.
        console.line(Text(f"    ▸ {hunk.note}", style="italic"))
    heat = dict(hunk.line_heat)
    bright = hunk.attention == "scrutinize"
    for count, line in enumerate(h.lines):
        if count >= MAX_HUNK_LINES:
            console.line(Text(f"    … {len(h.lines) - count} more lines", style="dim"))
            break
        number = line.new_no if line.new_no is not None else line.old_no
        sign = {"add": "+", "del": "-", "ctx": " "}[line.kind]
        style = {"add": "green", "del": "red", "ctx": "grey50"}[line.kind]
        if line.kind == "add" and line.new_no in heat:
            style = "green " + _heat_style(heat[line.new_no], clamp)
        elif line.kind == "add" and bright:
            style = "bold green"
        text = Text(f"  {number or '':>5} {sign} ", style="dim")
        text.append(line.text, style=style)
        console.line(text, cut=True)


def _skim_run(console: _Lines, hunks: Sequence[ScoredHunk]) -> None:
    """Skim hunks in a row with the same note (one repeated edit, whose first instance is
    shown above): one header, one line."""
    places = ", ".join(f"+{h.hunk.new_start}" for h in hunks[:12])
    more = f" and {len(hunks) - 12} more" if len(hunks) > 12 else ""
    header = Text(f"  @@ {places}{more} @@ ", style="cyan")
    header.append(" skim ", style=_ATTENTION_STYLE["skim"])
    console.line(header, cut=True)
    note = hunks[0].note or "predictable change"
    console.line(Text(f"    ▸ {note} (collapsed)", style="dim"))


def _finding(console: _Lines, finding: Finding, file: ReviewFile | None) -> None:
    title = Text("  ")
    title.append(f"{finding.severity}", style=_SEVERITY_STYLE[finding.severity])
    title.append(f" {finding.source}/{finding.rule}", style="bold")
    side = " (removed line)" if finding.side == "old" else ""
    title.append(f"  {finding.path}:{finding.line}{side}  score {finding.score:.2f}", style="dim")
    console.line(title)
    console.line(Text("    " + finding.message))
    if file is not None:
        for hunk in file.hunks:
            for line in hunk.hunk.lines:
                number = line.old_no if finding.side == "old" else line.new_no
                kind_ok = line.kind != ("add" if finding.side == "old" else "del")
                if number is not None and kind_ok and finding.line <= number <= finding.end_line:
                    console.line(Text(f"    {number:>5} | {line.text}", style="yellow"), cut=True)
    if finding.suggestion is not None:
        console.line(Text("    suggested replacement:", style="green"))
        for replacement in finding.suggestion.rstrip("\n").split("\n"):
            console.line(Text(f"          | {replacement}", style="green"), cut=True)


def _head(console: _Lines, review: Review) -> None:
    """The one-line verdict, then the suggested reading order with each file's reason."""
    status = (
        Text("FAILED", style="bold red")
        if review.gate.failed
        else Text("passed", style="bold green")
    )
    head = Text(
        f"redline review · {len(review.files)} files · {len(review.findings)} findings · gate ",
        style="bold",
    )
    head.append_text(status)
    console.line(head)
    console.line(Text())
    console.line(Text("Suggested reading order", style="bold underline"))
    for number, file in enumerate(review.files, start=1):
        line = Text(f" {number:>2}. ")
        line.append(file.diff.path, style="bold" if not file.skipped else "dim")
        line.append(f"  {file.reason}", style="dim" if file.skipped else "")
        console.line(line)


def _heat_clamp(review: Review) -> float:
    """The 95th percentile of line heat over the review: hotter lines all look hottest, so one
    outlier does not grey out the rest."""
    values = sorted(v for f in review.files for h in f.hunks for _, v in h.line_heat)
    return values[int(0.95 * (len(values) - 1))] if values else 1.0


def _skim_run_length(hunks: Sequence[ScoredHunk], index: int) -> int:
    """How many hunks from `index` on are skims of one repeated edit (same note and origin)."""
    hunk = hunks[index]
    run = 1
    while (
        hunk.attention == "skim"
        and index + run < len(hunks)
        and hunks[index + run].attention == "skim"
        and hunks[index + run].note == hunk.note
        and hunks[index + run].repeat_of == hunk.repeat_of
    ):
        run += 1
    return run


def _hunks(console: _Lines, file: ReviewFile, clamp: float, shown: set[tuple[str, int]]) -> None:
    """A file's hunks; `shown` (hunks shown in full so far, what "above" means) is updated."""
    index = 0
    while index < len(file.hunks):
        hunk = file.hunks[index]
        if hunk.repeat_of is not None and hunk.repeat_of not in shown:
            # A repeat whose edit no hunk above shows: show this one, collapse the rest.
            shown.update({hunk.repeat_of, (file.diff.path, hunk.hunk.index)})
            _hunk(console, hunk, clamp, expand=hunk.attention == "skim")
            index += 1
            continue
        if hunk.attention != "skim":
            shown.add((file.diff.path, hunk.hunk.index))
        run = _skim_run_length(file.hunks, index)
        if run > 1:
            _skim_run(console, file.hunks[index : index + run])
        else:
            _hunk(console, hunk, clamp)
        index += run


def _file(
    console: _Lines,
    number: int,
    file: ReviewFile,
    findings: Sequence[Finding],
    clamp: float,
    shown: set[tuple[str, int]],
) -> None:
    console.line(Text())
    title = Text(f"━━ {number}. {file.diff.path}", style="bold magenta")
    if file.diff.old_path and file.diff.old_path != file.diff.path:
        title.append(f" (from {file.diff.old_path})", style="magenta")
    title.append(f"  [{file.diff.status}]", style="dim")
    console.line(title)
    console.line(Text(f"   {file.reason}", style="italic"))
    if file.skipped:
        console.line(Text(f"   skipped: {file.skipped}", style="dim"))
        return
    _hunks(console, file, clamp, shown)
    for finding in findings:
        _finding(console, finding, file)


def _contracts(console: _Lines, review: Review) -> None:
    if not review.verdicts:
        return
    counts = {"proved": 0, "refuted": 0, "unknown": 0}
    for verdict in review.verdicts:
        counts[verdict.status] += 1
    console.line(
        Text(
            f"Contracts: {counts['proved']} proved, {counts['refuted']} refuted, "
            f"{counts['unknown']} not checked",
            style="bold",
        )
    )


def _coverage(console: _Lines, review: Review) -> None:
    """What was reviewed and what was not (skips, per-file notes), then how each analyzer ran."""
    coverage = Text(f"Coverage: {review.files_reviewed} files reviewed", style="dim")
    for skipped in review.skipped:
        coverage.append(f"; skipped {skipped.path} ({skipped.reason})", style="dim")
    for note in review.notes:
        coverage.append(f"; {note.path}: {note.reason}", style="dim")
    console.line(coverage)
    runs = Text(
        "Analyzers: "
        + ", ".join(
            f"{r.name} {r.status}" + (f" {r.ms} ms" if r.status == "ok" else f" ({r.detail})")
            for r in review.analyzers
        ),
        style="dim",
    )
    console.line(runs)


def _gate(console: _Lines, review: Review) -> None:
    if review.gate.failed:
        console.line(
            Text(
                f"Gate failed (fail-on {review.gate.fail_on}): " + "; ".join(review.gate.reasons),
                style="bold red",
            )
        )
    else:
        console.line(Text(f"Gate passed (fail-on {review.gate.fail_on})", style="bold green"))


def render_terminal(review: Review, out: IO[str], color: bool | None = None) -> None:
    console = _Lines(
        Console(
            file=out,
            force_terminal=color,
            no_color=color is False,
            width=120,
            highlight=False,
            soft_wrap=False,
        )
    )
    _head(console, review)
    clamp = _heat_clamp(review)
    by_path: dict[str, list[Finding]] = {}
    for finding in review.findings:
        by_path.setdefault(finding.path, []).append(finding)
    shown: set[tuple[str, int]] = set()
    for number, file in enumerate(review.files, start=1):
        _file(console, number, file, by_path.get(file.diff.path, []), clamp, shown)
    console.line(Text())
    _contracts(console, review)
    _coverage(console, review)
    _gate(console, review)
    console.flush()
