"""The training corpus: Python source already on this machine (the standard library and the
installed site-packages), deduplicated and split by top-level package into train/val/test, so
evaluation runs on packages the models never saw. Built by the training commands, never
committed."""

from __future__ import annotations

import hashlib
import json
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Projects whose real commits we evaluate on (../shared/data): kept out of every split so the
# noise and entropy figures are measured on code the models never saw.
EVALUATED_PROJECTS = frozenset(
    {
        "github",
        "gitlab",
        "crosshair",
        "deal",
        "icontract",
        "gidgethub",
        "bedevere",
        "pr_agent",
        "deal_solver",
        "_icontract",
    }
)
# Our own code and the installer's vendored copies add nothing but duplicates.
EXCLUDED = EVALUATED_PROJECTS | frozenset(
    {
        "bot",
        "webhooks",
        "review_models",
        "ordering",
        "verify",
        "engine",
        "site-packages",
        "__pycache__",
        "test",
        "tests",
        "idlelib",
        "lib2to3",
        "pydoc_data",
        "ensurepip",
    }
)
MAX_FILE_BYTES = 200_000
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SourceFile:
    package: str
    path: str
    split: str


def split_of(package: str) -> str:
    bucket = int(hashlib.sha1(package.encode()).hexdigest(), 16) % 20
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


def is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(p in ("test", "tests", "testing", "testsuite") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def _units() -> Iterator[tuple[str, Path, Path]]:
    """(package, root, path) for every .py file, package = top-level module or package."""
    paths = sysconfig.get_paths()
    stdlib = Path(paths["stdlib"])
    purelib = Path(paths["purelib"])
    roots = [(stdlib, "stdlib:"), (purelib, "")]
    if Path(paths["platlib"]) != purelib:
        roots.append((Path(paths["platlib"]), ""))
    for root, prefix in roots:
        for child in sorted(root.iterdir()):
            name = child.name[:-3] if child.name.endswith(".py") else child.name
            if (
                name in EXCLUDED
                or name.endswith((".dist-info", ".egg-info"))
                or name.startswith(".")
            ):
                continue
            if child.is_file() and child.suffix == ".py":
                yield prefix + name, root, child
            elif child.is_dir():
                for path in sorted(child.rglob("*.py")):
                    yield prefix + name, root, path


def collect() -> list[SourceFile]:
    """All corpus files, deduplicated by content (vendored copies appear once)."""
    seen: set[str] = set()
    out = []
    for package, root, path in _units():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) > MAX_FILE_BYTES or len(data) < 200:
            continue
        digest = hashlib.sha1(b"".join(data.split())).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        split = split_of(package)
        rel = str(path.relative_to(root))
        if split != "train" and is_test_path(rel):
            continue  # no test files in evaluation
        out.append(SourceFile(package, str(path), split))
    return out


def write_manifest(files: list[SourceFile], target: Path) -> dict[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {s: 0 for s in SPLITS}
    with target.open("w", encoding="utf-8") as out:
        for item in files:
            counts[item.split] += 1
            out.write(json.dumps(item.__dict__) + "\n")
    return counts


def read_manifest(path: Path) -> list[SourceFile]:
    with path.open(encoding="utf-8") as handle:
        return [SourceFile(**json.loads(line)) for line in handle]


def read_source(item: SourceFile) -> str | None:
    try:
        return Path(item.path).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
