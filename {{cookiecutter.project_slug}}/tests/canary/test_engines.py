"""The rehearsal's engine configs: nginx's split and mirror, Prometheus's labelled scrapes."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.canary.engines import (
    CanaryError,
    Router,
    Variant,
    nginx_config,
    pinned,
    prometheus_config,
    shadow_cpus,
)
from {{ cookiecutter.package_name }}.canary.prometheus import query

CHAMPION = Variant("champion", "http://127.0.0.1:8001")
CHALLENGER = Variant("challenger", "http://127.0.0.1:8002/base")


def config(mode: str, share: float) -> str:
    return nginx_config(
        Path("/srv/canary"), (8000, 8003), CHAMPION, CHALLENGER, mode=mode, share=share
    )


def test_canary_splits_the_share_and_keeps_an_assignment_sticky() -> None:
    text = config("canary", 0.05)

    assert 'split_clients "$assignment" $variant { 5% challenger; * champion; }' in text
    assert "default $http_x_assignment_id" in text
    assert "proxy_set_header X-Variant $variant;" in text
    assert "mirror" not in text.split("location = /shadow")[0]
    assert "server 127.0.0.1:8002;" in text


@pytest.mark.parametrize("mode", ["canary", "shadow"])
def test_every_proxied_location_keeps_upstream_connections_open(mode: str) -> None:
    # A location that sets any header drops the server's `Connection ""`: nginx then sent
    # `Connection: close` and reused a connection the variant was closing (502 under load).
    text = config(mode, 0.05)
    to_a_variant = ("proxy_pass http://$variant", "proxy_pass http://challenger")
    locations = [
        part for part in text.split("location ")[1:] if any(p in part for p in to_a_variant)
    ]

    assert locations
    for location in locations:
        assert 'proxy_set_header Connection "";' in location, location


@pytest.mark.parametrize(("mode", "share"), [("canary", 0.0), ("shadow", 0.5)])
def test_share_zero_and_shadow_answer_from_the_champion_only(mode: str, share: float) -> None:
    text = config(mode, share)

    assert "split_clients" not in text
    assert 'map "" $variant { default champion; }' in text
    assert ("mirror /shadow;" in text) == (mode == "shadow")


def test_shadow_hands_each_copy_to_a_relay_that_answers_and_mirrors_it_on() -> None:
    text = config("shadow", 0.0)
    mirror, relay = text.split("location = /shadow")[1].split("listen 127.0.0.1:8003;")

    assert "proxy_pass http://127.0.0.1:8003$request_uri;" in mirror
    assert "mirror /challenger;" in relay
    assert "empty_gif;" in relay  # answers at once, reading no file
    assert "proxy_ignore_client_abort on;" in relay
    assert "proxy_http_version 1.1;" in relay  # keep-alive: no new connection per copy
    assert "proxy_set_header X-Shadow 1;" in relay
    assert "proxy_pass http://challenger$request_uri;" in relay


def needs_nginx() -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (README: Canary and shadow)")


Copy = tuple[str | None, str | None, bytes]  # X-Variant, X-Shadow, body


class Stub(BaseHTTPRequestHandler):
    """A variant that answers /predict after `delay` seconds and keeps what it was sent."""

    protocol_version = "HTTP/1.1"
    delay = 0.0
    seen: list[Copy]

    def do_GET(self) -> None:
        self.answer(b"ok")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.delay)
        self.seen.append((self.headers["X-Variant"], self.headers["X-Shadow"], body))
        self.answer(b'{"prediction": 1}')

    def answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def stub(name: str, delay: float) -> Iterator[tuple[Variant, list[Copy]]]:
    seen: list[Copy] = []
    handler = type(name, (Stub,), {"delay": delay, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # serve_forever polls for shutdown every 0.5 s by default: each test would wait it out.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield Variant(name, f"http://127.0.0.1:{server.server_address[1]}"), seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_slow_shadow_challenger_does_not_hold_the_champions_clients(tmp_path: Path) -> None:
    # nginx reads a keep-alive connection's next request only once the mirrored copy of the
    # last one is done: without the relay, each request here would wait for the slow copy.
    # And the hand-off logs nothing: an error per copy would bury the challenger's real ones.
    needs_nginx()
    with (
        stub("champion", 0.0) as (champion, _),
        stub("challenger", 1.0) as (challenger, copies),
        Router(tmp_path, champion, challenger).running("shadow", 0.0) as router,
    ):
        connection = http.client.HTTPConnection(router.url.removeprefix("http://"))
        start = time.monotonic()
        for n in range(3):
            connection.request("POST", "/predict", json.dumps({"n": n}).encode())
            assert connection.getresponse().read() == b'{"prediction": 1}'
        elapsed = time.monotonic() - start
        connection.close()
        deadline = time.monotonic() + 10
        while len(copies) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)

    assert elapsed < 1.0  # each copy takes 1 s; waiting for them would take over 2 s
    assert sorted(copies) == [("challenger", "1", json.dumps({"n": n}).encode()) for n in range(3)]
    assert "[error]" not in (tmp_path / "nginx-error.log").read_text()


def test_nginx_accepts_each_config(tmp_path: Path) -> None:
    needs_nginx()
    router = Router(tmp_path, CHAMPION, CHALLENGER)
    for mode, share in (("canary", 0.05), ("canary", 0.0), ("canary", 1.0), ("shadow", 0.0)):
        router.write(mode, share)  # runs `nginx -t`: raises CanaryError on a refused config


def test_a_config_nginx_refuses_is_an_error_naming_the_file(tmp_path: Path) -> None:
    needs_nginx()
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


def test_a_shadow_challenger_gets_a_cpu_the_others_do_not_share() -> None:
    split = shadow_cpus()
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        assert split is None  # `nice` alone keeps the challenger behind
        return
    assert split is not None
    challenger, others = split

    assert len(challenger) == 1
    assert challenger.isdisjoint(others)
    assert challenger | others == os.sched_getaffinity(0)


def test_a_process_started_while_pinned_keeps_the_cpus_and_this_thread_gets_its_own_back() -> None:
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU, or no CPU affinity on this system")
    before = os.sched_getaffinity(0)
    last = {max(before)}
    program = "import os, time; time.sleep(0.2); print(sorted(os.sched_getaffinity(0)))"

    with pinned(last):
        child = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE)
        assert os.sched_getaffinity(0) == last
    answer, _ = child.communicate(timeout=30)

    assert json.loads(answer) == sorted(last)
    assert os.sched_getaffinity(0) == before
