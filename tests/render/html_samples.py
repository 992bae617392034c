"""Review documents for the page tests, built as the document format describes them
(docs/review-json.md, with `lines=True`), and a small DOM reader over the page's HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


def hunk(
    start: int,
    added: list[str],
    removed: list[str] | None = None,
    context: int = 2,
    attention: str = "read",
    heat: float = 0.5,
    note: str | None = None,
) -> dict[str, Any]:
    """A hunk: `context` lines, the removed lines, the added lines, `context` lines."""
    removed = removed or []
    rows: list[dict[str, Any]] = []
    old, new = start, start
    for i in range(context):
        rows.append({"kind": "ctx", "old": old, "new": new, "text": f"context_{start}_{i} = {i}"})
        old, new = old + 1, new + 1
    for text in removed:
        rows.append({"kind": "del", "old": old, "new": None, "text": text})
        old += 1
    heat_rows = []
    for text in added:
        rows.append({"kind": "add", "old": None, "new": new, "text": text})
        heat_rows.append({"line": new, "surprisal": round(heat * 10, 2), "heat": heat})
        new += 1
    for i in range(context):
        rows.append({"kind": "ctx", "old": old, "new": new, "text": f"after_{start}_{i} = {i}"})
        old, new = old + 1, new + 1
    out: dict[str, Any] = {
        "old_start": start,
        "old_lines": context * 2 + len(removed),
        "new_start": start,
        "new_lines": context * 2 + len(added),
        "risk": 0.25,
        "entropy": 3.5,
        "attention": attention,
        "lines": heat_rows,
        "diff": rows,
    }
    if note:
        out["note"] = note
    return out


def finding(
    path: str, line: int, message: str = "`eval` of untrusted input", **extra: Any
) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "end_line": extra.pop("end_line", line),
        "side": extra.pop("side", "new"),
        "severity": extra.pop("severity", "error"),
        "source": extra.pop("source", "semgrep"),
        "rule": extra.pop("rule", "eval-use"),
        "message": message,
        "score": extra.pop("score", 0.9),
        "fingerprint": extra.pop("fingerprint", f"{path}:{line}:fingerprint"),
        "suggestion": extra.pop("suggestion", None),
    }


def document(
    files: list[dict[str, Any]] | None = None,
    findings: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    files = files if files is not None else []
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "redline", "version": "test"},
        "paranoia": "default",
        "files": files,
        "groups": extra.pop(
            "groups",
            [{"label": "All", "reason": "one group", "paths": [f["path"] for f in files]}],
        ),
        "findings": findings or [],
        "gate": extra.pop("gate", {"failed": False, "reasons": [], "fail_on": "error"}),
        "coverage": extra.pop(
            "coverage",
            {"files_reviewed": len(files), "files_skipped": [], "notes": [], "suppressions": []},
        ),
        "analyzers": extra.pop(
            "analyzers", [{"name": "semgrep", "version": "1", "ms": 12, "status": "ok"}]
        ),
    }
    doc.update(extra)
    return doc


def file(path: str, hunks: list[dict[str, Any]], reason: str = "defines things") -> dict[str, Any]:
    return {"path": path, "status": "modified", "reason": reason, "hunks": hunks}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            if isinstance(child, Node):
                out += child.walk()
        return out

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and all(
                (n.attrs.get(k.rstrip("_")) or "").split().count(v) > 0
                if k == "class_"
                else n.attrs.get(k) == v
                for k, v in attrs.items()
            )
        ]


_VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "wbr"}


class DOM(HTMLParser):
    """A small tree builder (stdlib parser) that knows the optional end tags the page uses."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.node = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        closes = {"td": {"td"}, "tr": {"tr", "td"}, "li": {"li"}, "tbody": {"tr", "td"}}
        while self.node.tag in closes.get(tag, set()):
            assert self.node.parent is not None
            self.node = self.node.parent
        node = Node(tag, dict(attrs), self.node)
        self.node.children.append(node)
        if tag not in _VOID:
            self.node = node

    def handle_endtag(self, tag: str) -> None:
        probe: Node | None = self.node
        while probe is not None and probe.tag != tag:
            probe = probe.parent
        if probe is not None and probe.parent is not None:
            self.node = probe.parent

    def handle_data(self, data: str) -> None:
        self.node.children.append(data)
