"""The Helm chart, rendered by Helm's own engine with the default values, an all-features
values file and the subcharts values file: every manifest validates against the Kubernetes
OpenAPI schemas (or, for KEDA and prometheus-operator resources, their own API types); the
REDLINE_* variables it sets are the ones redline reads, parse as real settings and include the
ones each pod needs; pods run locked down; the migration Job is the only thing that migrates;
values.schema.json refuses a release that lacks a secret it needs, naming the key."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.service.settings import NAMES, load_settings
from tests.deploy import chart
from tests.deploy.conftest import require_tools

pytestmark = pytest.mark.usefixtures("tools")
RENDERS = tuple(chart.VALUES)


@pytest.fixture(scope="module")
def tools() -> None:
    require_tools()


@pytest.mark.parametrize("name", RENDERS)
def test_every_manifest_validates(name: str) -> None:
    docs = list(chart.rendered(name))
    assert chart.validation_errors(docs) == []


def test_the_validators_refuse_what_a_cluster_would() -> None:
    def web() -> dict[str, Any]:
        return json.loads(json.dumps(chart.named(chart.rendered("default"), "Deployment", "-web")))

    typo, wrong_type = web(), web()
    typo["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}  # strict: unknown
    wrong_type["spec"]["replicas"] = "two"
    assert any("livenessProbes" in e for e in chart.validation_errors([typo]))
    assert any("replicas" in e for e in chart.validation_errors([wrong_type]))
    scaled = json.loads(
        json.dumps(chart.of_kind(chart.rendered("all-features"), "ScaledObject")[0])
    )
    del scaled["spec"]["triggers"][0]["metadata"]
    assert chart.validation_errors([scaled]) != []


def test_what_each_render_contains() -> None:
    kinds = {name: sorted(d["kind"] for d in chart.rendered(name)) for name in RENDERS}
    base = ["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "Job"]
    base += ["PodDisruptionBudget", "PodDisruptionBudget", "Service", "ServiceAccount"]
    assert kinds["default"] == sorted(base)
    extra = ["Deployment", "Ingress", "PrometheusRule", "ScaledObject", "Secret", "Secret"]
    extra += ["Service", "ServiceMonitor"]
    assert kinds["all-features"] == sorted(base + extra)
    assert kinds["subcharts"] == sorted([*base, "Secret"])


def test_helm_lint_finds_no_errors() -> None:
    import helm_python as helm

    for name in RENDERS:
        report = helm.lint(str(chart.CHART), chart.values(name), strict=False)
        errors = [m for m in report["messages"] if m["severity"] >= 3] + report["errors"]
        assert errors == [], (name, errors)
        # The one warning: the optional subcharts are declared but not fetched here.
        warnings = {m["error"] for m in report["messages"] if m["severity"] == 2}
        assert warnings <= {"chart directory is missing these dependencies: postgresql,redis"}, (
            warnings
        )


# --- settings: the REDLINE_* variables ------------------------------------------------------
def _container(docs: tuple[dict[str, Any], ...], workload: str) -> dict[str, Any]:
    spec = chart.pod_specs(docs)[f"{chart.RELEASE}-{workload}"]
    containers: list[dict[str, Any]] = spec["containers"]
    assert len(containers) == 1
    return containers[0]


def _variables(docs: tuple[dict[str, Any], ...], container: dict[str, Any]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    configmaps = {d["metadata"]["name"]: d["data"] for d in chart.of_kind(docs, "ConfigMap")}
    for source in container.get("envFrom", []):
        names |= set(configmaps[source["configMapRef"]["name"]])
    return {n for n in names if n.startswith("REDLINE_")}


@pytest.mark.parametrize("name", RENDERS)
def test_variables_are_known_and_the_required_ones_set(name: str) -> None:
    docs = chart.rendered(name)
    given = chart.values(name)
    github = given.get("github", {"enabled": True, "auth": "token"})  # values.yaml's
    gitlab = given.get("gitlab", {}).get("enabled", False)
    store = {"REDLINE_DATABASE_URL", "REDLINE_QUEUE_URL"}
    app = {"REDLINE_GITHUB_APP_ID", "REDLINE_GITHUB_PRIVATE_KEY"}
    need = {
        "web": store | {"REDLINE_GITHUB_WEBHOOK_SECRET"},
        "worker": store | (app if github["auth"] == "app" else {"REDLINE_GITHUB_TOKEN"}),
        "migrate": {"REDLINE_DATABASE_URL"},
    }
    if gitlab:
        need["web"] |= {"REDLINE_GITLAB_WEBHOOK_TOKEN"}
        need["worker"] |= {"REDLINE_GITLAB_TOKEN"}
    for workload, required in need.items():
        variables = _variables(docs, _container(docs, workload))
        assert variables - NAMES == set(), (workload, variables - NAMES)
        assert required - variables == set(), (workload, required - variables)
    # Least privilege: host credentials only in the workers, webhook secrets only in the web.
    assert "REDLINE_GITHUB_TOKEN" not in _variables(docs, _container(docs, "web"))
    assert "REDLINE_GITHUB_WEBHOOK_SECRET" not in _variables(docs, _container(docs, "worker"))


def test_every_variable_named_in_the_templates_is_known() -> None:
    """Also the branches no render here takes."""
    named = {
        m
        for path in (chart.CHART / "templates").iterdir()
        for m in re.findall(r"\bREDLINE_[A-Z0-9_]+", path.read_text(encoding="utf-8"))
    }
    assert named and named - NAMES == set(), named - NAMES


def test_values_schema_is_a_valid_json_schema() -> None:
    import jsonschema

    schema = json.loads((chart.CHART / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)


def _environ(docs: tuple[dict[str, Any], ...], container: dict[str, Any]) -> dict[str, str]:
    """The environment the kubelet would give the container: ConfigMaps, Secrets (the chart's;
    a subchart's as a placeholder), then $(VAR) references expanded in order."""
    configmaps = {d["metadata"]["name"]: d["data"] for d in chart.of_kind(docs, "ConfigMap")}
    secrets = {d["metadata"]["name"]: d["stringData"] for d in chart.of_kind(docs, "Secret")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], entry["value"])
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        data = secrets.get(ref["name"], {"password": "pw", "redis-password": "pw"})
        if ref["key"] in data:
            env[entry["name"]] = data[ref["key"]]
        else:
            assert ref.get("optional"), f"{entry['name']}: required key {ref['key']} missing"
    return env


@pytest.mark.parametrize("name", ["all-features", "subcharts"])
def test_rendered_environment_is_a_valid_configuration(name: str) -> None:
    docs = chart.rendered(name)
    web = load_settings(_environ(docs, _container(docs, "web")))
    worker = load_settings(_environ(docs, _container(docs, "worker")))
    for settings in (web, worker):
        assert settings.database_url and settings.database_url.startswith("postgresql://")
        assert settings.queue_url and settings.queue_url.startswith("redis://")
        assert not settings.embedded_queue
    assert web.github_webhook_secret is not None and web.github_token is None
    if name == "all-features":
        assert worker.github_app_id == "123456" and worker.github_private_key is not None
        assert web.gitlab_webhook_token is not None and worker.gitlab_token is not None
        assert worker.max_body_bytes == 26214400 and worker.review_drafts is True
    else:
        assert worker.github_token is not None
        assert worker.database_url == "postgresql://redline:pw@redline-postgresql:5432/redline"
    migrate = _environ(docs, _container(docs, "migrate"))
    assert load_settings(migrate).database_url == worker.database_url


# --- pods ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", RENDERS)
def test_every_pod_runs_non_root_read_only_without_escalation(name: str) -> None:
    for workload, spec in chart.pod_specs(chart.rendered(name)).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        assert spec["securityContext"]["runAsUser"] == 10001, workload  # the image's USER
        assert spec["automountServiceAccountToken"] is False, workload
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, workload
            assert context["allowPrivilegeEscalation"] is False, workload
            assert context["capabilities"]["drop"] == ["ALL"], workload
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, workload  # the one writable place


def test_web_probes_and_commands() -> None:
    docs = chart.rendered("default")
    web = _container(docs, "web")
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["args"][:1] == ["serve"] and web["args"][-2:] == ["--workers", "0"]
    assert _container(docs, "worker")["args"] == ["worker"]
    assert _container(docs, "migrate")["args"] == ["migrate"]
    service = chart.named(docs, "Service", "-web")
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_migration_runs_only_in_the_hook_job() -> None:
    for name in RENDERS:
        docs = chart.rendered(name)
        job = chart.named(docs, "Job", "-migrate")
        annotations = job["metadata"]["annotations"]
        expected = "post-install,pre-upgrade" if name == "subcharts" else "pre-install,pre-upgrade"
        assert annotations["helm.sh/hook"] == expected, name
        # A failed Job is kept for its logs (replaced by the next attempt), and not retried
        # without end: the upgrade fails and the old pods keep serving.
        assert "hook-failed" not in annotations["helm.sh/hook-delete-policy"]
        assert (
            job["spec"]["backoffLimit"] <= 2
            and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        )
        for workload, spec in chart.pod_specs(docs).items():
            if workload.endswith("-migrate"):
                continue
            for container in spec["containers"] + spec.get("initContainers", []):
                assert "migrate" not in container.get("args", []), workload
    # With the chart's own Secret, the pre-install Job reads a hook Secret made before it.
    docs = chart.rendered("all-features")
    job = chart.named(docs, "Job", "-migrate")
    hook_secret = chart.named(docs, "Secret", "-migrate")
    weight = int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert weight < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    ref = job["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == hook_secret["metadata"]["name"]


def test_scaling_and_monitoring_use_metrics_the_service_exports() -> None:
    from webhooks.metrics import Metrics

    metrics = Metrics(lambda: {"queued": 3, "dead": 1})
    metrics.deliveries.labels("github", "pull_request", "unauthorized").inc()
    exported = metrics.render().decode()
    docs = chart.rendered("all-features")
    scaled = chart.of_kind(docs, "ScaledObject")[0]
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"{chart.RELEASE}-worker"
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert "redline_queue_depth" in query and "redline_queue_depth 3.0" in exported
    rules = chart.of_kind(docs, "PrometheusRule")[0]["spec"]["groups"][0]["rules"]
    for rule in rules:
        for metric in re.findall(r"\b(redline_\w+)", rule["expr"]):
            assert re.search(rf"^{metric}[{{ ]", exported, re.M), (rule["alert"], metric)
    monitor = chart.of_kind(docs, "ServiceMonitor")[0]
    assert monitor["spec"]["endpoints"][0] == {
        "port": "http",
        "path": "/metrics",
        "interval": "30s",
    }
    ingress = chart.of_kind(docs, "Ingress")[0]
    paths = {p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/webhooks", "/api"}  # never /metrics from the outside
    hpa = chart.named(docs, "HorizontalPodAutoscaler", "-web")
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_vllm_on_a_gpu_node_with_the_speculative_config() -> None:
    import yaml

    defaults = yaml.safe_load((chart.CHART / "values.yaml").read_text(encoding="utf-8"))
    docs = chart.rendered("all-features")
    vllm = chart.pod_specs(docs)[f"{chart.RELEASE}-vllm"]
    container = vllm["containers"][0]
    assert container["command"] == ["vllm", "serve"]
    assert container["args"][0] == defaults["vllm"]["model"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert vllm["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    given = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--speculative-config=")]
    assert [json.loads(g) for g in given] == [defaults["vllm"]["speculativeConfig"]]
    assert chart.named(docs, "Service", "-vllm")["spec"]["ports"][0]["port"] == 8000


# --- values.schema.json ---------------------------------------------------------------------
def _refusal(given: dict[str, Any]) -> str:
    import helm_python as helm

    with pytest.raises(helm.HelmValuesError) as caught:
        chart.render(given)
    return str(caught.value)


def test_missing_secret_is_refused_naming_the_key() -> None:
    own = {
        "secrets": {"existingSecret": "", "githubToken": "t"},
        "database": {"url": "postgresql://redline@db/redline"},
        "queue": {"url": "redis://redis:6379/0"},
    }
    assert "/secrets/githubWebhookSecret" in _refusal(own)
    app = {**own, "github": {"enabled": True, "auth": "app", "appId": 7}}
    app["secrets"] = {**own["secrets"], "githubWebhookSecret": "s"}
    assert "/secrets/githubPrivateKey" in _refusal(app)
    gitlab = {**own, "gitlab": {"enabled": True}}
    gitlab["secrets"] = {**own["secrets"], "githubWebhookSecret": "s", "gitlabWebhookToken": "g"}
    assert "/secrets/gitlabToken" in _refusal(gitlab)
    no_url = {**own, "database": {"url": ""}}
    no_url["secrets"] = {**own["secrets"], "githubWebhookSecret": "s"}
    assert "/database/url" in _refusal(no_url)
    # Complete, the same values render.
    assert chart.render({**no_url, "database": own["database"]})


def test_other_bad_values_are_refused_naming_the_key() -> None:
    assert "/github/appId" in _refusal({"github": {"enabled": True, "auth": "app"}})
    # An existing Secret holds the secrets: one given here too would be ignored, so refused.
    assert "/secrets/githubToken" in _refusal({"secrets": {"githubToken": "t"}})
    assert "'secret'" in _refusal({"secret": {"githubToken": "t"}})  # a misspelt key
    assert "/queue/url" in _refusal(
        {"secrets": {"existingSecret": ""}, "queue": {"url": "http://x"}}
    )
    assert "/github/enabled" in _refusal({"github": {"enabled": False}})  # no host at all
