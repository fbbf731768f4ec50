"""make rollback: back to the newest earlier release that worked, from GitHub's deployments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.core.github import GitHub
from {{ cookiecutter.package_name }}.core.records import RollbackReport
from {{ cookiecutter.package_name }}.ops.github_deployments import (
    Repository,
    deployments,
)
from {{ cookiecutter.package_name }}.ops.pin_image import DeployInputError
from {{ cookiecutter.package_name }}.ops.rollback import choose, from_github, model_of

from ..conftest import PROJECT
from .github_stand_in import github


def digest(byte: str) -> str:
    return "sha256:" + byte * 64


def deployment(number: int, release: str, image: str, *states: str, **model: str) -> dict[str, Any]:
    """One deployment as GitHub's REST API returns it, with its statuses (newest first)."""
    payload = {"release": release, "digest": digest(image), **model}
    return {
        "id": number,
        "environment": "production",
        "created_at": f"2026-11-0{number}T10:00:00Z",
        "payload": payload,
        "statuses": [{"state": state, "environment": "production"} for state in states],
    }


HISTORY = [
    # newest first, as GitHub lists them
    deployment(4, "v1.3.0", "d", "failure", "in_progress"),
    deployment(3, "v1.2.1", "c", "failure"),  # never worked: skipped
    deployment(2, "v1.2.0", "b", "inactive", "success"),  # worked, then replaced
    deployment(1, "v1.1.0", "a", "inactive", "success"),
]


def test_the_newest_earlier_release_that_worked_is_chosen() -> None:
    current, target = choose(from_github(HISTORY))

    assert (current.release, target.release) == ("v1.3.0", "v1.2.0")
    assert target.digest == digest("b")


def test_a_null_model_version_is_named_missing_not_read_as_text() -> None:
    record = deployment(1, "v1.1.0", "a", "success", registered_model="churn", run_id="r1")
    record["payload"]["version"] = None  # deploy.yml's payload for an unregistered model
    (found,) = from_github([record])

    with pytest.raises(DeployInputError, match=r"version missing"):
        model_of(found)


def test_a_redeploy_of_the_same_image_is_not_a_rollback() -> None:
    history = [deployment(3, "v1.2.0", "b", "success"), *HISTORY[2:]]

    _, target = choose(from_github(history))

    assert target.release == "v1.1.0"


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        ([], "no deployment is recorded"),
        (HISTORY[:2], "no earlier deployment than v1.3.0 reached success"),
    ],
)
def test_nothing_to_return_to_is_said(history: list[dict[str, Any]], reason: str) -> None:
    with pytest.raises(DeployInputError, match=reason):
        choose(from_github(history))


def test_the_deployments_are_read_from_githubs_rest_api() -> None:
    with github(HISTORY) as (api, state):
        records = deployments(Repository("o/r", GitHub(api, "t0ken")), "production")

    listed = "/repos/o/r/deployments?environment=production&per_page=30"
    assert state.calls[0][:2] == ("GET", listed)
    assert from_github(records) == from_github(HISTORY)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working copy holding deploy/base and params.yaml, with a SQLite MLflow store."""
    shutil.copytree(PROJECT / "deploy" / "base", tmp_path / "deploy" / "base")
    shutil.copy(PROJECT / "params.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def registered_versions(count: int) -> tuple[str, list[tuple[str, str]]]:
    """`count` versions of a registered model, each trained by its own run."""
    import mlflow

    mlflow.set_experiment("rollback")
    client = mlflow.MlflowClient()
    name = "rollback-model"
    client.create_registered_model(name)
    versions = []
    for _ in range(count):
        with mlflow.start_run() as run:
            mlflow.log_param("seed", 1)
        source = f"runs:/{run.info.run_id}/model"
        created = client.create_model_version(name, source, run.info.run_id)
        versions.append((created.version, run.info.run_id))
    return name, versions


def test_make_rollback_moves_the_digest_and_champion_back(project: Path) -> None:
    import mlflow

    from {{ cookiecutter.package_name }}.cli import main
    from {{ cookiecutter.package_name }}.tracking.registry import CHAMPION

    name, [(old, old_run), (new, new_run)] = registered_versions(2)
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, CHAMPION, new)
    served_before = {"registered_model": name, "version": old, "run_id": old_run}
    served_now = {"registered_model": name, "version": new, "run_id": new_run}
    history = [
        deployment(2, "v2.0.0", "e", "success", **served_now),
        deployment(1, "v1.0.0", "f", "inactive", "success", **served_before),
    ]
    (project / "history.json").write_text(json.dumps(history))

    assert main(["rollback", "--history", "history.json"]) == 0

    kustomization = yaml.safe_load((project / "deploy/base/kustomization.yaml").read_text())
    assert kustomization["images"][0]["digest"] == digest("f")
    champion = client.get_model_version_by_alias(name, CHAMPION)
    assert (champion.version, champion.tags["rolled_back_from"]) == (old, "v2.0.0")
    report = json.loads((project / "reports/rollback.json").read_text())  # as deploy.yml's step
    assert (report["from"]["release"], report["to"]["release"]) == ("v2.0.0", "v1.0.0")
    restored = RollbackReport.load(project / "reports/rollback.json").restored
    served = {key: str(value) for key, value in served_before.items()}  # GitHub's JSON: text
    assert restored.payload() == {"release": "v1.0.0", "digest": digest("f"), **served}


def test_a_release_that_names_no_model_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from {{ cookiecutter.package_name }}.cli import main

    before = (project / "deploy/base/kustomization.yaml").read_text()
    (project / "history.json").write_text(json.dumps(HISTORY))

    assert main(["rollback", "--history", "history.json"]) == 2

    assert "v1.2.0's deployment names no model" in capsys.readouterr().err
    assert (project / "deploy/base/kustomization.yaml").read_text() == before
    assert main(["rollback", "--history", "history.json", "--keep-champion"]) == 0
