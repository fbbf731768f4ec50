"""The real engines of the rehearsal, on 127.0.0.1: the services, nginx and Prometheus.

nginx routes: `split_clients` sends `share` of requests to the challenger (by the client's
X-Assignment-Id when it sends one, so a user stays on one variant, else per request), or in
shadow mode answers every request from the champion and `mirror`s it to the challenger, whose
answer nginx discards. Each forwarded request carries `X-Variant` (the prediction log records
it). Prometheus scrapes both services' /metrics, each target labelled with its `variant`.

Shadow must cost the champion's clients nothing. nginx reads a client's next request on a
keep-alive connection only once the mirrored copy of its last one has finished, so the copy
goes to a relay (a second nginx server) that answers it at once and mirrors it on to the
challenger. And on one machine the challenger runs on a CPU of its own (`pinned`), or where
that cannot be at a lower CPU priority (`nice`), as its own pods keep it off the champion's
CPUs on a cluster.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

HOST = "127.0.0.1"
SCRAPE_SECONDS = 1.0
PACKAGE = __name__.split(".")[0]
# A shadow challenger without a CPU of its own (shadow_cpus) gets about a tenth of a busy CPU
# beside the champion. SCHED_IDLE (which any waking task preempts at once) measured no better
# for the champion's clients (p99 1.17x against nice's 1.11x, p50 1.77x both, at load 9-12)
# and would starve the judged challenger.
SHADOW_NICENESS = 10


def shadow_cpus() -> tuple[set[int], set[int]] | None:
    """A shadow challenger's CPU and the others (the champion's, nginx's, the clients').

    None where that split cannot be made: one CPU, or no CPU affinity (macOS); `nice` then
    keeps the challenger behind. On two CPUs, benchmarks/canary.py measured the champion's
    clients' p99 with mirroring on 5.3 ms split against 9.8 ms shared (median 1.9 and 3.5 ms).
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return {cpus[-1]}, set(cpus[:-1])


@contextmanager
def pinned(cpus: set[int] | None) -> Iterator[None]:
    """Run this thread, and every process or thread it starts in the block, on `cpus`.

    Started processes keep them after the block; this thread gets its own back. None: no change.
    """
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class CanaryError(RuntimeError):
    """The rehearsal cannot run: an engine is missing or did not start; the message says why."""


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, seconds: float, process: subprocess.Popen[bytes] | None, log: Path) -> None:
    """Wait until `url` answers 200; fail naming the log when the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise CanaryError(f"{url} exited with status {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    raise CanaryError(f"{url} did not become ready in {seconds:.0f} s; see {log}")


def engine(name: str) -> str:
    """The path of an engine's program, or a CanaryError that says how to install it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise CanaryError(
            f"{name} is not installed: `sudo apt-get install nginx-light prometheus` (Debian, "
            f"Ubuntu) or your system's packages; make canary runs real engines"
        )
    return found


@contextmanager
def started(
    command: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    ready: str | None = None,
    wait: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a process with its output in `log`; stop it (and only it) on the way out."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        if ready:
            wait_for(ready, wait, process, log)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Variant:
    """Where one variant answers: its base URL (a service started here, or given)."""

    name: str
    url: str


@contextmanager
def service(
    name: str, model_dir: Path, folder: Path, *, niceness: int = 0, log: Path | None = None
) -> Iterator[Variant]:
    """The project's own scoring service (`serve`) on a free port, loading `model_dir`.

    `niceness` above 0 runs it at a lower CPU priority (`nice`): a shadow challenger's. `log`:
    every row it scores goes to this prediction log (shadow mode pairs the two variants').
    """
    port = free_port()
    env = {**os.environ, "SERVE_MODEL_DIR": str(model_dir), "SERVE_WORKERS": "1"}
    if log is not None:
        env |= {"SERVE_PREDICTION_LOG": str(log), "SERVE_PREDICTION_LOG_SAMPLE": "1"}
    command = [sys.executable, "-m", PACKAGE, "serve", "--host", HOST, "--port", str(port)]
    if niceness > 0:
        command = [engine("nice"), "-n", str(niceness), *command]
    url = f"http://{HOST}:{port}"
    with started(command, folder / f"{name}.log", env, ready=f"{url}/ready"):
        yield Variant(name, url)


# @NAME@ is filled in by nginx_config.
NGINX_CONFIG = """worker_processes 1;
pid @FOLDER@/nginx.pid;
error_log @FOLDER@/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_buffer_size 1m;
  client_body_temp_path @FOLDER@/tmp/client_body;
  proxy_temp_path @FOLDER@/tmp/proxy;
  fastcgi_temp_path @FOLDER@/tmp/fastcgi;
  uwsgi_temp_path @FOLDER@/tmp/uwsgi;
  scgi_temp_path @FOLDER@/tmp/scgi;
  upstream champion { server @CHAMPION@; keepalive 16; }
  upstream challenger { server @CHALLENGER@; keepalive 16; }
  @ROUTE@
  server {
    listen @LISTEN@;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location / {
      @MIRROR@
      proxy_set_header Connection "";  # a location's own headers replace the server's
      proxy_set_header X-Variant $variant;
      proxy_pass http://$variant;
    }
    location = /shadow {
      # The mirrored copy. nginx reads the client's next request on this connection only when
      # the copy is done, so the copy goes to the relay below, which answers at once. A new
      # connection per copy, on purpose: the relay, too, reads a connection's next copy only
      # once it has handed on the last, so a kept-alive one (nginx reuses the last freed
      # first) held every client for the challenger's time again (0.2 s a request against
      # a 0.2 s challenger), to save 65 of nginx's ~300 us a copy.
      internal;
      proxy_connect_timeout 100ms;
      proxy_read_timeout 1s;
      proxy_next_upstream off;
      proxy_pass http://@RELAY@$request_uri;
    }
  }
  server {
    # The relay: answers each copy at once (empty_gif refuses a POST: 405, no file read, no
    # log line) and mirrors it on to the challenger; no client waits for that. (It used to be
    # left by a 1 ms read timeout, and nginx logs a subrequest's errors in its main request's
    # log: an "upstream timed out" line per copy buried the challenger's real errors.)
    listen @RELAY@;
    proxy_http_version 1.1;  # keep-alive connections to the challenger
    location / {
      mirror /challenger;
      mirror_request_body on;
      empty_gif;
    }
    location = /challenger {
      internal;
      proxy_ignore_client_abort on;  # the copy outlives the hand-off's connection
      proxy_connect_timeout 1s;
      proxy_read_timeout 2s;
      proxy_set_header Connection "";
      proxy_set_header X-Variant challenger;
      proxy_set_header X-Shadow 1;
      proxy_pass http://challenger$request_uri;
    }
  }
}
"""
TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_config(
    folder: Path,
    ports: tuple[int, int],
    champion: Variant,
    challenger: Variant,
    *,
    mode: str,
    share: float,
) -> str:
    """nginx.conf: the split (or the mirror) of traffic between the two variants.

    `ports`: where clients connect, and the relay of mirrored copies.
    """
    percent = round(share * 100, 2)
    if mode == "shadow" or percent <= 0:
        route = 'map "" $variant { default champion; }'
    elif percent >= 100:
        route = 'map "" $variant { default challenger; }'
    else:
        route = (
            'map $http_x_assignment_id $assignment { "" $request_id; default '
            "$http_x_assignment_id; }\n"
            '  split_clients "$assignment" $variant { '
            + f"{percent:g}"
            + "% challenger; * champion; }"
        )
    values = {
        "FOLDER": str(folder),
        "CHAMPION": urlsplit(champion.url).netloc,
        "CHALLENGER": urlsplit(challenger.url).netloc,
        "ROUTE": route,
        "LISTEN": f"{HOST}:{ports[0]}",
        "RELAY": f"{HOST}:{ports[1]}",
        "MIRROR": "mirror /shadow;\n      mirror_request_body on;" if mode == "shadow" else "",
    }
    text = NGINX_CONFIG
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


class Router:
    """nginx in front of both variants; `reroute` rewrites its config and reloads it."""

    def __init__(self, folder: Path, champion: Variant, challenger: Variant) -> None:
        self.folder = folder
        self.champion, self.challenger = champion, challenger
        self.port = free_port()
        self.relay_port = free_port()
        while self.relay_port == self.port:
            self.relay_port = free_port()
        self.config = folder / "nginx.conf"
        self.process: subprocess.Popen[bytes] | None = None
        for kind in TEMP_FOLDERS:
            (folder / "tmp" / kind).mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """Where clients send their requests."""
        return f"http://{HOST}:{self.port}"

    def write(self, mode: str, share: float) -> None:
        """Write the config for this mode and share, refusing one nginx finds wrong."""
        self.config.write_text(
            nginx_config(
                self.folder,
                (self.port, self.relay_port),
                self.champion,
                self.challenger,
                mode=mode,
                share=share,
            )
        )
        check = subprocess.run(
            [engine("nginx"), *self.arguments(), "-t", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise CanaryError(f"nginx refused {self.config}: {check.stderr.strip()}")

    def arguments(self) -> list[str]:
        """Nginx's prefix, config and error log (before the config is read) in this folder."""
        return [
            "-p",
            str(self.folder),
            "-c",
            str(self.config),
            "-e",
            str(self.folder / "nginx-error.log"),
        ]

    @contextmanager
    def running(self, mode: str, share: float) -> Iterator[Router]:
        """Nginx in the foreground (so it is stopped with the rehearsal)."""
        self.write(mode, share)
        command = [engine("nginx"), *self.arguments(), "-g", "daemon off;"]
        with started(command, self.folder / "nginx.log") as process:
            self.process = process
            wait_for(f"{self.challenger.url}/health", 10, process, self.folder / "nginx.log")
            wait_until_listening(self.port, process)
            yield self

    def reroute(self, mode: str, share: float) -> None:
        """Apply a new share: rewrite the config, reload nginx (SIGHUP: no request is lost)."""
        self.write(mode, share)
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # the new workers start; the old ones finish their requests


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until nginx accepts connections on its port."""
    for _ in range(100):
        if process.poll() is not None:
            raise CanaryError(f"nginx exited with status {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise CanaryError(f"nginx did not listen on {HOST}:{port}")


def prometheus_config(champion: Variant, challenger: Variant) -> str:
    """prometheus.yml: scrape each variant's /metrics every second, labelled by its variant."""
    jobs = []
    for variant in (champion, challenger):
        parts = urlsplit(variant.url)
        jobs.append(
            {
                "job_name": variant.name,
                "scheme": parts.scheme or "http",
                "metrics_path": parts.path.rstrip("/") + "/metrics",
                "static_configs": [
                    {"targets": [parts.netloc], "labels": {"variant": variant.name}}
                ],
            }
        )
    settings = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS:g}s", "scrape_timeout": "1s"},
        "scrape_configs": jobs,
    }
    return yaml.safe_dump(settings, sort_keys=False)


@contextmanager
def prometheus(folder: Path, champion: Variant, challenger: Variant) -> Iterator[str]:
    """A Prometheus server scraping both variants; yields its URL."""
    config = folder / "prometheus.yml"
    config.write_text(prometheus_config(champion, challenger))
    port = free_port()
    command = [
        engine("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address={HOST}:{port}",
        "--log.level=warn",
    ]
    url = f"http://{HOST}:{port}"
    with started(command, folder / "prometheus.log", ready=f"{url}/-/ready"):
        yield url
