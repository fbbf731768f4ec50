"""The rehearsal's parts against small real HTTP servers: replay, Prometheus's API, counters.

The whole rehearsal, with nginx, Prometheus and two services, runs in the template's tests
(`make canary`); these check each part's own job quickly.
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.canary import rehearsal
from {{ cookiecutter.package_name }}.canary.engines import CanaryError, Variant
from {{ cookiecutter.package_name }}.canary.prometheus import Prometheus, PrometheusError
from {{ cookiecutter.package_name }}.canary.traffic import Replay, request_bodies
from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.params import Params

from ..conftest import PROJECT


class Recorder(BaseHTTPRequestHandler):
    """A service and a Prometheus in one: answers what the rehearsal asks, records the bodies."""

    bodies: list[bytes]
    queries: list[str]
    answers: dict[str, Any]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        status = 500 if len(self.bodies) % 10 == 0 else 200
        self.reply(status, b'{"predictions": []}')

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/metrics":
            served = len(self.bodies)
            text = (
                'http_requests_total{method="POST",path="/predict",status="200"} '
                + f"{served}\n"
                + 'http_requests_total{method="GET",path="/ready",status="200"} 7\n'
            )
            self.reply(200, text.encode(), "text/plain")
        elif url.path == "/api/v1/query_range":
            promql = urllib.parse.parse_qs(url.query)["query"][0]
            self.queries.append(promql)
            name = next((key for key in self.answers if key in promql), None)
            result = self.answers[name] if name else []
            self.reply(200, json.dumps({"status": "success", "data": {"result": result}}).encode())
        else:
            self.reply(200, json.dumps({"version": "3", "registered_model": "m"}).encode())


@pytest.fixture
def server() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Handler", (Recorder,), {"bodies": [], "queries": [], "answers": {}})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_replay_sends_the_golden_rows_without_the_target(
    server: tuple[str, type[Recorder]], params: Params
) -> None:
    url, handler = server
    bodies = request_bodies(PROJECT / params.paths.golden)

    with Replay(url, bodies, rate=400).running() as replay:
        while len(handler.bodies) < 40:
            threading.Event().wait(0.01)

    sent = [json.loads(body) for body in handler.bodies]
    assert all(TARGET.name not in record for record in sent)
    assert sent[0] in [json.loads(body) for body in bodies[:4]]  # the four clients start in order
    assert replay.statuses[200] >= 36
    assert replay.statuses.get(500, 0) >= 1
    assert 0 < replay.p99() < 5


def test_replay_reads_only_tables_and_refuses_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "rows.txt").write_text("a\n1\n")
    (tmp_path / "empty.csv").write_text("a,b\n")

    with pytest.raises(ValueError, match=r"\.csv, \.parquet or \.jsonl"):
        request_bodies(tmp_path / "rows.txt")
    with pytest.raises(ValueError, match="no rows"):
        request_bodies(tmp_path / "empty.csv")


def test_prometheus_answers_become_a_side(server: tuple[str, type[Recorder]]) -> None:
    url, handler = server
    value = [[1.0, "90"]]
    handler.answers = {
        "_bucket{variant": [  # the score histogram (its query names no path)
            {"metric": {"le": "+Inf"}, "values": [[1.0, "90"]]},
            {"metric": {"le": "0.5"}, "values": [[1.0, "40"]]},
        ],
        "histogram_quantile": [{"metric": {}, "values": [[1.0, "NaN"]]}],
        "http_requests_total": [{"metric": {}, "values": value}],
    }

    side = Prometheus(url).side("challenger", 1000.0, 3.0)

    assert side.requests == 90
    assert side.p99 is None  # NaN: nothing observed
    assert side.scores == ((0.5, 40.0), (float("inf"), 90.0))
    assert any("[3000ms]" in query and 'variant="challenger"' in query for query in handler.queries)


def test_prometheus_without_the_variants_series_says_so(server: tuple[str, type[Recorder]]) -> None:
    url, _ = server

    with pytest.raises(PrometheusError, match="scraped no /predict counter of champion"):
        Prometheus(url).wait_for_targets(["champion"], seconds=0.3)
    with pytest.raises(PrometheusError, match="did not answer"):
        Prometheus("http://127.0.0.1:9").scalar("up", 0, 1)


def test_counters_come_from_the_service_itself(server: tuple[str, type[Recorder]]) -> None:
    url, handler = server
    variant = Variant("challenger", url)

    rehearsal.warm_up([variant, variant], b"{}")

    assert rehearsal.predictions_served(url) == 2
    assert rehearsal.settled(url, quiet=0.05) == 2
    assert rehearsal.fetch_json(f"{url}/metadata")["version"] == "3"
    assert len(handler.bodies) == 2


def test_a_command_line_overrides_params(params: Params) -> None:
    args = argparse.Namespace(
        mode="shadow", share=None, interval_seconds=2.0, intervals=None, min_requests=10
    )

    rules = rehearsal.rules_for(params, args)

    assert (rules.mode, rules.interval_seconds, rules.min_requests) == ("shadow", 2.0, 10)
    assert rules.share == params.deploy.share


def test_a_variant_must_be_a_serving_folder(params: Params, tmp_path: Path) -> None:
    with pytest.raises(CanaryError, match="not a serving-model folder"):
        rehearsal.serving_folder(str(tmp_path), params)
    (tmp_path / "metadata.json").write_text("{}")
    assert rehearsal.serving_folder(str(tmp_path), params) == tmp_path


@pytest.mark.parametrize(("text", "fine"), [("0.05", True), ("1.5", False), ("-1", False)])
def test_a_share_is_from_zero_to_one(text: str, fine: bool) -> None:
    if fine:
        assert rehearsal.share(text) == 0.05
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="from 0 to 1"):
            rehearsal.share(text)
