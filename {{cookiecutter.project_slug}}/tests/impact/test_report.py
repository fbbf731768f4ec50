"""`impact`: the report from a prediction log and an outcomes file, as the service writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.contract import ID

PROJECT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(ID is None, reason="outcomes are joined by the contract's id")


class Experiment:
    """A folder with params.yaml, a prediction log and outcomes; `report()` runs the command."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.params = yaml.safe_load((PROJECT / "params.yaml").read_text())
        self.rules = self.params["impact"]
        self.rules.update(log="logs/predictions.jsonl", outcomes="outcomes.csv")
        monkeypatch.chdir(root)

    def write(
        self,
        units: dict[str, int],
        retained: dict[str, float],
        *,
        errors: dict[str, float] | None = None,
        seed: int = 0,
        old_rows: bool = False,
    ) -> None:
        """Log `units[v]` ids per variant, with outcomes retained at the given rates."""
        assert ID is not None  # the module is skipped without one
        rng = np.random.default_rng(seed)
        lines, outcomes = [], []
        start = pd.Timestamp("2026-11-02T00:00:00Z")
        number = 0
        for variant, count in units.items():
            for _ in range(count):
                number += 1
                unit = f"C-{number:08d}"
                at = start + pd.Timedelta(days=14 * rng.random())
                line = {
                    ID.name: unit,
                    "prediction": 1,
                    "probability": rng.random(),
                    "model_version": variant,
                    "logged_at": at.isoformat(),
                }
                if not old_rows:
                    line.update(variant=variant, latency_ms=rng.gamma(2, 2))
                lines.append(line)
                if errors and rng.random() < errors.get(variant, 0):
                    lines.append(
                        {
                            "error": "RuntimeError",
                            "variant": variant,
                            "logged_at": at.isoformat(),
                            "model_version": variant,
                        }
                    )
                before = rng.gamma(4, 25)
                outcome = float(rng.random() < retained[variant]) * (
                    1 if self.rules["outcome"] == "retained" else before
                )
                outcomes.append(
                    {
                        ID.name: unit,
                        self.rules["outcome"]: outcome,
                        "time": (at + pd.Timedelta(days=30)).isoformat(),
                        "revenue_before": before,
                    }
                )
        log = self.root / "logs" / "predictions.jsonl"
        log.parent.mkdir(exist_ok=True)
        log.write_text("".join(json.dumps(line) + "\n" for line in lines))
        pd.DataFrame(outcomes).to_csv(self.root / "outcomes.csv", index=False)

    def report(self, *args: str) -> tuple[int, dict[str, Any]]:
        (self.root / "params.yaml").write_text(yaml.safe_dump(self.params, sort_keys=False))
        status = cli.main(["impact", *args])
        path = self.root / "reports" / "impact.json"
        return status, json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture
def experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Experiment:
    return Experiment(tmp_path, monkeypatch)


def test_few_outcomes_say_not_enough_data_and_how_long_to_wait(experiment: Experiment) -> None:
    experiment.rules.update(target_lift=0.3)  # a lift this little traffic finds within a year
    experiment.write({"champion": 60, "challenger": 60}, {"champion": 0.6, "challenger": 0.9})

    status, report = experiment.report()

    assert status == 0
    assert report["status"] == "not_enough_data"
    assert "not enough data" in report["summary"]
    comparison = report["comparisons"][0]
    assert comparison["verdict"] == "not_enough_data"
    assert comparison["days_needed"] > 0
    markdown = (experiment.root / "reports" / "impact.md").read_text()
    assert markdown.startswith("# Impact: Not enough data")


def test_a_clear_lift_is_reported_better_with_an_interval_that_excludes_zero(
    experiment: Experiment,
) -> None:
    experiment.write({"champion": 3000, "challenger": 3000}, {"champion": 0.6, "challenger": 0.75})

    status, report = experiment.report()

    assert (status, report["status"]) == (0, "better")
    comparison = report["comparisons"][0]
    assert 0 < comparison["low"] < comparison["estimate"] < comparison["high"]
    assert [v["units"] for v in report["variants"]] == [3000, 3000]
    assert report["sample_ratio_p"] > 0.001
    assert report["outcomes_until"].startswith("2026-12-")  # 30 days after the last logged id


@pytest.mark.parametrize("every", [10, 1])  # one id in ten new last quarter; none known
def test_missing_pre_period_values_still_give_an_interval(
    experiment: Experiment, every: int
) -> None:
    experiment.rules.update(pre_period="revenue_before")
    experiment.write({"champion": 1000, "challenger": 1000}, {"champion": 0.6, "challenger": 0.6})
    outcomes = pd.read_csv(experiment.root / "outcomes.csv")
    outcomes.loc[outcomes.index % every == 0, "revenue_before"] = None
    outcomes.to_csv(experiment.root / "outcomes.csv", index=False)

    _, report = experiment.report()

    comparison = report["comparisons"][0]
    assert comparison["low"] < comparison["estimate"] < comparison["high"]
    if every == 1:
        assert comparison["variance_reduction"] == 0.0  # nothing to adjust by


def test_identical_variants_are_inconclusive_not_a_verdict(experiment: Experiment) -> None:
    experiment.write({"champion": 3000, "challenger": 3000}, {"champion": 0.6, "challenger": 0.6})

    _, report = experiment.report()

    assert report["status"] == "inconclusive"
    comparison = report["comparisons"][0]
    assert comparison["low"] < 0 < comparison["high"]


def test_a_sample_ratio_mismatch_gives_no_verdict_even_with_a_lift(experiment: Experiment) -> None:
    experiment.write({"champion": 3000, "challenger": 2600}, {"champion": 0.6, "challenger": 0.75})

    _, report = experiment.report()

    assert report["status"] == "sample_ratio_mismatch"
    assert report["sample_ratio_p"] < 0.001
    assert "sample ratio mismatch" in report["summary"]


def test_a_challenger_failing_more_requests_breaches_the_guardrail(experiment: Experiment) -> None:
    experiment.write(
        {"champion": 3000, "challenger": 3000},
        {"champion": 0.6, "challenger": 0.75},
        errors={"challenger": 0.05},
    )

    _, report = experiment.report()

    assert report["status"] == "guardrail"
    errors = {v["name"]: v["errors"] for v in report["variants"]}
    assert errors["champion"] == 0
    assert errors["challenger"] > 100


def test_ids_seen_in_two_variants_are_counted_and_left_out(experiment: Experiment) -> None:
    experiment.write({"champion": 300, "challenger": 300}, {"champion": 0.6, "challenger": 0.6})
    log = experiment.root / "logs" / "predictions.jsonl"
    first = json.loads(log.read_text().splitlines()[0])
    log.write_text(log.read_text() + json.dumps({**first, "variant": "challenger"}) + "\n")

    _, report = experiment.report()

    assert report["crossed_ids"] == 1
    assert {v["name"]: v["units"] for v in report["variants"]} == {
        "champion": 299,
        "challenger": 300,
    }


def test_mirrored_rows_measure_agreement_and_assign_nothing(experiment: Experiment) -> None:
    experiment.write({"champion": 300, "challenger": 300}, {"champion": 0.6, "challenger": 0.6})
    log = experiment.root / "logs" / "predictions.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    champions = [line for line in lines if line["variant"] == "champion"][:100]
    # the router mirrored 100 champion requests to the challenger, which said otherwise on 20
    mirrored = [
        {**line, "variant": "challenger", "shadow": True, "prediction": 0 if n < 20 else 1}
        for n, line in enumerate(champions)
    ]
    log.write_text(log.read_text() + "".join(json.dumps(line) + "\n" for line in mirrored))

    _, report = experiment.report()

    assert report["crossed_ids"] == 0
    assert {v["name"]: v["units"] for v in report["variants"]} == {
        "champion": 300,
        "challenger": 300,
    }
    comparison = report["comparisons"][0]
    assert (comparison["paired"], comparison["agreement"]) == (100, 0.8)


def test_rows_of_an_older_log_read_with_the_model_version_as_variant(
    experiment: Experiment,
) -> None:
    experiment.rules.update(split={"3": 0.5, "4": 0.5}, control="3")
    experiment.write({"3": 300, "4": 300}, {"3": 0.6, "4": 0.6}, old_rows=True)

    status, report = experiment.report()

    assert status == 0
    assert [v["name"] for v in report["variants"]] == ["3", "4"]
    assert report["variants"][0]["latency_p50_ms"] is None


def test_rotated_files_are_read_with_the_live_one(experiment: Experiment) -> None:
    experiment.write({"champion": 300, "challenger": 300}, {"champion": 0.6, "challenger": 0.6})
    log = experiment.root / "logs" / "predictions.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    (log.parent / "predictions.2.jsonl").write_text("".join(lines[:200]))
    (log.parent / "predictions.1.jsonl").write_text("".join(lines[200:]))
    log.write_text("")  # just rotated: nothing written since

    _, report = experiment.report()

    assert sum(v["units"] for v in report["variants"]) == 600


def test_a_variant_missing_from_the_split_is_named(
    experiment: Experiment, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment.rules.update(split={"champion": 0.5, "other": 0.5})
    experiment.write({"champion": 100, "challenger": 100}, {"champion": 0.6, "challenger": 0.6})

    status, _ = experiment.report()

    assert status == 16
    assert "impact.split" in capsys.readouterr().err


def test_an_outcomes_file_without_the_outcome_column_is_named(
    experiment: Experiment, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment.write({"champion": 100, "challenger": 100}, {"champion": 0.6, "challenger": 0.6})
    outcomes = pd.read_csv(experiment.root / "outcomes.csv")
    outcomes.drop(columns=[experiment.rules["outcome"]]).to_csv(experiment.root / "outcomes.csv")

    status, report = experiment.report()

    assert (status, report) == (16, {})
    error = capsys.readouterr().err
    assert f"column(s) {experiment.rules['outcome']} missing" in error
