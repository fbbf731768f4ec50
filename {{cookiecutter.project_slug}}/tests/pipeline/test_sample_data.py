"""The demo's sample generator is deterministic, has a real signal and shifts on demand.

`make import-data` removes the generator and this test with it: your own table replaces them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.pipeline.sample_data import generate


def test_same_seed_gives_the_same_rows() -> None:
    pd.testing.assert_frame_equal(generate(500, seed=3), generate(500, seed=3))


def test_different_prefixes_never_share_an_id() -> None:
    training, golden = generate(500, seed=3), generate(500, seed=3, id_prefix="G")

    assert not set(training["customer_id"]) & set(golden["customer_id"])


def test_severe_drift_shifts_the_population() -> None:
    calm, shifted = generate(20_000, seed=3), generate(20_000, seed=3, drift="severe")

    assert shifted["monthly_charges"].mean() > calm["monthly_charges"].mean() + 10
    assert shifted["tenure_months"].mean() < calm["tenure_months"].mean()
    assert (shifted["contract"] == "month-to-month").mean() > (
        calm["contract"] == "month-to-month"
    ).mean()


def test_target_depends_on_the_features() -> None:
    frame = generate(20_000, seed=3)
    month_to_month = frame["contract"] == "month-to-month"

    by_contract = frame.groupby(month_to_month)[TARGET.name].mean()

    if TARGET.name == "churned":
        assert by_contract[True] > by_contract[False] + 0.1  # month-to-month customers leave more
    else:
        assert by_contract[True] < by_contract[False] * 0.95  # and so are worth less


@pytest.mark.parametrize(("rows", "prefix"), [(0, "C"), (10, "CC"), (10, "c")])
def test_bad_arguments_are_refused(rows: int, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"rows|id_prefix"):
        generate(rows, seed=1, id_prefix=prefix)
