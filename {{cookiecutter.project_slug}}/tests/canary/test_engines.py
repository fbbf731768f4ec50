"""The rehearsal's engine configs: nginx's split and mirror, Prometheus's labelled scrapes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.canary.engines import (
    CanaryError,
    Router,
    Variant,
    nginx_config,
    prometheus_config,
)
from {{ cookiecutter.package_name }}.canary.prometheus import query

CHAMPION = Variant("champion", "http://127.0.0.1:8001")
CHALLENGER = Variant("challenger", "http://127.0.0.1:8002/base")


def config(mode: str, share: float) -> str:
    return nginx_config(Path("/srv/canary"), 8000, CHAMPION, CHALLENGER, mode=mode, share=share)


def test_canary_splits_the_share_and_keeps_an_assignment_sticky() -> None:
    text = config("canary", 0.05)

    assert 'split_clients "$assignment" $variant { 5% challenger; * champion; }' in text
    assert "default $http_x_assignment_id" in text
    assert "proxy_set_header X-Variant $variant;" in text
    assert "mirror" not in text.split("location = /shadow")[0]
    assert "server 127.0.0.1:8002;" in text


@pytest.mark.parametrize(("mode", "share"), [("canary", 0.0), ("shadow", 0.5)])
def test_share_zero_and_shadow_answer_from_the_champion_only(mode: str, share: float) -> None:
    text = config(mode, share)

    assert "split_clients" not in text
    assert 'map "" $variant { default champion; }' in text
    assert ("mirror /shadow;" in text) == (mode == "shadow")


def test_nginx_accepts_each_config(tmp_path: Path) -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (README: Canary and shadow)")
    router = Router(tmp_path, CHAMPION, CHALLENGER)
    for mode, share in (("canary", 0.05), ("canary", 0.0), ("canary", 1.0), ("shadow", 0.0)):
        router.write(mode, share)  # runs `nginx -t`: raises CanaryError on a refused config


def test_a_config_nginx_refuses_is_an_error_naming_the_file(tmp_path: Path) -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (README: Canary and shadow)")
    broken = Variant("champion", "http://127.0.0.1:notaport")

    with pytest.raises(CanaryError, match=r"nginx refused .*nginx\.conf"):
        Router(tmp_path, broken, CHALLENGER).write("canary", 0.05)


def test_prometheus_labels_each_target_with_its_variant() -> None:
    jobs = yaml.safe_load(prometheus_config(CHAMPION, CHALLENGER))["scrape_configs"]

    assert [job["static_configs"][0]["labels"]["variant"] for job in jobs] == [
        "champion",
        "challenger",
    ]
    assert jobs[1]["metrics_path"] == "/base/metrics"
    assert jobs[1]["static_configs"][0]["targets"] == ["127.0.0.1:8002"]


def test_a_variant_without_any_5xx_series_reads_zero_errors() -> None:
    errors = query("errors", "challenger", "60s")

    assert errors.endswith(" or vector(0)")
    assert 'variant="challenger"' in errors
    assert "[60s]" in errors
