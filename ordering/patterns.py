"""Import facts for JavaScript/TypeScript, Go and Java by pattern, and path heuristics for the
rest. No parser: import statements are regular enough, and this keeps ordering fast."""

from __future__ import annotations

import posixpath
import re

from ordering.facts import FileFacts, FileKind, OrderInput

_JS_IMPORT = re.compile(
    r"""(?:import\s[^'"]*?from\s*|import\s*\(?\s*|require\s*\(\s*|export\s[^'"]*?from\s*)"""
    r"""['"](\.{1,2}/[^'"]+)['"]"""
)
_JS_EXPORT = re.compile(
    r"export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)"
    r"\s+([A-Za-z_$][\w$]*)"
)
_GO_IMPORT_BLOCK = re.compile(r"import\s*\(([^)]*)\)", re.S)
_GO_IMPORT_ONE = re.compile(r'import\s+(?:\w+\s+)?"([^"]+)"')
_GO_FUNC = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", re.M)
_GO_TYPE = re.compile(r"^type\s+([A-Za-z_]\w*)", re.M)
_JAVA_IMPORT = re.compile(r"^import\s+(?:static\s+)?([\w.]+)\s*;", re.M)
_JAVA_DECL = re.compile(
    r"(?:class|interface|enum|record)\s+([A-Z]\w*)|(?:public|protected|static)[\w<>\[\], ]*\s"
    r"([a-z]\w*)\s*\("
)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_JS_EXTS = (
    "",
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    "/index.ts",
    "/index.tsx",
    "/index.js",
)


def _changed_text(item: OrderInput) -> str:
    if item.text is None:
        return ""
    lines = item.text.split("\n")
    return "\n".join(lines[n - 1] for n in sorted(item.changed_lines) if 0 < n <= len(lines))


def js_facts(item: OrderInput, kind: FileKind, known_paths: frozenset[str]) -> FileFacts:
    text = item.text or ""
    imports = set()
    directory = posixpath.dirname(item.path)
    for match in _JS_IMPORT.finditer(text):
        target = posixpath.normpath(posixpath.join(directory, match.group(1)))
        for ext in _JS_EXTS:
            if target + ext in known_paths:
                imports.add(target + ext)
                break
        else:
            imports.add(target)
    changed = _changed_text(item)
    defines = frozenset(m.group(1) for m in _JS_EXPORT.finditer(changed))
    uses = frozenset(_IDENT.findall(changed)) - defines
    return FileFacts(item.path, kind, item.path, defines, uses, frozenset(imports))


def go_facts(item: OrderInput, kind: FileKind) -> FileFacts:
    text = item.text or ""
    imports = set(_GO_IMPORT_ONE.findall(text))
    for block in _GO_IMPORT_BLOCK.findall(text):
        imports.update(re.findall(r'"([^"]+)"', block))
    changed = _changed_text(item)
    defines = frozenset(_GO_FUNC.findall(changed)) | frozenset(_GO_TYPE.findall(changed))
    uses = frozenset(_IDENT.findall(changed)) - defines
    return FileFacts(
        item.path, kind, posixpath.dirname(item.path), defines, uses, frozenset(imports)
    )


def java_facts(item: OrderInput, kind: FileKind) -> FileFacts:
    text = item.text or ""
    imports = frozenset(_JAVA_IMPORT.findall(text))
    changed = _changed_text(item)
    defines = set()
    for match in _JAVA_DECL.finditer(changed):
        defines.add(match.group(1) or match.group(2))
    uses = frozenset(_IDENT.findall(changed)) - frozenset(defines)
    module = item.path[:-5].replace("/", ".") if item.path.endswith(".java") else item.path
    return FileFacts(item.path, kind, module, frozenset(defines), uses, imports)


def plain_facts(item: OrderInput, kind: FileKind) -> FileFacts:
    changed = _changed_text(item)
    return FileFacts(item.path, kind, None, frozenset(), frozenset(_IDENT.findall(changed)))
