"""The generated project's fake GitHub answers in GitHub's own shapes (its OpenAPI description).

The generated project's tests/delivery/github_fake.py serves a repository's delivery record; its
answers are validated here against GitHub's OpenAPI description (the npm package
@octokit/openapi, fetched at test time and never committed), so the known answers the project's
tests check are answers to what GitHub really sends. (The make target runs end to end against
that fake in delivery.yml's run, tests/test_workflow_scheduled.py; the command's known answers
are the project's tests/delivery/test_kpis.py.)
"""

from __future__ import annotations

import json
import tarfile
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from .conftest import TEMPLATE, run
from .workflow_fixtures import generated_module

OPENAPI = "@octokit/openapi@23.0.2"  # GitHub's REST description (github/rest-api-description)
FAKE = TEMPLATE / "{{cookiecutter.project_slug}}" / "tests" / "delivery" / "github_fake.py"


def load_fake() -> ModuleType:
    """The generated project's fake GitHub, imported from the template (it needs no package)."""
    return generated_module(FAKE)


@pytest.fixture(scope="module")
def description(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    packed = run(f"npm pack --silent {OPENAPI}", folder).stdout.strip().splitlines()[-1]
    with tarfile.open(folder / packed) as archive:
        member = archive.extractfile("package/generated/api.github.com.json")
        assert member is not None
        document: dict[str, Any] = json.load(member)
    return document


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's schema objects as JSON Schema: `nullable: true` admits null."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if not node.get("nullable"):
        return converted
    if "type" in converted and "enum" not in converted:
        converted["type"] = [converted["type"], "null"]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


def schema_of(document: dict[str, Any], path: str, status: int) -> dict[str, Any]:
    """The JSON schema GitHub documents for GET `path` answering `status`."""
    if status != 200:  # a refusal: GitHub's error body
        return {"$ref": "#/components/schemas/basic-error"}
    answer = document["paths"][path]["get"]["responses"][str(status)]
    content = answer["content"]
    media = "application/json" if "application/json" in content else next(iter(content))
    found: dict[str, Any] = content[media]["schema"]
    return found


def test_the_fake_githubs_answers_match_githubs_openapi_description(
    description: dict[str, Any],
) -> None:
    fake = load_fake()
    components = {"components": json_schema(description["components"])}
    checked: dict[str, int] = {}
    for path, status, body in fake.known_scenario().responses():
        schema = {**components, **json_schema(schema_of(description, path, status))}
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(body))
        assert not errors, f"GET {path} ({status}): " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
        )
        checked[path] = checked.get(path, 0) + 1

    assert len(checked) == 8  # every route the report reads
    assert checked["/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"] == 10


def test_a_broken_payload_is_caught(description: dict[str, Any]) -> None:
    fake = load_fake()
    path, status, deployments = fake.known_scenario().responses()[0]
    del deployments[0]["sha"]
    deployments[1]["created_at"] = 20261006
    schema = {
        "components": json_schema(description["components"]),
        **json_schema(schema_of(description, path, status)),
    }

    messages = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(deployments)]
    assert "'sha' is a required property" in messages
    assert "20261006 is not of type 'string'" in messages
