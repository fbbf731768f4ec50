"""What a workflow says when GitHub refused its pull request: the setting, or the token secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli


@pytest.mark.parametrize("secret", ["RETRAIN_TOKEN", "TEMPLATE_UPDATE_TOKEN"])
def test_it_names_the_setting_and_the_workflows_secret_and_fails(
    secret: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    assert cli.main(["pull-request-refused", "--secret", secret]) == 1

    out, err = capsys.readouterr()
    assert out.startswith("::error title=Pull request refused::")
    assert f"set the secret {secret}" in out
    for text in (err, summary.read_text()):
        assert "Allow GitHub Actions to create and approve pull requests" in text
        assert f"as the secret\n{secret}:" in text
    assert summary.read_text().startswith("## Pull request refused\n\n```\n")
