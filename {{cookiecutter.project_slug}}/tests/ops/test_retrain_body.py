"""The retraining pull request's body: the gate's table as champion against challenger."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli

GATE_REPORT = """\
## Model gate: PASSED

| metric | baseline | candidate | limit | verdict |
|---|---|---|---|---|
| roc_auc | 0.81 | 0.83 | 0.7 | pass |
"""


def test_the_body_names_the_columns_champion_and_challenger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "gate.md").write_text(GATE_REPORT)

    assert cli.main(["retrain-body"]) == 0

    body = (tmp_path / "reports" / "retrain-pr.md").read_text()
    assert body.startswith("Scheduled retraining on the latest data.")
    assert "| metric | champion (baseline) | challenger | limit | verdict |" in body
    assert "| roc_auc | 0.81 | 0.83 | 0.7 | pass |" in body
    assert "## Model gate: PASSED" in body


def test_without_the_gate_report_it_says_to_run_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["retrain-body"]) == 5

    assert "run make gate first" in capsys.readouterr().err
    assert not (tmp_path / "reports" / "retrain-pr.md").exists()
