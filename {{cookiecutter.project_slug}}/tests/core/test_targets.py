"""Class labels in the table's own form, on real tables that ship with scikit-learn.

How `make import-data` reads a target (contract_inference.py), how a target translates labels to the
model's codes and back (targets.py), and the gate rules an import writes (data_rules.py):
the trivial model must fail them, whatever the golden set's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from {{ cookiecutter.package_name }}.core import data_rules
from {{ cookiecutter.package_name }}.core.params import MetricRule, Params
from {{ cookiecutter.package_name }}.core.rules import within_limit
from {{ cookiecutter.package_name }}.core.targets import (
    BinaryTarget,
    MulticlassTarget,
    NumericTarget,
    Target,
)
from {{ cookiecutter.package_name }}.core.task import Predictions
from {{ cookiecutter.package_name }}.monitor.measures import compare_outputs
from {{ cookiecutter.package_name }}.ops.contract_inference import (
    TableRefusedError,
    infer_target,
)


def labelled(loader: Callable[..., Any]) -> pd.Series:
    """The table's target with its own names for the classes ("setosa", "malignant")."""
    data = loader(as_frame=True)
    return pd.Series(data.target_names[data.target], name="target")


def declared(values: pd.Series, task: str | None = None) -> Target:
    """The target contract_inference.py declares, as contract.yaml's writer takes it."""
    declaration, _, _ = infer_target("target", values, task)
    target = declaration.declared
    assert isinstance(target, BinaryTarget | MulticlassTarget | NumericTarget)
    return target


def test_integer_classes_become_multiclass_not_regression() -> None:
    target = declared(load_wine(as_frame=True).target)

    assert isinstance(target, MulticlassTarget)
    assert target.classes == (0, 1, 2)
    assert target.task.name == "multiclass"


def test_text_classes_keep_their_labels() -> None:
    iris = declared(labelled(load_iris))
    cancer = declared(labelled(load_breast_cancer))

    assert isinstance(iris, MulticlassTarget)
    assert iris.classes == ("setosa", "versicolor", "virginica")
    assert isinstance(cancer, BinaryTarget)
    assert cancer.classes == ("benign", "malignant")  # the rarer label is the positive class


def test_task_overrides_the_inference_where_the_values_allow() -> None:
    wine = load_wine(as_frame=True).target

    assert type(declared(wine, "regression")).__name__ == "NumericTarget"
    with pytest.raises(TableRefusedError, match="holds 3 classes, not two"):
        declared(wine, "binary")
    with pytest.raises(TableRefusedError, match="regression needs numbers"):
        declared(labelled(load_iris), "regression")
    with pytest.raises(TableRefusedError, match="true/false: that is TASK=binary"):
        declared(labelled(load_breast_cancer) == "malignant", "multiclass")
    with pytest.raises(TableRefusedError, match="fractional numbers"):
        declared(load_wine(as_frame=True).frame["alcohol"], "multiclass")


def test_a_class_too_small_to_split_is_refused_by_name() -> None:
    species = labelled(load_iris)
    few = pd.concat([species[species != "setosa"], species[species == "setosa"].head(3)])

    with pytest.raises(TableRefusedError, match=r"class 'setosa' \(3 rows\)"):
        declared(few)


def test_labels_encode_to_codes_and_decode_back() -> None:
    target = declared(labelled(load_breast_cancer))
    assert isinstance(target, BinaryTarget)
    numbers = MulticlassTarget("target", "", (0, 1, 2))

    assert target.encode(["malignant", "benign"]).tolist() == [1, 0]
    assert target.decode([1, 0]) == ["malignant", "benign"]
    assert numbers.encode([2, 1.0, "0"]).tolist() == [2, 1, 0]  # as CSV or JSON may hold them
    with pytest.raises(ValueError, match=r"not among the classes .*'maybe'"):
        target.encode(["benign", "maybe"])


def test_a_boolean_target_reads_batches_written_as_the_table_writes_it() -> None:
    """A True/False target (like scikit-survival's flchain `death`) imports as classes 0/1.

    A batch of the table's own rows still writes True/False (text in a CSV).
    """
    malignant = labelled(load_breast_cancer) == "malignant"
    target = declared(malignant)
    assert isinstance(target, BinaryTarget)

    assert target.classes == (0, 1)
    codes = target.encode(["True", "False", True, False, " true", 1, "0"]).tolist()
    assert codes == [1, 0, 1, 0, 1, 1, 0]


@pytest.mark.parametrize("golden_rows", [36, 3_000])
def test_the_trivial_model_fails_the_limits_an_import_writes(golden_rows: int) -> None:
    """Limits sit beyond the trivial model's score, at any golden-set size."""
    wine = load_wine(as_frame=True).target
    rng = np.random.default_rng(0)
    golden = pd.Series(rng.choice(wine.to_numpy(), golden_rows))
    target = MulticlassTarget("target", "", (0, 1, 2))
    priors = np.bincount(wine, minlength=3) / len(wine)

    rules = data_rules.gate_rules("multiclass", wine, golden, classes=3)
    trivial = target.task.score(golden.to_numpy(), np.tile(priors, (golden_rows, 1)))

    floors = {name: rule for name, rule in rules.items() if rule["limit"] != data_rules.NO_FLOOR}
    assert set(floors) == {"log_loss"}  # metrics of labels have no floor: see data_rules
    for name, rule in floors.items():
        assert not within_limit(MetricRule.model_validate(rule), trivial[name]), name


def test_a_weak_model_passes_the_floors_that_the_trivial_model_fails() -> None:
    """A model with little signal passes the binary floors an import writes; the prior fails.

    Breast cancer with its text labels; the model has one weak feature (AUC about 0.7, never
    above 0.5 for the positive class, so its F1 is 0), the prior is the trivial model.
    """
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer(as_frame=True)
    cancer = BinaryTarget("target", "", ("benign", "malignant"))
    codes = cancer.encode(labelled(load_breast_cancer))
    weak = data.frame[["mean symmetry"]].to_numpy()
    train, golden = slice(0, 400), slice(400, None)
    model = LogisticRegression().fit(weak[train], codes[train])
    rules = data_rules.gate_rules(
        "classification", pd.Series(codes[train]), pd.Series(codes[golden])
    )
    prior = np.full(len(codes[golden]), codes[train].mean())

    weak_scores = cancer.task.score(codes[golden], model.predict_proba(weak[golden])[:, 1])
    trivial_scores = cancer.task.score(codes[golden], prior)

    floors = {name: rule for name, rule in rules.items() if rule["limit"] != data_rules.NO_FLOOR}
    assert set(floors) == {"roc_auc", "average_precision", "brier_score"}
    for name, rule in floors.items():
        metric_rule = MetricRule.model_validate(rule)
        assert within_limit(metric_rule, weak_scores[name]), (name, weak_scores[name], rule)
        assert not within_limit(metric_rule, trivial_scores[name]), name


def test_the_limits_do_not_tighten_as_the_golden_set_shrinks() -> None:
    cancer = BinaryTarget("target", "", ("benign", "malignant"))
    codes = pd.Series(cancer.encode(labelled(load_breast_cancer)))

    small = data_rules.gate_rules("classification", codes, codes.head(60))
    large = data_rules.gate_rules("classification", codes, codes)

    assert small["roc_auc"]["limit"] == large["roc_auc"]["limit"] == 0.5005
    tolerance = {
        name: MetricRule.model_validate(rules["roc_auc"]).tolerance
        for name, rules in (("small", small), ("large", large))
    }
    assert tolerance["small"] > tolerance["large"]  # noisier: more slack


def test_multiclass_metrics_name_each_class_in_words_mlflow_accepts() -> None:
    species = ("Adelie Penguin (Pygoscelis adeliae)", "Gentoo penguin", "Chinstrap №1")
    target = MulticlassTarget("species", "", species)
    truth = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])

    metrics = target.task.score(truth, probabilities)

    assert metrics["accuracy"] == 0.75
    assert metrics["recall_Chinstrap _1"] == 0.5
    assert "recall_Adelie Penguin _Pygoscelis adeliae_" in metrics
    assert metrics["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.8, 0.1])))


def test_multiclass_prediction_drift_compares_the_share_of_each_predicted_class(
    params: Params,
) -> None:
    """Wine's classes predicted in their training shares, then 70% of class 2 (27% before)."""
    classes = (0, 1, 2)
    wine = load_wine(as_frame=True).target.to_numpy()
    rng = np.random.default_rng(3)
    same = rng.choice(wine, 2_000)
    moved = np.concatenate([same[same != 2][:600], np.full(1_400, 2)])  # 70% class 2

    def predicted(codes: np.ndarray) -> Predictions:
        return Predictions(codes, np.eye(3)[codes], classes)

    reference = predicted(wine)
    steady = compare_outputs("predicted target", reference, predicted(same), params.drift)
    shifted = compare_outputs("predicted target", reference, predicted(moved), params.drift)

    assert steady.histogram.labels == ["0", "1", "2"]
    assert steady.verdict == "ok"
    assert shifted.verdict == "drift"
    assert shifted.histogram.current[2] > 0.5 > shifted.histogram.reference[2]
