"""Sticky assignment by the id's hash: the same id always lands in the same variant."""

from __future__ import annotations

import pytest
from scipy import stats

from {{ cookiecutter.package_name }}.core.assignment import assign, variant_name

SPLIT = {"champion": 0.9, "challenger": 0.1}
IDS = [f"C-{n:08d}" for n in range(20_000)]


def test_an_id_keeps_its_variant_across_calls() -> None:
    first = [assign(unit, SPLIT, salt="exp-1") for unit in IDS[:500]]
    assert first == [assign(unit, SPLIT, salt="exp-1") for unit in IDS[:500]]


def test_ids_split_in_the_configured_shares() -> None:
    challengers = sum(assign(unit, SPLIT) == "challenger" for unit in IDS)
    # a binomial test at 0.1%: a biased hash fails, sampling noise does not
    assert stats.binomtest(challengers, len(IDS), 0.1).pvalue > 0.001


def test_a_new_salt_reshuffles_the_ids() -> None:
    old = [assign(unit, SPLIT, salt="exp-1") for unit in IDS[:2_000]]
    new = [assign(unit, SPLIT, salt="exp-2") for unit in IDS[:2_000]]
    moved = sum(a != b for a, b in zip(old, new, strict=True))
    assert 0.1 < moved / 2_000 < 0.25  # about 2 * 0.9 * 0.1 = 18% change variant


@pytest.mark.parametrize("split", [{}, {"a": 0.0}, {"a": -1.0, "b": 2.0}])
def test_a_split_without_positive_shares_is_refused(split: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="share"):
        assign("C-00000001", split)


@pytest.mark.parametrize(
    ("header", "variant"),
    [
        ("challenger", "challenger"),
        ("v2.1_b-x", "v2.1_b-x"),
        ("", None),
        ("a b", None),
        (None, None),
    ],
)
def test_only_plain_names_are_variants(header: str | None, variant: str | None) -> None:
    assert variant_name(header) == variant
