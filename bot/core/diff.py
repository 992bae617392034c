"""Unified-diff intake: bytes in, a `Diff` out. `unidiff` objects never leave this module.

unidiff does the parsing; a small pre-pass finds the exact line of a malformed diff (unidiff's
errors carry no line number) and the post-pass handles what unidiff leaves raw: git's C-quoted
paths, copies (which unidiff reports as renames), file modes, CRLF and non-UTF-8 bytes.
"""

from __future__ import annotations

import re

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchedFile, PatchSet

from bot.core.errors import DiffParseError
from bot.core.model import Diff, DiffLine, FileDiff, FileStatus, Hunk

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FILE_MARKERS = ("diff --git ", "--- ", "+++ ", "Binary files ", "rename from ", "copy from ")
_OCTAL = re.compile(r"[0-3][0-7]{2}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def parse_diff(data: bytes | str) -> Diff:
    """Parse a unified diff (git or plain). An empty input is an empty, valid diff."""
    text = data if isinstance(data, str) else data.decode("utf-8", "surrogateescape")
    if not text.strip():
        return Diff()
    text, carried = _normalize_newlines(text)
    _validate(text)
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:  # the pre-pass should have caught it
        raise DiffParseError(str(exc), 1) from exc
    files = tuple(_file_from(patched, patched.target_file in carried) for patched in patch)
    _check_complete(text, files)
    return Diff(files)


_HEADERS = (
    "diff ",
    "--- ",
    "+++ ",
    "@@ ",
    "index ",
    "new file",
    "deleted file",
    "similarity",
    "dissimilarity",
    "rename ",
    "copy ",
    "old mode",
    "new mode",
    "Binary files",
)


def _normalize_newlines(text: str) -> tuple[str, frozenset[str]]:
    """A diff carried with CRLF line endings (mail, Windows tools) has CR on its header lines
    too, which would end up in paths and hunk counts: those CRs go. The CRs on content lines
    stay, and `_file_from` strips and records them, whether the diff was carried with CRLF or
    is a LF diff of files with CRLF endings, file by file."""
    if "\r" not in text:
        return text, frozenset()
    lines = text.split("\n")
    carried = False  # whether the current file's section was carried with CRLF
    targets = set()  # the `+++ ` targets of the files carried with CRLF
    for index, line in enumerate(lines):
        if line.startswith(("diff ", "--- ")) and not _in_hunk_line(lines, index):
            carried = line.endswith("\r")
        if line.endswith("\r") and (carried or line.startswith(_HEADERS)):
            lines[index] = line[:-1]
            if carried and line.startswith("+++ "):
                targets.add(lines[index][4:].split("\t")[0])
    return "\n".join(lines), frozenset(targets)


def _in_hunk_line(lines: list[str], index: int) -> bool:
    """Whether a `--- ` line is a removed line (`-- x`) inside a hunk rather than a header:
    a header is followed by `+++ `."""
    line = lines[index]
    if line.startswith("diff "):
        return False
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return not following.startswith("+++ ")


def _check_complete(text: str, files: tuple[FileDiff, ...]) -> None:
    """Every hunk header in the text must have become a hunk: a diff we misread is an error,
    never an empty review that passes."""
    headers = sum(1 for line in text.split("\n") if line.startswith("@@ "))
    parsed = sum(len(f.hunks) for f in files)
    if headers != parsed:
        raise DiffParseError(f"{headers} hunk headers but {parsed} hunks could be read", 1)


def _validate(text: str) -> None:
    """Walk the diff as unidiff would and fail on the first line it could not take."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    in_file = False
    seen_file = False
    old_left = new_left = 0
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag == "\\":
                continue
            if tag in (" ", "") and old_left > 0 and new_left > 0:
                old_left, new_left = old_left - 1, new_left - 1
            elif tag == "-" and old_left > 0:
                old_left -= 1
            elif tag == "+" and new_left > 0:
                new_left -= 1
            else:
                raise DiffParseError(
                    f"expected a hunk line (' ', '-' or '+') with {old_left} old and "
                    f"{new_left} new lines to go, got {_show(line)}",
                    number,
                )
            continue
        if line.startswith("@@@"):
            raise DiffParseError("combined (merge) diffs are not supported", number)
        if line.startswith("@@"):
            match = _HUNK_HEADER.match(line)
            if match is None:
                raise DiffParseError(f"bad hunk header {_show(line)}", number)
            if not in_file:
                raise DiffParseError("hunk header before any ---/+++ file header", number)
            old_left = 1 if match.group(2) is None else int(match.group(2))
            new_left = 1 if match.group(4) is None else int(match.group(4))
            continue
        if line.startswith("+++ "):
            in_file = True
        if line.startswith(_FILE_MARKERS) or line.startswith("diff ") or line.startswith("index "):
            seen_file = True
    if old_left > 0 or new_left > 0:
        raise DiffParseError(
            f"diff ended inside a hunk: {old_left} old and {new_left} new lines missing",
            len(lines) + 1,
        )
    if not seen_file:
        raise DiffParseError("no file header (diff --git, ---/+++) found", 1)


def _show(line: str) -> str:
    return repr(line if len(line) <= 60 else line[:57] + "...")


def unquote_path(path: str) -> str:
    """Undo git's C-style quoting ("b/\\303\\274 name.py" -> "b/ü name.py")."""
    path = path.rstrip("\t")
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = body[i + 1]
        if _OCTAL.fullmatch(body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return out.decode("utf-8", "replace")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _header_values(info: str, key: str) -> str | None:
    for line in info.splitlines():
        if line.startswith(key):
            return line[len(key) :].strip()
    return None


def _paths(patched: PatchedFile, info: str) -> tuple[str, str, bool]:
    """(old path, new path, copied), from git's rename/copy headers when there are any: unidiff
    reports a copy as a rename, and its paths are still C-quoted."""
    source = unquote_path(patched.source_file or "")
    target = unquote_path(patched.target_file or "")
    old_path = _strip_prefix(source, "a/")
    new_path = _strip_prefix(target, "b/")
    copied = _header_values(info, "copy from ") is not None
    renamed_from = _header_values(info, "rename from ") or _header_values(info, "copy from ")
    renamed_to = _header_values(info, "rename to ") or _header_values(info, "copy to ")
    if renamed_from and renamed_to:
        old_path, new_path = unquote_path(renamed_from), unquote_path(renamed_to)
    return old_path, new_path, copied


def _status(patched: PatchedFile, old_path: str, new_path: str, copied: bool) -> FileStatus:
    if patched.is_binary_file:
        return "binary"
    if patched.is_added_file or copied:
        return "added"
    if patched.is_removed_file:
        return "deleted"
    if patched.is_rename or (old_path != new_path and old_path != "/dev/null"):
        return "renamed"
    return "modified"


def _hunk(index: int, raw_hunk: UnidiffHunk) -> tuple[Hunk, bool, bool]:
    """The hunk, whether any line ended in CR, and whether any line was not valid UTF-8 (such
    bytes are replaced, so the text is lossy)."""
    crlf = False
    lossy = False
    lines: list[DiffLine] = []
    for raw_line in raw_hunk:
        if raw_line.line_type == "\\":
            continue
        text = raw_line.value
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            crlf = True
            text = text[:-1]
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            lossy = True
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        kind = {"+": "add", "-": "del"}.get(raw_line.line_type, "ctx")
        lines.append(
            DiffLine(
                kind,  # type: ignore[arg-type]
                text,
                raw_line.source_line_no if kind != "add" else None,
                raw_line.target_line_no if kind != "del" else None,
            )
        )
    hunk = Hunk(
        index=index,
        old_start=raw_hunk.source_start,
        old_lines=raw_hunk.source_length,
        new_start=raw_hunk.target_start,
        new_lines=raw_hunk.target_length,
        section=(raw_hunk.section_header or "").strip(),
        lines=tuple(lines),
    )
    return hunk, crlf, lossy


def _file_from(patched: PatchedFile, transported_crlf: bool = False) -> FileDiff:
    info = str(patched.patch_info or "")
    old_path, new_path, copied = _paths(patched, info)
    status = _status(patched, old_path, new_path, copied)
    if (patched.is_removed_file and not patched.is_binary_file) or new_path == "/dev/null":
        new_path = old_path
    lossy = False
    crlf = transported_crlf
    hunks: list[Hunk] = []
    for index, raw_hunk in enumerate(patched):
        hunk, hunk_crlf, hunk_lossy = _hunk(index, raw_hunk)
        hunks.append(hunk)
        crlf = crlf or hunk_crlf
        lossy = lossy or hunk_lossy
    old_mode = _header_values(info, "old mode ") or _header_values(info, "deleted file mode ")
    new_mode = _header_values(info, "new mode ") or _header_values(info, "new file mode ")
    return FileDiff(
        path=new_path,
        status=status,
        hunks=tuple(hunks),
        old_path=old_path if copied or status == "renamed" else None,
        copied=copied,
        old_mode=old_mode,
        new_mode=new_mode,
        lossy=lossy,
        crlf=crlf,
    )
