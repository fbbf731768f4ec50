"""Shared by the benchmarks: bake a default project and time commands in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
ENV = {
    **{key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"},
    "MLFLOW_DISABLE_TELEMETRY": "true",
}


def bake(where: Path, **answers: str) -> Path:
    return Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(where), extra_context=answers)
    )


def timed(command: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run `command`; return (seconds, peak resident MiB of the largest process it started).

    `env` is added to the environment.

    Each call runs in a fresh child Python so that RUSAGE_CHILDREN covers this command only.
    """
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL).returncode\n"
        "seconds = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(code, seconds, peak)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, command],
        cwd=cwd,
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    code, seconds, peak = result.stdout.split()
    if code != "0":
        sys.exit(f"`{command}` failed in {cwd} (exit {code})")
    return float(seconds), float(peak)


def run_inside(project: Path, script: Path, inner: str, *args: str) -> str:
    """Run `inner` (a script templated on `{package}`) in the project's environment.

    It is written to `script` and run with `args`; returns what it printed, or exits with
    its error output when it fails.
    """
    script.write_text(inner.format(package=project.name.replace("-", "_")))
    result = subprocess.run(
        ["uv", "run", "--locked", "python", str(script), *args],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return result.stdout
