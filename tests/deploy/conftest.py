"""The chart and image checks need tools that `.ci/deploy-setup` installs (Helm's engine,
the Kubernetes schemas, hadolint, the CRD validators). Without them a developer's run skips
these tests with the command to run; in CI (CI set) a missing tool fails them."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CRD = Path(__file__).resolve().parent / "crd"


def missing_tools() -> list[str]:
    missing = [
        name
        for name, module in (
            ("helm-python-sdk", "helm_python"),
            ("kubernetes-validate", "kubernetes_validate"),
        )
        if importlib.util.find_spec(module) is None
    ]
    if shutil.which("hadolint") is None:
        missing.append("hadolint")
    if shutil.which("node") is None or not (CRD / "node_modules" / "@kubernetes-models").is_dir():
        missing.append("the CRD validators (npm ci --prefix tests/deploy/crd)")
    return missing


def require_tools() -> None:
    missing = missing_tools()
    if not missing:
        return
    message = f"missing {', '.join(missing)}: run bash .ci/deploy-setup"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
