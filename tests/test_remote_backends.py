"""A project with an s3:// DVC remote and an MLflow server, against real backends on loopback.

One S3 API (moto in server mode), one PostgreSQL and one MLflow server (PostgreSQL backend
store, artifacts in S3) serve every check; one generated project is trained once on a
developer's machine (local SQLite MLflow store) and pushed; a fresh clone pulls it:
- `dvc repro` in the clone runs no stage and the gate passes, re-scoring as CI does;
- each stage re-runs alone there, with an empty local MLflow store;
- trained against the server, runs and registered versions (with their lineage) outlive the
  server process: a new server on the same stores shows them to a fresh client;
- a release points `champion` at the version it ships, and its notes are complete from the
  serving metadata alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .backends import S3, mlflow_server, moto_s3, postgres
from .conftest import bake, project_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("remote-backends")]  # one origin, one server

DVC_BUCKET = "dvc-store"
MLFLOW_BUCKET = "mlflow-artifacts"
STAGES = ("generate", "data", "train", "evaluate", "export")
LINEAGE = {"git_commit", "data_sha256", "params_sha256", "golden_sha256"}


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[S3, str]]:
    folder = tmp_path_factory.mktemp("backends")
    with moto_s3(folder, (DVC_BUCKET, MLFLOW_BUCKET)) as s3, postgres("mlflow") as database:
        yield s3, database


@pytest.fixture(scope="module")
def origin(backends: tuple[S3, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A developer's project: trained with the default local MLflow store, committed, pushed."""
    s3, _ = backends
    root = bake(tmp_path_factory.mktemp("origin"), dvc_remote=f"s3://{DVC_BUCKET}/churn")
    run("make install", root)
    run("make repro", root)
    # --no-verify: the hooks (mypy from cold) are the journeys' subject, not this origin's
    run("git add -A && git commit --quiet --no-verify -m 'Trained model'", root)
    run("make push", root, env=s3.env)
    return root


@pytest.fixture(scope="module")
def clone(origin: Path, backends: tuple[S3, str]) -> Path:
    """A fresh clone (CI's checkout) that pulled data, outputs and the run-cache."""
    s3, _ = backends
    root = origin.parent / "clone"
    run(f"git clone --quiet {origin} {root}", origin.parent)
    run("make install", root)
    run("make pull", root, env=s3.env)
    return root


# Run by a fresh Python process (a fresh client) in the project: what the store holds.
QUERY = """
import json, os, sys
import mlflow

name = sys.argv[1]
client = mlflow.MlflowClient()
versions = client.search_model_versions(f"name = '{name}'")
runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
model = mlflow.artifacts.download_artifacts(f"models:/{name}/{versions[0].version}")
aliases = {}
for alias in ("challenger", "champion"):
    try:
        found = client.get_model_version_by_alias(name, alias)
    except mlflow.exceptions.MlflowException:
        continue
    aliases[alias] = found.version
print(json.dumps({
    "versions": {v.version: {"run": v.run_id, "tags": v.tags} for v in versions},
    "runs": {r.info.run_id: r.data.metrics for r in runs},
    "aliases": aliases,
    "model_files": sorted(os.listdir(model)),
}))
"""


def registry_state(root: Path, uri: str, name: str) -> dict[str, Any]:
    script = root.parent / "query_registry.py"
    script.write_text(QUERY)
    result = run(f"uv run --locked python {script} {name}", root, env={"MLFLOW_TRACKING_URI": uri})
    state: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return state


def test_origin_pushes_every_output_and_the_run_cache(
    origin: Path, backends: tuple[S3, str]
) -> None:
    s3, _ = backends
    keys = s3.keys(DVC_BUCKET)

    assert any(key.startswith("churn/runs/") for key in keys), "no run-cache entries pushed"
    assert any(key.startswith("churn/files/md5/") for key in keys)
    # The linked cache: the workspace file is the cache file, not a copy of it.
    raw = origin / "data" / "raw" / "customers.csv"
    lock = (origin / "dvc.lock").read_text()
    digest = lock.split("path: data/raw/customers.csv")[1].split("md5: ")[1].split()[0]
    cached = origin / ".dvc" / "cache" / "files" / "md5" / digest[:2] / digest[2:]
    assert raw.samefile(cached)


def test_pulled_clone_reproduces_nothing_and_passes_the_gate_rescored(clone: Path) -> None:
    output = run("make repro", clone).stdout

    assert "Running stage" not in output
    for stage in STAGES:
        assert f"Stage '{stage}' didn't change, skipping" in output
    assert not (clone / "mlflow.db").exists()

    # CI re-scores (evaluate, export) with an empty local MLflow store: the training run
    # lives in the developer's mlflow.db only.
    gate = run("make gate", clone, env={"CI": "true", "GATE_BASELINE_REF": "origin/main"})

    assert "## Model gate: PASSED" in gate.stdout
    assert "not in this MLflow store" in gate.stderr  # a warning: logged


def test_each_stage_reruns_alone_with_an_empty_local_mlflow_store(clone: Path) -> None:
    for stage in STAGES:
        (clone / "mlflow.db").unlink(missing_ok=True)

        result = run(f"uv run --locked dvc repro --force --single-item {stage}", clone)

        assert f"Running stage '{stage}'" in result.stdout


@pytest.fixture(scope="module")
def server(clone: Path, backends: tuple[S3, str]) -> Iterator[str]:
    """The clone retrains against an MLflow server, which then stops.

    A new server on the same PostgreSQL and S3 stores is what the checks below query.
    """
    s3, database = backends
    server_env = {**project_env(), **s3.env}
    artifacts = f"s3://{MLFLOW_BUCKET}"
    with mlflow_server(clone, database, artifacts, server_env) as uri:
        command = "uv run --locked dvc repro --force --downstream train"
        run(command, clone, env={"MLFLOW_TRACKING_URI": uri})
    with mlflow_server(clone, database, artifacts, server_env) as uri:
        yield uri


def test_runs_and_versions_outlive_the_mlflow_server(
    clone: Path, server: str, backends: tuple[S3, str]
) -> None:
    s3, _ = backends
    trained = json.loads((clone / "models" / "run.json").read_text())

    seen = registry_state(clone, server, trained["registered_model"])

    version = seen["versions"][trained["version"]]
    assert version["run"] == trained["run_id"]
    assert seen["aliases"]["challenger"] == trained["version"]
    for registered in seen["versions"].values():
        assert set(registered["tags"]) >= LINEAGE, registered
    assert version["tags"]["params_sha256"] == trained["lineage"]["params_sha256"]
    assert version["tags"]["git_commit"] == trained["lineage"]["git_commit"]
    assert "golden_roc_auc" in seen["runs"][trained["run_id"]]
    assert "MLmodel" in seen["model_files"]
    assert any(key.endswith("/MLmodel") for key in s3.keys(MLFLOW_BUCKET))


def test_release_points_champion_at_the_version_it_ships(clone: Path, server: str) -> None:
    shipped = json.loads((clone / "models" / "serving" / "metadata.json").read_text())
    tracking = {"MLFLOW_TRACKING_URI": server}

    run("make champion RELEASE=v1.0.0", clone, env=tracking)

    seen = registry_state(clone, server, shipped["registered_model"])
    assert seen["aliases"]["champion"] == shipped["version"]
    assert seen["versions"][shipped["version"]]["tags"]["release"] == "v1.0.0"

    # A model trained against another store (same version number, another run) is refused.
    foreign = clone.parent / "foreign-metadata.json"
    foreign.write_text(json.dumps({**shipped, "run_id": "0" * 32}))
    result = run(f"make champion SERVING_METADATA={foreign}", clone, check=False, env=tracking)
    assert result.returncode != 0
    assert "was trained by run" in result.stderr


def test_release_notes_are_complete_from_the_serving_metadata_alone(
    origin: Path, clone: Path
) -> None:
    """The release job's checkout at the tag: no pipeline outputs, no committed scores."""
    checkout = origin.parent / "release-checkout"
    run(f"git clone --quiet {origin} {checkout}", origin.parent)
    for committed in ("metrics/golden.json", "dvc.lock"):
        (checkout / committed).unlink()
    metadata = clone / "models" / "serving" / "metadata.json"
    shipped = json.loads(metadata.read_text())

    run(f"make model-card RELEASE=v1.0.0 SERVING_METADATA={metadata}", checkout)

    card = (checkout / "reports" / "model-card.md").read_text()
    assert "not available" not in card
    assert "Missing inputs" not in card
    assert f"version {shipped['version']}" in card
    assert shipped["lineage"]["data_sha256"] in card
