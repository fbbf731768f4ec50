"""DVC stage `export`: build the serving artifact from the trained model.

The pipeline is converted to ONNX (inputs typed from the contract, options from the model
kind and the task) and kept only if it agrees with scikit-learn on the whole golden set:
labels and probabilities, or values, within the tolerances in params.yaml (`export`).
Otherwise the service falls back to the skops model, and the reason is printed and
recorded. metadata.json says which runtime serves, and the model version, lineage (commit,
data, parameters, contract), golden-set scores and library versions it was built from:
everything the release notes (model_card.py) need, so a release describes the model inside
the image rather than files in the tag's checkout.
"""

from __future__ import annotations

import argparse
import logging
import shutil
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from skl2onnx import convert_sklearn
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.contract import (
    FEATURES,
    TARGET,
    feature_names,
    fingerprint,
)
from {{ cookiecutter.package_name }}.core.estimators import ModelKind
from {{ cookiecutter.package_name }}.core.files import (
    sha256_of,
    write_atomically,
    write_json,
)
from {{ cookiecutter.package_name }}.core.model import features_of, load
from {{ cookiecutter.package_name }}.core.params import Export, load_params
from {{ cookiecutter.package_name }}.core.records import (
    GoldenReport,
    OnnxServing,
    RunInfo,
    SklearnServing,
)
from {{ cookiecutter.package_name }}.core.task import Parity
from {{ cookiecutter.package_name }}.core.validation import read_csv, validate
from {{ cookiecutter.package_name }}.scoring.runtime import (
    METADATA_FILE,
    ONNX_FILE,
    SKOPS_FILE,
    OnnxModel,
)

log = logging.getLogger(__name__)

ONNX_OPSET = 21  # the newest opset every converter used here supports


def onnx_input_types() -> list[tuple[str, object]]:
    """One named input per feature, typed by its kind (features.py)."""
    return [(feature.name, feature.onnx_type()) for feature in FEATURES]


def to_onnx(model: Pipeline, kind: ModelKind) -> bytes:
    """The fitted pipeline as a serialized ONNX graph, inputs typed from the contract."""
    estimator = model.steps[-1][1]
    options = {id(estimator): {**kind.onnx_options, **TARGET.task.onnx_options()}}
    onnx_model = convert_sklearn(
        model, initial_types=onnx_input_types(), target_opset=ONNX_OPSET, options=options
    )
    serialized: bytes = onnx_model.SerializeToString()
    return serialized


def check_parity(model: Pipeline, onnx_path: Path, golden: pd.DataFrame, rules: Export) -> Parity:
    """Compare ONNX Runtime with scikit-learn on every golden-set row."""
    features = features_of(golden)
    columns = {feature.name: golden[feature.name] for feature in FEATURES}
    served = OnnxModel(onnx_path).predict(columns)
    return TARGET.task.parity(TARGET.task.predict(model, features), served, rules)


def onnx_input_names(onnx_path: Path) -> dict[str, str]:
    """Contract name -> graph input name: the converter makes identifiers of column names."""
    return dict(zip(feature_names(), OnnxModel(onnx_path).inputs, strict=True))


def export(
    model_path: Path,
    golden: pd.DataFrame,
    out: Path,
    *,
    kind: ModelKind,
    rules: Export,
    details: Mapping[str, Any],
) -> OnnxServing | SklearnServing:
    """Write the serving artifact and its metadata into `out`; return the metadata.

    `details` are the metadata fields the export itself does not decide (ServingBase's).
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model = load(model_path)
    onnx_path = out / ONNX_FILE
    try:
        log.info(f"export: converting to ONNX, checking it on {len(golden):,} golden rows")
        write_atomically(onnx_path, lambda tmp: tmp.write_bytes(to_onnx(model, kind)))
        parity = check_parity(model, onnx_path, golden, rules)
    except Exception as error:  # any converter gap means: serve the scikit-learn model
        log.debug("export: the ONNX conversion failed", exc_info=True)  # --verbose shows where
        parity = Parity(False, f"ONNX conversion failed: {type(error).__name__}: {error}")
    metadata: OnnxServing | SklearnServing
    if parity.passed:
        inputs = onnx_input_names(onnx_path)
        metadata = OnnxServing(**details, parity=parity, runtime="onnx", onnx_inputs=inputs)
    else:
        onnx_path.unlink(missing_ok=True)
        shutil.copyfile(model_path, out / SKOPS_FILE)
        metadata = SklearnServing(**details, parity=parity, runtime="sklearn")
    metadata.save(out / METADATA_FILE)
    return metadata


def run(args: argparse.Namespace) -> int:
    """The export stage: the serving folder, the runtime that passed parity and the metadata."""
    params = load_params()
    paths = params.paths
    log.info(f"export: building {paths.serving} from {paths.model}")
    golden = validate(read_csv(paths.golden), params.validation, str(paths.golden))
    run = RunInfo.load(paths.run_info)
    golden_report = GoldenReport.load(paths.golden_metrics)
    commit = git.commit()
    details = {
        "task": TARGET.task.name,
        "model": params.model.kind,
        "target": TARGET.name,
        "registered_model": run.registered_model,
        "version": run.version,
        "run_id": run.run_id,
        "commit": commit,
        "commit_note": git.commit_note(commit),
        "lineage": run.lineage,
        "params": run.params,
        "model_sha256": sha256_of(paths.model),
        "metrics": golden_report.metrics,
        "trivial": golden_report.trivial,
        "golden": golden_report.golden,
        "golden_sha256": golden_report.golden.sha256,
        "libraries": golden_report.libraries,
        "contract_sha256": fingerprint(),
    }
    metadata = export(
        paths.model, golden, paths.serving, kind=params.model, rules=params.export, details=details
    )
    parity = metadata.parity
    if metadata.runtime == "sklearn":
        log.warning(f"export: WARNING serving the scikit-learn model, not ONNX: {parity.reason}")
    write_json(paths.export_metrics, {"onnx": metadata.runtime == "onnx", **asdict(parity)})
    print(f"export: runtime {metadata.runtime}, parity {parity.reason}")
    return 0
