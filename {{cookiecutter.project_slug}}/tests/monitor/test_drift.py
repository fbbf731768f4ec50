"""`make drift`: no false alarm on an unchanged population, the shifted features named.

At any size. Bad input is refused by column (and no old verdict left behind), and the
reports are ones a person can read. Batches come from the contract (contract_data.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from scipy.stats import wasserstein_distance

from {{ cookiecutter.package_name }}.batch.rows import Scorer, score_record_batch
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.contract import (
    FEATURES,
    ID,
    TARGET,
    feature_names,
)
from {{ cookiecutter.package_name }}.core.features import Feature
from {{ cookiecutter.package_name }}.core.metrics import score
from {{ cookiecutter.package_name }}.core.params import Params, load_params
from {{ cookiecutter.package_name }}.core.records import load_drift_report
from {{ cookiecutter.package_name }}.core.targets import NumericTarget
from {{ cookiecutter.package_name }}.monitor import measures
from {{ cookiecutter.package_name }}.monitor.demo_batch import demo_batch
from {{ cookiecutter.package_name }}.monitor.drift import outputs
from {{ cookiecutter.package_name }}.monitor.measures import (
    bin_shares,
    js_distance,
    normalized_wasserstein,
    psi,
    quantile_edges,
    wasserstein_counts,
    wasserstein_rows,
)
from {{ cookiecutter.package_name }}.monitor.report_html import anchor
from {{ cookiecutter.package_name }}.scoring.columns import (
    PREDICTION,
    classes,
    probability_column,
)
from {{ cookiecutter.package_name }}.scoring.runtime import load_serving

from ..conftest import PROJECT
from ..contract_data import drift_features, example_table, shifted
from ..records_data import baseline, golden_report

RULES: Params = load_params(PROJECT / "params.yaml")
SHIFTED = drift_features(RULES.drift.dataset_drift_share)
SHIFTS = {"mild": 1.0, "severe": 2.0}  # standard deviations


def batch(rows: int, seed: int, shift: str = "none") -> pd.DataFrame:
    """Rows of the same population as the training data, moved by `shift` (SHIFTED only)."""
    frame = example_table(rows, seed, RULES.validation, id_prefix="B")
    return shifted(frame, SHIFTED, SHIFTS[shift], seed) if shift in SHIFTS else frame


@pytest.fixture(scope="session")
def monitored(tmp_path_factory: pytest.TempPathFactory, serving_dir: Path) -> Path:
    """A project folder as `make repro` leaves it: params, training data, model, baseline."""
    root = tmp_path_factory.mktemp("monitored")
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    params["paths"].update(
        prepared=str(root / "prepared"),
        serving=str(serving_dir),
        baseline=str(root / "baseline.json"),
        reports=str(root / "reports"),
    )
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    (root / "prepared").mkdir()
    batch(16_000, seed=42).to_parquet(root / "prepared" / "train.parquet")
    golden = example_table(3000, seed=8, rules=RULES.validation, id_prefix="G")
    model, _ = load_serving(serving_dir)
    metrics = score(TARGET.task.truth(golden[TARGET.name]), outputs(model, golden).score)
    accepted = baseline(golden_report(metrics, rows=len(golden)))
    (root / "baseline.json").write_text(accepted.model_dump_json())
    return root


# The drift command's exit status, its drift.json as parsed (None when it wrote none), its stderr.
Outcome = tuple[int, Any, str]


@pytest.fixture
def drift(
    monitored: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Outcome]:
    """Run the drift command on a frame; return (exit status, drift.json or None, stderr)."""
    monkeypatch.chdir(monitored)

    def run(frame: pd.DataFrame, suffix: str = ".parquet", *args: str) -> Outcome:
        batch = tmp_path / f"batch{suffix}"
        if suffix == ".csv":
            frame.to_csv(batch, index=False)
        elif suffix == ".jsonl":
            frame.to_json(batch, orient="records", lines=True)
        else:
            frame.to_parquet(batch)
        output = tmp_path / "reports"
        status = main(["drift", "--current", str(batch), "--output", str(output), *args])
        report = output / "drift.json"
        content = json.loads(report.read_text()) if report.exists() else None
        if content is not None:  # the file reads back as its typed record, whatever it says
            assert load_drift_report(report).status == content["status"]
        return status, content, capsys.readouterr().err

    return run


def test_measures_are_zero_for_equal_samples_and_grow_with_a_shift() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(50, 10, 20_000)
    edges = quantile_edges(reference, 10)
    shares = bin_shares(reference, edges)

    assert psi(shares, shares) == 0
    assert normalized_wasserstein(reference, reference) == 0
    # A pure shift of half a standard deviation is 0.5 in reference standard deviations.
    assert normalized_wasserstein(reference, reference + 5) == pytest.approx(0.5, rel=0.02)
    assert js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)


def test_vectorized_wasserstein_agrees_with_scipy() -> None:
    rng = np.random.default_rng(1)
    first, second = rng.normal(0, 1, (3, 70)), rng.exponential(1, (3, 45))

    expected = [normalized_wasserstein(a, b) * a.std() for a, b in zip(first, second, strict=True)]
    np.testing.assert_allclose(wasserstein_rows(first, second), expected, rtol=1e-9)


def test_wasserstein_of_counts_per_value_agrees_with_scipy() -> None:
    rng = np.random.default_rng(2)
    values = np.array([0.0, 1.0, 2.0, 5.0, 7.5])
    first, second = rng.integers(0, 40, (3, 5)), rng.integers(0, 9, (3, 5))

    expected = [
        wasserstein_distance(values, values, a, b) for a, b in zip(first, second, strict=True)
    ]
    np.testing.assert_allclose(wasserstein_counts(values, first, second), expected, rtol=1e-9)


@pytest.mark.parametrize(("reference_rows", "current_rows"), [(16_000, 2_000), (3_000, 60)])
def test_noise_drawn_as_counts_per_value_matches_noise_drawn_as_rows(
    monkeypatch: pytest.MonkeyPatch, reference_rows: int, current_rows: int
) -> None:
    """A feature with few distinct values (a count, an age) gets the same threshold either way."""
    rng = np.random.default_rng(3)
    reference = rng.poisson(6, reference_rows).astype(float)
    current = rng.poisson(6, current_rows).astype(float)

    by_counts = measures.distance_noise(reference, current, np.random.default_rng(4), 0.001)
    monkeypatch.setattr(measures, "FEW_VALUES", 0)  # every feature resampled as rows
    by_rows = measures.distance_noise(reference, current, np.random.default_rng(4), 0.001)

    assert by_counts != by_rows  # two computations, not one path taken twice
    assert by_counts == pytest.approx(by_rows, rel=0.15)


def test_point_masses_merge_bins_and_empty_bins_keep_psi_finite() -> None:
    reference = np.r_[np.zeros(8_000), np.arange(1, 2_001)]  # 80% zeros
    edges = quantile_edges(reference, 10)

    assert len(edges) == len(np.unique(edges)) < 9
    assert np.isfinite(psi(bin_shares(reference, edges), bin_shares(np.full(500, 5000.0), edges)))


@pytest.mark.parametrize(("rows", "suffix"), [(1_000, ".csv"), (100_000, ".parquet")])
def test_unshifted_batch_raises_no_alarm(
    drift: Callable[..., Outcome], rows: int, suffix: str
) -> None:
    status, report, stderr = drift(batch(rows, seed=101), suffix)

    assert status == 0, stderr
    assert report["status"] == "no_drift"
    assert report["dataset_drift"] is False  # one feature in a thousand may cross by chance
    assert report["prediction"]["verdict"] == "ok"
    assert report["performance"]["degraded"] == []


def test_a_scored_batch_is_judged_by_the_predictions_it_carries(
    drift: Callable[..., Outcome], serving_dir: Path
) -> None:
    """`make score`'s output feeds drift: its own predictions, not the checkout's, are compared."""
    model, _ = load_serving(serving_dir)
    rows = batch(2_000, seed=103)
    scored, _ = score_record_batch(
        pa.RecordBatch.from_pandas(rows, preserve_index=False), Scorer(model, "7", "run")
    )
    frame = scored.to_pandas()
    status, report, stderr = drift(frame)
    assert status == 0, stderr
    assert report["prediction"]["verdict"] == "ok"
    assert any("model version 7" in note for note in report["notes"])

    if classes():  # every row given to the last class, for sure
        for label in classes():
            frame[probability_column(label)] = float(label == classes()[-1])
        frame[PREDICTION] = classes()[-1]
    else:
        assert isinstance(TARGET, NumericTarget)  # no classes: a number
        frame[PREDICTION] = float(TARGET.maximum)
    status, report, stderr = drift(frame)
    assert status == 1, stderr
    assert report["prediction"]["verdict"] == "drift"
    assert report["dataset_drift"] is False


def test_the_smallest_batches_rarely_raise_an_alarm(drift: Callable[..., Outcome]) -> None:
    """At most one of three undrifted batches of min_rows rows alarms.

    Such a batch is judged on every feature, its predictions and three or four metrics, each
    at about `false_alarm_rate`: whatever the contract, one seed may be the unlucky one; two
    of three would be a rate far above the documented one.
    """
    reports = [drift(batch(RULES.drift.min_rows, seed=seed), ".csv") for seed in (101, 117, 118)]

    assert all(status in {0, 1} for status, _, _ in reports)
    assert sum(status == 1 for status, _, _ in reports) <= 1, [r["reasons"] for _, r, _ in reports]
    assert not any(report["dataset_drift"] for _, report, _ in reports)


@pytest.mark.parametrize("shift", ["mild", "severe"])
def test_shifted_batch_is_flagged_naming_exactly_the_shifted_features(
    drift: Callable[..., Outcome], shift: str
) -> None:
    status, report, stderr = drift(batch(20_000, seed=102, shift=shift))

    assert status == 1
    assert report["status"] == "drift"
    assert report["dataset_drift"] is True
    assert set(report["drifted_features"]) == {feature.name for feature in SHIFTED}
    assert "dataset drift" in stderr


def test_small_batch_of_a_large_shift_is_flagged_above_the_noise(
    drift: Callable[..., Outcome],
) -> None:
    status, report, _ = drift(batch(RULES.drift.min_rows * 4, seed=113, shift="severe"))

    drifted = {feature["name"] for feature in report["features"] if feature["verdict"] == "drift"}
    assert drifted <= {feature.name for feature in SHIFTED}
    assert status == 1
    # the thresholds rose above the effect sizes where noise at this size is larger
    effect = {"numeric": RULES.drift.wasserstein_threshold, "categorical": RULES.drift.js_threshold}
    effect["boolean"] = RULES.drift.js_threshold
    assert all(f["thresholds"]["distance"] > effect[f["kind"]] for f in report["features"])


def test_batch_below_the_minimum_is_insufficient_data_not_an_alarm(
    drift: Callable[..., Outcome],
) -> None:
    status, report, _ = drift(batch(RULES.drift.min_rows - 1, seed=103, shift="severe"))

    assert status == 0
    assert report["status"] == "insufficient_data"
    assert {feature["verdict"] for feature in report["features"]} == {"insufficient_data"}


def test_a_small_reference_raises_no_alarm_on_its_own_population(
    drift: Callable[..., Outcome], tmp_path: Path
) -> None:
    reference = tmp_path / "reference.parquet"
    batch(RULES.drift.min_rows * 3, seed=114).to_parquet(reference)

    status, report, _ = drift(batch(500, seed=115), ".parquet", "--reference", str(reference))

    assert report["status"] == "no_drift"
    assert status == 0


def test_missing_column_is_named_and_no_old_verdict_is_left(
    drift: Callable[..., Outcome], tmp_path: Path
) -> None:
    old = tmp_path / "reports"  # an earlier run's verdict, in each of the three reports
    old.mkdir()
    (old / "drift.json").write_text('{"status": "no_drift"}')
    (old / "drift.md").write_text("## Drift check: NO DRIFT")
    (old / "drift.html").write_text("an old report")
    missing = FEATURES[0]

    status, report, stderr = drift(batch(2_000, seed=104).drop(columns=[missing.name]), ".csv")

    assert status == 2
    assert f"column '{missing.name}' is missing" in stderr
    assert "Traceback" not in stderr
    assert report["status"] == "invalid_input"
    assert missing.name in report["problem"]
    assert not (tmp_path / "reports" / "drift.html").exists()
    assert "INVALID INPUT" in (tmp_path / "reports" / "drift.md").read_text()


MEASURED = {"below the minimum", "above the maximum", "an unknown category"}


@pytest.mark.parametrize(
    ("feature", "case", "value"),
    [  # the first feature of each kind, with each of its invalid values: every kind of check
        pytest.param(feature, case, value, id=f"{feature.name}: {case}")
        for feature in {f.kind: f for f in reversed(FEATURES)}.values()
        for case, value in feature.invalid_values().items()
    ],
)
def test_values_outside_the_contract_are_measured_and_wrong_types_are_bad_input(
    drift: Callable[..., Outcome], feature: Feature, case: str, value: Any
) -> None:
    # Unlabelled: the labels' metrics, which the values do not concern, are left to other tests.
    frame = batch(2_000, seed=105).drop(columns=[TARGET.name])
    frame[feature.name] = frame[feature.name].astype(object)
    frame.loc[:9, feature.name] = value

    status, report, stderr = drift(frame, ".csv")

    # A number in a text column reads as the text "42": an unknown category, measured too.
    if case in MEASURED or feature.kind == "categorical":
        assert status in {0, 1}, stderr
        outside = [found for found in report["outside_contract"] if found["rows"] == 10]
        assert [found["column"] for found in outside] == [feature.name]
        assert report["features"]  # every feature measured
    else:
        assert status == 2
        assert report["status"] == "invalid_input"
        assert f"column '{feature.name}' fails" in stderr


def test_a_feature_missing_beyond_its_share_drifts_and_a_few_nulls_are_counted(
    drift: Callable[..., Outcome],
) -> None:
    nullable = [f for f in FEATURES if 0 < f.max_null_share < 1][:1]
    never = [f for f in FEATURES if not f.nullable][:1]
    if not nullable or not never:
        pytest.skip("the contract needs a feature that may be missing and one that may not")
    frame = batch(2_000, seed=119).astype({nullable[0].name: object, never[0].name: object})
    frame[nullable[0].name] = None  # the source stopped sending it
    frame.loc[:2, never[0].name] = None

    status, report, stderr = drift(frame, ".csv")

    assert status in {0, 1}, stderr
    verdicts = {feature["name"]: feature["verdict"] for feature in report["features"]}
    assert verdicts[nullable[0].name] == "drift"
    found = {(item["column"], item["what"]): item["rows"] for item in report["outside_contract"]}
    assert found[never[0].name, "missing (never missing in the training data)"] == 3
    assert verdicts[never[0].name] != "drift"  # three nulls are counted, not an alarm


def test_unknown_file_type_is_refused(drift: Callable[..., Outcome], tmp_path: Path) -> None:
    status, _, stderr = drift(batch(2_000, seed=106), ".json")

    assert status == 2
    assert "unsupported file type '.json'" in stderr


def test_id_and_target_are_optional_and_labels_add_performance(
    drift: Callable[..., Outcome], params: Params
) -> None:
    labelled = batch(5_000, seed=107)
    _, with_labels, _ = drift(labelled)
    _, without, _ = drift(labelled.drop(columns=[*([ID.name] if ID else []), TARGET.name]))

    checked = {check["metric"]: check for check in with_labels["performance"]["checks"]}
    assert set(checked) == set(params.gate.metrics)
    # Noise may be 0 for a metric a weak model cannot move (F1 of a stump), never negative.
    assert all(check["current"] is not None and check["noise"] >= 0 for check in checked.values())
    assert without["performance"] is None
    assert without["status"] == "no_drift"


def test_a_partly_labelled_batch_is_scored_on_its_labelled_rows(
    drift: Callable[..., Outcome],
) -> None:
    frame = batch(4_000, seed=116)
    frame[TARGET.name] = frame[TARGET.name].astype(object)
    frame.loc[frame.index % 4 != 0, TARGET.name] = None  # labels arrive later for most rows

    status, report, stderr = drift(frame, ".csv")

    assert status == 0, stderr
    assert report["performance"]["rows"] == 1_000
    assert "performance measured on the 1,000 labelled rows scored" in report["notes"]


def test_prediction_log_lines_are_a_batch(drift: Callable[..., Outcome]) -> None:
    """What the service logs (SERVE_PREDICTION_LOG): features, prediction, version, time.

    A request the service failed is a line with `error` and no features: not part of a batch.
    """
    log = batch(2_000, seed=112)[feature_names()]
    log["prediction"], log["model_version"], log["logged_at"] = 0, "1", "2026-01-01T00:00:00Z"
    failed = pd.DataFrame({"error": ["RuntimeError"] * 50, "model_version": "1"})
    log = pd.concat([log, failed], ignore_index=True)

    status, report, _ = drift(log, ".jsonl")

    assert status == 0
    assert report["status"] == "no_drift"
    assert report["performance"] is None


def test_reference_can_be_overridden(drift: Callable[..., Outcome], tmp_path: Path) -> None:
    reference = tmp_path / "reference.parquet"
    severe = batch(5_000, seed=108, shift="severe")
    severe.to_parquet(reference)
    # The same rows: a second seed would move integer features by a rounded share of its own
    # SD (a different whole step) and, over many features, trip a false alarm.
    moved = severe.drop(columns=[TARGET.name])

    status, report, _ = drift(moved, ".parquet", "--reference", str(reference))

    assert (report["reference"]["path"], report["reference"]["rows"]) == (str(reference), 5_000)
    # Against the training data these rows drift (test above); against themselves nothing moved.
    assert report["drifted_features"] == []
    assert status == 0


def test_missing_training_data_says_to_run_the_pipeline(
    drift: Callable[..., Outcome], monitored: Path
) -> None:
    (monitored / "prepared" / "train.parquet").rename(monitored / "prepared" / "kept.parquet")
    try:
        status, _, stderr = drift(batch(2_000, seed=110))
    finally:
        (monitored / "prepared" / "kept.parquet").rename(monitored / "prepared" / "train.parquet")

    assert status == 2
    assert "make repro" in stderr


class Page(HTMLParser):
    """Checks that every tag is closed in order; collects the plots and external resources."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.mismatched: list[str] = []
        self.plots: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "plotly-graph-div" in (attributes.get("class") or ""):
            self.plots.append(attributes["id"] or "")
        if tag in {"script", "img", "link", "iframe"} and (
            attributes.get("src") or attributes.get("href")
        ):
            self.external.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)


def test_reports_are_complete_and_the_page_has_one_plot_per_feature(
    drift: Callable[..., Outcome], tmp_path: Path
) -> None:
    status, report, _ = drift(batch(5_000, seed=111, shift="mild"))
    page = Page()
    page.feed((tmp_path / "reports" / "drift.html").read_text())
    page.close()
    markdown = (tmp_path / "reports" / "drift.md").read_text()

    assert status == 1
    assert page.open == page.mismatched == []
    expected = [f"plot-{anchor(name)}" for name in feature_names()]
    assert sorted(page.plots) == sorted([*expected, "plot-prediction"])
    assert page.external == []  # plotly.js is inline: the page opens offline
    assert markdown.startswith("## Drift check: DRIFT")
    assert [feature["name"] for feature in report["features"]] == [f.name for f in FEATURES]
    assert {"status", "thresholds", "performance", "reference", "generated_at"} <= set(report)
    assert len(report["current"]["sha256"]) == 64


def test_demo_batch_draws_held_out_rows_and_moves_only_the_chosen_features() -> None:
    held_out = example_table(300, seed=116, rules=RULES.validation)

    unshifted = demo_batch(held_out, 300, "none", SHIFTED, seed=1)
    moved = demo_batch(held_out, 300, "severe", SHIFTED, seed=1)
    repeated = demo_batch(held_out, 900, "none", SHIFTED, seed=1)

    def rows(frame: pd.DataFrame) -> list[str]:
        return sorted(frame.to_csv(index=False).splitlines()[1:])

    assert rows(unshifted) == rows(held_out)  # every held-out row once: no repeats
    assert len(repeated) == 900
    for feature in FEATURES:
        changed = not moved[feature.name].equals(unshifted[feature.name])
        assert changed == (feature in SHIFTED), feature.name


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["drift", "--help"])

    assert exit_info.value.code == 0
    assert "--current" in capsys.readouterr().out
