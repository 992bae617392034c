"""Rendering the chart with Helm's own engine (the Go SDK through helm-python-sdk) and
validating what it renders: built-in kinds against the Kubernetes OpenAPI schemas
(kubernetes-validate, strict: unknown fields are errors), custom resources with the
validators generated from KEDA's and prometheus-operator's API types (tests/deploy/crd)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "redline"
CRD = Path(__file__).resolve().parent / "crd"
VALUES = {
    "default": None,
    "all-features": CHART / "ci" / "all-features-values.yaml",
    "subcharts": CHART / "ci" / "subcharts-values.yaml",
}
# The chart's floor (Chart.yaml kubeVersion) and the newest schemas the validator ships.
KUBE_VERSIONS = ("1.27.0", "1.37.0")
CUSTOM = {"keda.sh/v1alpha1", "monitoring.coreos.com/v1"}
NAMESPACE = "review"
RELEASE = "redline"


def values(name: str) -> dict[str, Any]:
    path = VALUES[name]
    return {} if path is None else dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def render(given: dict[str, Any], release: str = RELEASE) -> list[dict[str, Any]]:
    """Every manifest the chart renders for `given` (merged over values.yaml by Helm, and
    checked against values.schema.json by Helm: a refusal raises HelmValuesError)."""
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(given, name=release, namespace=NAMESPACE, is_install=True)
    docs: list[dict[str, Any]] = []
    for path, text in sorted(files.items()):
        if path.endswith(".txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


@cache
def rendered(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(render(values(name)))


def builtin_errors(doc: dict[str, Any]) -> list[str]:
    import kubernetes_validate

    errors = []
    for version in KUBE_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            errors.append(
                f"{version}: {doc['kind']}/{doc['metadata']['name']} {where}: {exc.message}"
            )
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{version}: {exc.message}")
    return errors


def custom_reports(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = "".join(json.dumps(d) + "\n" for d in docs)
    done = subprocess.run(
        ["node", str(CRD / "validate.mjs")],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
        cwd=CRD,
        timeout=120,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def validation_errors(docs: list[dict[str, Any]]) -> list[str]:
    errors = [e for d in docs if d["apiVersion"] not in CUSTOM for e in builtin_errors(d)]
    custom = [d for d in docs if d["apiVersion"] in CUSTOM]
    reports = custom_reports(custom) if custom else []
    if len(reports) != len(custom):
        errors.append(f"{len(custom)} custom resources, {len(reports)} reports")
    errors.extend(f"{r['kind']}/{r['name']}: {r['error']}" for r in reports if not r["ok"])
    return errors


def of_kind(
    docs: tuple[dict[str, Any], ...] | list[dict[str, Any]], kind: str
) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(
    docs: tuple[dict[str, Any], ...] | list[dict[str, Any]], kind: str, suffix: str
) -> dict[str, Any]:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"].endswith(suffix)]
    assert len(found) == 1, f"{kind} *{suffix}: {len(found)} found"
    return found[0]


def pod_specs(docs: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Workload name -> its pod spec (Deployments and Jobs)."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }
