"""Step outputs, the job summary and the run's address, inside a workflow run and outside one."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.ops import actions


def test_append_adds_to_the_file_actions_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "outputs"
    outputs.write_text("earlier=1\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    actions.append("GITHUB_OUTPUT", "configured=true\n")

    assert outputs.read_text(encoding="utf-8") == "earlier=1\nconfigured=true\n"


def test_outside_a_run_nothing_is_written_and_there_is_no_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    monkeypatch.chdir(tmp_path)

    actions.append("GITHUB_STEP_SUMMARY", "## nothing\n")

    assert list(tmp_path.iterdir()) == []
    assert actions.run_url("acme/forecast") is None


def test_the_run_address_uses_the_server_actions_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")

    address = actions.run_url("acme/forecast")

    assert address == "https://github.example/acme/forecast/actions/runs/42"
