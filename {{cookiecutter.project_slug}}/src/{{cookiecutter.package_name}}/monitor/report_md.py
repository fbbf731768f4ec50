"""drift.md: the verdict first, then one table; fits a CI job summary or an issue body."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.formats import fixed
from {{ cookiecutter.package_name }}.core.records import DriftReport, FeatureDrift

STATUS = {"no_drift": "NO DRIFT", "drift": "DRIFT", "insufficient_data": "INSUFFICIENT DATA"}
ORDER = {"drift": 0, "ok": 1, "insufficient_data": 2}  # drifted features first


def distance(feature: FeatureDrift) -> str:
    """The feature's distance with its name: W (numeric) or JS (categorical, boolean)."""
    if feature.wasserstein_normalized is not None:
        return f"W {fixed(feature.wasserstein_normalized, 3)}"
    return f"JS {fixed(feature.js, 3)}"


def limits(feature: FeatureDrift) -> str:
    """The thresholds the feature was judged by: effect size or sampling noise, the larger."""
    if not feature.thresholds:
        return "n/a"
    return f"{fixed(feature.thresholds['psi'], 3)} / {fixed(feature.thresholds['distance'], 3)}"


def ranked(features: list[FeatureDrift]) -> list[FeatureDrift]:
    """Drifted features first, each group in contract order."""
    return sorted(features, key=lambda feature: ORDER[feature.verdict])


def summary(result: DriftReport) -> list[tuple[str, bool]]:
    """One line each for features, predictions and performance, flagged when it is an alarm."""
    rules = result.thresholds
    judged = sum(feature.verdict != "insufficient_data" for feature in result.features)
    drifted = result.drifted_features
    names = f": {', '.join(drifted)}" if drifted else ""
    prediction = result.prediction
    features = (
        f"Features: {len(drifted)} of {judged} drifted ({result.drifted_share:.0%}; "
        f"dataset drift from {rules['dataset_drift_share']:.0%}){names}"
        if judged
        else "Features: not judged (too few rows)"
    )
    lines = [
        (features, result.dataset_drift),
        (
            f"Predictions ({prediction.output}): PSI {fixed(prediction.psi, 3)}, "
            f"drift from {prediction.threshold:g}",
            prediction.verdict == "drift",
        ),
    ]
    performance = result.performance
    if performance is None:
        lines.append(("Performance: not measured", False))
    elif performance.degraded:
        lines.append((f"Performance: degraded ({', '.join(performance.degraded)})", True))
    else:
        judged_metrics = all(check.verdict == "ok" for check in performance.checks)
        state = "within tolerance" if judged_metrics else "too few labelled rows to judge"
        lines.append((f"Performance on {performance.rows:,} labelled rows: {state}", False))
    return lines


def feature_table(features: list[FeatureDrift]) -> list[str]:
    """One row per feature, most drifted first."""
    lines = [
        "| feature | kind | PSI | distance | drift from (PSI / distance) "
        "| missing (reference -> batch) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for feature in ranked(features):
        verdict = "**drift**" if feature.verdict == "drift" else feature.verdict
        missing = f"{feature.null_share['reference']:.1%} -> {feature.null_share['current']:.1%}"
        lines.append(
            f"| {feature.name} | {feature.kind} | {fixed(feature.psi, 3)} | {distance(feature)} "
            f"| {limits(feature)} | {missing} | {verdict} |"
        )
    return lines


def performance_table(result: DriftReport) -> list[str]:
    """The batch's metrics against the baseline; nothing when the batch has no labels."""
    if result.performance is None:
        return []
    lines = [
        "",
        f"Performance on {result.performance.rows:,} labelled rows, against "
        f"`{result.performance.baseline}`:",
        "",
        "| metric | better | baseline | batch | delta | allowed (tolerance + noise) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for check in result.performance.checks:
        verdict = "**degraded**" if check.verdict == "degraded" else check.verdict
        lines.append(
            f"| {check.metric} | {check.direction} | {fixed(check.baseline, 4)} "
            f"| {fixed(check.current, 4)} | {fixed(check.delta, 4)} "
            f"| {check.tolerance:g} + {fixed(check.noise, 4)} | {verdict} |"
        )
    return lines


def outside_lines(result: DriftReport) -> list[str]:
    """Values the contract refuses, per column: counted and measured, not a refusal."""
    if not result.outside_contract:
        return []
    lines = ["", "Values outside the contract (measured with the rest: evidence of drift):", ""]
    for found in result.outside_contract:
        shown = f" ({', '.join(found.examples)})" if found.examples else ""
        lines.append(f"- {found.column}: {found.rows:,} row(s) {found.what}{shown}")
    return lines


def to_markdown(result: DriftReport) -> str:
    """The whole report as Markdown (drift.md, and the job summary in CI)."""
    rules = result.thresholds
    lines = [f"## Drift check: {STATUS[result.status]}", ""]
    if result.status == "insufficient_data":
        lines += [f"- **{reason}**" for reason in result.reasons]
    lines += [f"- **{text}**" if alarm else f"- {text}" for text, alarm in summary(result)]
    lines += [
        "",
        f"Batch `{result.current.path}` ({result.current.rows:,} rows) against "
        f"`{result.reference.path}` ({result.reference.rows:,} rows); model "
        f"{result.model['runtime']}, version {result.model['version']}.",
        "",
        *feature_table(result.features),
        *outside_lines(result),
        *performance_table(result),
        "",
        f"- Rule: a feature drifts when its PSI >= {rules['psi_threshold']:g}, or its "
        f"normalized Wasserstein distance >= {rules['wasserstein_threshold']:g} (numeric) or "
        f"Jensen-Shannon distance >= {rules['js_threshold']:g} (categorical, boolean), each "
        "raised to the sampling noise of these sample sizes where that is larger (chance "
        f"reaches it in {rules['false_alarm_rate']:g} of undrifted batches): the 'drift from' "
        "column.",
    ]
    lines += [f"- Note: {note}." for note in result.notes]
    return "\n".join(lines) + "\n"
