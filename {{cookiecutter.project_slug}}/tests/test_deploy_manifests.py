"""deploy/ agrees with the image it runs and with params.yaml's canary rules.

Change the Dockerfile's user or port, or a rule under `deploy:` in params.yaml, and these
name the manifest to change with it. (The template's own tests render every overlay and
validate it against the Kubernetes, Argo Rollouts and Gateway API schemas.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import PROJECT

DEPLOY = PROJECT / "deploy"


def load(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = yaml.safe_load(path.read_text())
    return content


def container() -> dict[str, Any]:
    deployment = load(DEPLOY / "base" / "deployment.yaml")
    first: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return first


def test_the_pod_runs_the_image_as_its_dockerfile_says() -> None:
    dockerfile = (PROJECT / "Dockerfile").read_text()
    user = re.search(r"(?m)^USER (\d+):(\d+)$", dockerfile)
    port = re.search(r"(?m)^EXPOSE (\d+)$", dockerfile)
    serve = container()

    assert user, "the Dockerfile names no USER uid:gid"
    assert port, "the Dockerfile names no EXPOSE port"
    assert serve["securityContext"]["runAsUser"] == int(user[1]), "deploy/base/deployment.yaml"
    assert serve["securityContext"]["runAsGroup"] == int(user[2]), "deploy/base/deployment.yaml"
    assert serve["ports"][0]["containerPort"] == int(port[1]), "deploy/base/deployment.yaml"
    log = next(env["value"] for env in serve["env"] if env["name"] == "SERVE_PREDICTION_LOG")
    assert f"mkdir -p {Path(log).parent} " in dockerfile  # the folder the image gives its user
    mounted = {mount["mountPath"] for mount in serve["volumeMounts"]}
    assert {str(Path(log).parent), "/tmp"} <= mounted  # writable under a read-only root
    assert serve["securityContext"]["readOnlyRootFilesystem"] is True
    assert serve["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    pod = load(DEPLOY / "base" / "deployment.yaml")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False  # the service never calls the API


def test_the_probes_ask_the_routes_the_service_has() -> None:
    package = PROJECT / "src" / "{{ cookiecutter.package_name }}"
    app = (package / "serve" / "app.py").read_text()
    serve = container()

    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        path = serve[probe]["httpGet"]["path"]
        assert f'.get("{path}"' in app, f"{probe}: the service has no GET {path}"


@pytest.fixture
def rules() -> dict[str, Any]:
    deploy = load(PROJECT / "params.yaml").get("deploy")
    if deploy is None:
        pytest.skip("params.yaml has no deploy section (make canary's rules)")
    rules: dict[str, Any] = deploy
    return rules


def test_the_argo_analysis_holds_params_yaml_rules(rules: dict[str, Any]) -> None:
    template = load(DEPLOY / "overlays" / "argo-canary" / "analysistemplate.yaml")
    metrics = {metric["name"]: metric for metric in template["spec"]["metrics"]}
    names = {"error-rate": "error_rate", "latency-p99": "latency_p99", "score-shift": "score_shift"}

    assert set(metrics) == set(names)
    for name, key in names.items():
        metric, tolerance = metrics[name], rules["metrics"][key]["tolerance"]
        where = f"analysistemplate.yaml {name}: deploy.metrics.{key} in params.yaml"
        assert metric["failureCondition"] == f"result[0] > {tolerance}", where
        assert metric["interval"] == f"{rules['interval_seconds']}s", where
        assert metric["failureLimit"] == rules["failure_limit"] - 1, where  # Argo: more than
        query = metric["provider"]["prometheus"]["query"]
        assert f">= {rules['min_requests']})" in query, where
        assert set(re.findall(r"\[(\w+)\]", query)) == {f"{rules['interval_seconds']}s"}, where
        # never a pass on no data: too little traffic answers -1, which is Inconclusive
        assert query.rstrip().endswith("or on() vector(-1)"), where
        assert metric["successCondition"].startswith("result[0] >= 0 &&"), where
        assert metric["inconclusiveLimit"] == 0, where
    errors = metrics["error-rate"]["provider"]["prometheus"]["query"]
    # a side without a 5xx series counts 0 errors, not no data
    assert errors.count('status=~"5..",') == errors.count(")) or vector(0))") == 2


def test_the_gateway_canary_sends_params_yaml_share(rules: dict[str, Any]) -> None:
    route = load(DEPLOY / "overlays" / "gateway-canary" / "httproute.yaml")
    weights = {ref["name"]: ref["weight"] for ref in route["spec"]["rules"][0]["backendRefs"]}
    challenger = next(weight for name, weight in weights.items() if name.endswith("-challenger"))

    assert challenger / sum(weights.values()) == pytest.approx(rules["share"]), "httproute.yaml"
