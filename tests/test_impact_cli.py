"""`make impact-report` in a generated project, on a log its own service wrote.

The project's app (its exported model, in process) scores customers routed the way a router
routes them: a sticky hash of the id names the variant in X-Variant. Their outcomes arrive
as a CSV; the report joins the two. The statistics are calibrated in the project's own
tests/impact/ (they run in every journey's `make test`); this is the chain as a user runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import TRAINED, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(TRAINED)]

# Runs inside the project: 600 customers through the real app, half to each variant.
SERVE_AND_RECORD = """
import csv, os, random
from fastapi.testclient import TestClient
from customer_churn.core.assignment import VARIANT_HEADER, assign
from customer_churn.pipeline.sample_data import generate
from customer_churn.serve.app import create_app
from customer_churn.serve.settings import ServeSettings

settings = ServeSettings(
    prediction_log="logs/impact-e2e.jsonl", prediction_log_sample=1.0
)
customers = generate(600, seed=5).drop(columns=["churned"])
split = {"champion": 0.5, "challenger": 0.5}
rng = random.Random(5)
with TestClient(create_app(settings)) as client, open("impact-e2e-outcomes.csv", "w") as out:
    outcomes = csv.writer(out)
    outcomes.writerow(["customer_id", "retained", "time"])
    for record in customers.astype(object).where(customers.notna(), None).to_dict("records"):
        variant = assign(record["customer_id"], split, salt="e2e")
        answer = client.post("/predict", json=record, headers={VARIANT_HEADER: variant})
        assert answer.status_code == 200, answer.text
        outcomes.writerow([record["customer_id"], int(rng.random() < 0.7), "2026-12-01T00:00:00Z"])
"""


def test_make_impact_report_reads_what_the_service_logged(trained_project: Path) -> None:
    root = trained_project
    script = root / "impact_e2e.py"
    script.write_text(SERVE_AND_RECORD)
    run("uv run --locked python impact_e2e.py", root)

    result = run(
        "make impact-report PREDICTION_LOG=logs/impact-e2e.jsonl OUTCOMES=impact-e2e-outcomes.csv",
        root,
    )

    report = json.loads((root / "reports" / "impact.json").read_text())
    units = {variant["name"]: variant["units"] for variant in report["variants"]}
    assert sum(units.values()) == 600
    assert min(units.values()) > 240  # the hash splits about evenly
    # one model behind both names: no difference, and the split is what was configured
    assert report["status"] == "inconclusive", report["summary"]
    assert report["sample_ratio_p"] > 0.001
    assert all(variant["latency_p50_ms"] > 0 for variant in report["variants"])
    assert "# Impact: No difference shown yet" in (root / "reports" / "impact.md").read_text()
    assert "impact-report: No difference shown yet" in result.stdout


def test_make_impact_report_without_outcomes_names_the_file_and_the_fix(
    trained_project: Path,
) -> None:
    log = trained_project / "logs" / "impact-e2e-one.jsonl"
    log.parent.mkdir(exist_ok=True)
    line = {"customer_id": "C-00000001", "model_version": "1", "logged_at": "2026-12-01"}
    log.write_text(json.dumps(line) + "\n")

    result = run(
        f"make impact-report PREDICTION_LOG={log} OUTCOMES=missing.csv",
        trained_project,
        check=False,
    )

    assert result.returncode != 0
    assert "impact: missing.csv: no outcomes file; write one row per id" in result.stderr
