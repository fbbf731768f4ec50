"""deploy.yml's records: each deployment and its statuses, as delivery metrics read them back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.ops.rollback import choose, from_github

from ..conftest import PROJECT
from ..records_data import serving_metadata
from .github_stand_in import github

DIGEST = "sha256:" + "1f" * 32
METADATA = serving_metadata(registered_model="churn", version="7", run_id="a" * 32)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout after `make image-metadata`, in a workflow's environment."""
    shutil.copytree(PROJECT / "deploy" / "base", tmp_path / "deploy" / "base")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "image-digest").write_text(DIGEST + "\n")
    (tmp_path / "reports" / "image-metadata.json").write_text(json.dumps(METADATA))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GH_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    monkeypatch.setenv("GITHUB_RUN_ID", "99")
    monkeypatch.setenv("RELEASE", "v1.4.0")
    return tmp_path


def test_without_a_cluster_the_check_says_what_to_set_and_passes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBECONFIG_DATA", raising=False)

    assert main(["deployment", "check"]) == 0

    assert "the secret KUBECONFIG" in capsys.readouterr().err
    assert "no cluster configured" in (workdir / "summary").read_text()
    assert (workdir / "output").read_text() == "configured=false\n"
    monkeypatch.setenv("KUBECONFIG_DATA", "apiVersion: v1\nkind: Config\n")
    assert main(["deployment", "check"]) == 0
    assert (workdir / "output").read_text().splitlines()[-1] == "configured=true"


def test_a_deployment_is_recorded_with_its_image_and_model_then_its_outcome(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with github() as (api, state):
        monkeypatch.setenv("GITHUB_API_URL", api)
        assert main(["deployment", "start", "--environment", "production"]) == 0
        assert main(["deployment", "finish", "--id", "1", "--state", "success"]) == 0

    (created, *_), (method, path, body) = state.records, state.calls[0]
    assert (method, path) == ("POST", "/repos/o/r/deployments")
    assert (body["ref"], body["environment"], body["production_environment"]) == (
        "v1.4.0",
        "production",
        True,
    )
    assert created["payload"] == {"release": "v1.4.0", "digest": DIGEST} | {
        key: METADATA[key] for key in ("registered_model", "version", "run_id")
    }
    assert [status["state"] for status in created["statuses"]] == ["success", "in_progress"]
    assert created["statuses"][0]["log_url"].endswith("/o/r/actions/runs/99")
    assert (workdir / "output").read_text() == "id=1\n"


def test_a_rollback_is_recorded_as_the_older_release_again_and_the_newer_inactive(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with github() as (api, state):
        monkeypatch.setenv("GITHUB_API_URL", api)
        releases = (("v1.3.0", "sha256:" + "0a" * 32), ("v1.4.0", DIGEST))
        for number, (release, digest) in enumerate(releases, start=1):
            monkeypatch.setenv("RELEASE", release)
            (workdir / "reports" / "image-digest").write_text(digest)
            assert main(["deployment", "start", "--environment", "production"]) == 0
            assert main(["deployment", "finish", "--id", str(number), "--state", "success"]) == 0

        assert main(["rollback", "--keep-champion"]) == 0
        assert main(["deployment", "rolled-back"]) == 0

        kustomization = yaml.safe_load((workdir / "deploy/base/kustomization.yaml").read_text())
        assert kustomization["images"][0]["digest"] == "sha256:" + "0a" * 32
        again, newer, _ = state.records
        assert (again["payload"]["release"], again["statuses"][0]["state"]) == ("v1.3.0", "success")
        assert newer["statuses"][0]["state"] == "inactive"
        assert newer["statuses"][0]["description"] == "rolled back to v1.3.0"
        # The next rollback starts from the release now serving.
        current, _ = choose(from_github(state.records))
        assert current.release == "v1.3.0"


def test_a_refusal_by_github_is_named(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GH_TOKEN", "wrong")
    with github() as (api, _):
        monkeypatch.setenv("GITHUB_API_URL", api)

        assert main(["deployment", "start", "--environment", "staging"]) == 2

    refusal = capsys.readouterr().err
    assert "GitHub answered 401 to POST " in refusal
    assert "/repos/o/r/deployments" in refusal
    assert "GITHUB_TOKEN is missing or invalid" in refusal
