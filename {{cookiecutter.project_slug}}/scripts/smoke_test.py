"""Probe a running scoring service: `python3 scripts/smoke_test.py http://127.0.0.1:8000`.

Standard library only, so any Python 3.11+ runs it, outside the project's environment too
(`make smoke` runs it against the container image). It waits up to --wait seconds for the
service to be ready, then checks:

- GET /health answers 200;
- GET /ready answers 200 (the model is loaded);
- POST /predict with the contract's example record (from the input schema in /metadata)
  answers 200 with one prediction;
- POST /predict with that record plus a field the contract does not know answers 422.

Exit status 0 when every check passes, 1 otherwise (each failure is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

UNKNOWN_FIELD = "smoke_test_unknown_field"


def call(url: str, body: object | None = None, timeout: float = 10.0) -> tuple[int, Any]:
    """(status, decoded JSON body) of a GET, or of a POST when `body` is given."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_until_ready(base: str, wait: float) -> str | None:
    """None once /ready answers 200; otherwise why not, after `wait` seconds."""
    deadline = time.monotonic() + wait
    problem = "no answer"
    while True:
        try:
            status, body = call(f"{base}/ready", timeout=2.0)
        except (OSError, urllib.error.URLError) as error:
            problem = f"no answer ({error})"
        else:
            if status == 200:
                return None
            problem = f"/ready answered {status}: {body}"
        if time.monotonic() > deadline:
            return f"not ready after {wait:g}s: {problem}"
        time.sleep(0.5)


def example_record(base: str) -> dict[str, Any]:
    """The example record of the input schema, which the service derives from the contract."""
    status, metadata = call(f"{base}/metadata")
    if status != 200:
        raise RuntimeError(f"GET /metadata answered {status}: {metadata}")
    examples = metadata.get("input_schema", {}).get("examples") or []
    if not examples or not isinstance(examples[0], dict):
        raise RuntimeError("GET /metadata has no example record in input_schema.examples")
    return examples[0]


def checks(base: str) -> list[str]:
    """Run every check; return one message per failure."""
    failures = []
    status, body = call(f"{base}/health")
    if status != 200:
        failures.append(f"GET /health: expected 200, got {status}: {body}")
    status, body = call(f"{base}/ready")
    if status != 200:
        failures.append(f"GET /ready: expected 200, got {status}: {body}")
    try:
        record = example_record(base)
    except RuntimeError as error:
        return [*failures, str(error)]
    status, body = call(f"{base}/predict", record)
    if status != 200 or len(body.get("predictions", [])) != 1:
        failures.append(f"POST /predict (valid record): expected 200; got {status}: {body}")
    status, body = call(f"{base}/predict", {**record, UNKNOWN_FIELD: 1})
    if status != 422 or UNKNOWN_FIELD not in json.dumps(body):
        failures.append(
            f"POST /predict (unknown field): expected 422 naming it; got {status}: {body}"
        )
    return failures


def main(argv: list[str] | None = None) -> int:
    """Exit 1, printing each failed check, unless the service passes them all."""
    parser = argparse.ArgumentParser(description="Smoke-test a running scoring service.")
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for /ready")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    problem = wait_until_ready(base, args.wait)
    failures = [problem] if problem else checks(base)
    for failure in failures:
        print(f"smoke test FAILED: {failure}", file=sys.stderr)
    if not failures:
        print(f"smoke test passed: {base} /health, /ready, /predict 200 and 422")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
