"""Hooks: bad answers are rejected by name and leave nothing; the post-gen hook sets up git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import bake


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            {"project_slug": "Customer Churn", "package_name": "churn"},
            "project_slug='Customer Churn'",
        ),
        ({"project_slug": "1churn", "package_name": "churn"}, "is not kebab-case"),
        ({"project_slug": "churn--model", "package_name": "churn"}, "is not kebab-case"),
        (
            {"package_name": "my-model"},
            "package_name='my-model' is not a lowercase Python identifier",
        ),
        ({"package_name": "Churn"}, "not a lowercase Python identifier"),
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "json"}, "shadows the standard-library module 'json'"),
        ({"package_name": "test"}, "shadows the standard-library module 'test'"),
        ({"author_email": "not-an-email"}, "author_email='not-an-email'"),
        ({"github_owner": "-bad-owner"}, "github_owner='-bad-owner'"),
        ({"code_owners": "acme"}, "code_owners='acme' is not a list of CODEOWNERS owners"),
        ({"code_owners": "@acme/ml team"}, "code_owners='@acme/ml team'"),
        ({"code_owners": ""}, "code_owners=''"),
        ({"project_name": "   ", "project_slug": "churn", "package_name": "churn"}, "project_name"),
        ({"description": 'The "best" model'}, "description='The \"best\" model' contains a double"),
        ({"author_name": "A\\B"}, "author_name='A\\\\B' contains"),
        ({"dvc_remote": "s3://My_Bucket/churn"}, "dvc_remote='s3://My_Bucket/churn' is not a"),
        ({"dvc_remote": "gs://b"}, "the bucket name takes 3 to 63"),
        ({"dvc_remote": "azure://a--b/churn"}, "the container name takes 3 to 63"),
        ({"dvc_remote": "ftp://host/churn"}, "uses a scheme this template does not set up"),
        ({"dvc_remote": "dvc-storage"}, "dvc_remote='dvc-storage' is not an absolute path"),
        ({"dvc_remote": "/mnt/my data"}, "contains a space, quote, backslash or line break"),
    ],
)
def test_bad_answer_is_rejected_and_nothing_is_left(
    answers: dict[str, str], message: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        bake(tmp_path, offline=True, **answers)

    assert message in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        bake(tmp_path, offline=True, package_name="json", author_email="nope", github_owner="a--b")

    errors = capfd.readouterr().err
    assert "package_name" in errors
    assert "author_email" in errors
    assert "github_owner" in errors


@pytest.mark.parametrize(
    ("variable", "value"),
    [("python_version", "3.9"), ("task", "clustering"), ("model", "svm"), ("license", "GPL-3.0")],
)
def test_unsupported_choice_is_rejected_by_name(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"{value} provided for choice variable {variable}"):
        bake(tmp_path, offline=True, **{variable: value})

    assert list(tmp_path.iterdir()) == []


def test_project_in_an_ignored_folder_of_a_repository_gets_its_own(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")

    project = bake(tmp_path / "generated", offline=True)

    assert (project / ".git").is_dir()


def test_project_inside_a_repository_joins_it(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)

    project = bake(tmp_path / "monorepo", offline=True)

    assert not (project / ".git").exists()
