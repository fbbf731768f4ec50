"""`make score` in a trained project, as a user runs it.

The golden set scored by the checkout's export agrees with the service (FastAPI's app on the
same model): probabilities within 1e-5, identical labels. A bad file's rows go to the
quarantine, a truncated file is refused with nothing written, a registered version scores
through MLflow's registry, and `make drift` reads the scored batch's own predictions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import TRAINED, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(TRAINED)]

# Scores the golden set through the service's app (TestClient), compares with the scored file.
AGREEMENT = """
import sys
import numpy as np, pandas as pd
from fastapi.testclient import TestClient
from customer_churn.serve.app import create_app
from customer_churn.serve.settings import ServeSettings
golden = pd.read_csv('data/golden/golden.csv')
scored = pd.read_parquet(sys.argv[1])
rows = golden.drop(columns=['churned']).astype(object).where(golden.notna(), None)
records = rows.to_dict(orient='records')
settings = ServeSettings(model_dir='models/serving', max_batch_rows=1000)
answers = []
with TestClient(create_app(settings)) as client:
    for start in range(0, len(records), 1000):
        response = client.post('/predict', json=records[start:start + 1000])
        assert response.status_code == 200, response.text
        answers += response.json()['predictions']
served = np.array([answer['probability'] for answer in answers])
print(np.abs(served - scored['probability_1'].to_numpy()).max())
print(int((scored['prediction'].to_numpy() != [a['prediction'] for a in answers]).sum()))
print(int((scored['customer_id'].to_numpy() != golden['customer_id'].to_numpy()).sum()))
"""


def manifest(project: Path, out: str) -> dict[str, Any]:
    written: dict[str, Any] = json.loads(
        (project / out.replace(".parquet", ".manifest.json")).read_text()
    )
    return written


def test_golden_set_scores_as_the_service_scores_it(trained_project: Path) -> None:
    out = "predictions/golden.parquet"
    result = run(f"make score DATA=data/golden/golden.csv OUT={out}", trained_project)

    written = manifest(trained_project, out)
    assert written["rows"] == {"input": 3000, "scored": 3000, "quarantined": 0}
    assert written["model"]["runtime"] == "onnx"
    assert "3,000 of 3,000 rows scored" in result.stderr
    agreement = run(
        f'uv run --locked python -c "{AGREEMENT}" {out}', trained_project
    ).stdout.split()
    assert float(agreement[0]) < 1e-5
    assert agreement[1:] == ["0", "0"]  # labels and ids identical

    drift = run(f"make drift CURRENT={out}", trained_project)
    report = json.loads((trained_project / "reports/drift.json").read_text())
    assert report["prediction"]["verdict"] == "ok", drift.stdout
    assert any("by model version 1" in note for note in report["notes"])


def test_bad_rows_are_quarantined_and_a_truncated_file_leaves_nothing(
    trained_project: Path,
) -> None:
    golden = (trained_project / "data/golden/golden.csv").read_text().splitlines()
    header = golden[0].split(",")
    rows = [line.split(",") for line in golden[1:6]]
    rows[1][header.index("age")] = "forty"
    rows[3][header.index("contract")] = "weekly"
    bad = trained_project / "predictions-in/bad.csv"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n")

    run(f"make score DATA={bad} OUT=predictions/bad.parquet", trained_project)

    assert manifest(trained_project, "predictions/bad.parquet")["rows"] == {
        "input": 5,
        "scored": 3,
        "quarantined": 2,
    }
    truncated = trained_project / "predictions-in/truncated.parquet"
    whole = (trained_project / "predictions/bad.parquet").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 3])
    result = run(
        f"uv run --locked customer-churn score --data {truncated} --out predictions/cut.parquet",
        trained_project,
        check=False,
    )
    assert result.returncode == 12
    assert f"{truncated} is not a readable Parquet file" in result.stderr
    assert not list((trained_project / "predictions").glob("cut*"))
    assert not list((trained_project / "predictions").glob(".cut*"))


def test_a_registered_version_scores_through_the_registry(trained_project: Path) -> None:
    out = "predictions/challenger.parquet"
    run(
        f"make score DATA=data/golden/golden.csv OUT={out} MODEL=models:/customer-churn@challenger",
        trained_project,
    )

    model = manifest(trained_project, out)["model"]
    run_info = json.loads((trained_project / "models/run.json").read_text())
    assert model["source"] == "models:/customer-churn@challenger"
    assert (model["version"], model["run_id"]) == (run_info["version"], run_info["run_id"])
    assert model["runtime"] == "sklearn"

    missing = run(
        f"make score DATA=data/golden/golden.csv OUT={out} MODEL=models:/customer-churn@nobody",
        trained_project,
        check=False,
    )
    assert missing.returncode != 0
    assert "models:/customer-churn@nobody is not in the MLflow store" in missing.stderr
