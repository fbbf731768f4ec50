"""One small interface to build, run and inspect images in the template's tests.

Where a Docker engine answers (`docker info`: GitHub's hosted runners have one) it is used,
and images build from the Dockerfile's own pinned base image. Elsewhere (this kind of
machine: no daemon, no registry) buildah runs everything as root with chroot isolation, and
the first `FROM` is replaced by a Debian base debootstrapped from the local apt mirror
(tests/buildah.py). `MLOPS_TEMPLATE_ENGINE=docker|buildah` chooses explicitly.

The generated project's Makefile speaks only `docker`; the workflow harness gives its steps
a `docker` command backed by this module (tests/docker_cli.py) where no engine exists.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as tests.containers by pytest
    from . import buildah
else:  # as containers by tests/docker_cli.py, a script run from tests/
    import buildah

ContainerError = buildah.ContainerError
default_command = buildah.default_command
healthcheck_argv = buildah.healthcheck_argv
TEMPLATE_DOCKERFILE = (
    Path(__file__).resolve().parents[1] / "{{cookiecutter.project_slug}}/Dockerfile"
)


@functools.cache
def engine() -> str:
    """`docker` when a Docker engine answers, else `buildah`."""
    chosen = os.environ.get("MLOPS_TEMPLATE_ENGINE")
    if chosen:
        if chosen not in ("docker", "buildah"):
            raise ContainerError(f"MLOPS_TEMPLATE_ENGINE={chosen!r}: use docker or buildah")
        return chosen
    docker = shutil.which("docker")
    if docker:
        info = subprocess.run([docker, "info"], capture_output=True, text=True, check=False)
        if info.returncode == 0:
            return "docker"
    return "buildah"


def docker_binary() -> str:
    """The real docker (the harness puts tests/docker_cli.py first on the steps' PATH)."""
    return os.environ.get("MLOPS_REAL_DOCKER") or shutil.which("docker") or "docker"


def _docker(*argv: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    docker = docker_binary()
    result = subprocess.run(
        [docker, *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise ContainerError(
            f"exit {result.returncode}: docker {' '.join(argv)}\n{result.stdout[-4000:]}"
            f"{result.stderr[-4000:]}"
        )
    return result


def pinned_base_image(python: str = "3.11") -> str:
    """The base image the template's Dockerfile pins for `python` (tag and digest)."""
    text = TEMPLATE_DOCKERFILE.read_text()
    found = re.search(
        rf"^FROM (python:{re.escape(python)}-\S+@sha256:[0-9a-f]{{64}}) AS base$", text, re.M
    )
    if not found:
        raise ContainerError(f"no pinned python:{python} base in {TEMPLATE_DOCKERFILE}")
    return found[1]


def ensure_tools() -> None:
    """Install what the engine needs (buildah and debootstrap; nothing for Docker)."""
    if engine() == "buildah":
        buildah.ensure_tools()


def ensure_base_image() -> str:
    """The base image builds start from, made (buildah) or pulled (Docker) once."""
    if engine() == "buildah":
        return buildah.ensure_base_image()
    base = pinned_base_image()
    _docker("pull", "--quiet", base)
    return base


def build(
    context: Path,
    dockerfile: Path,
    tag: str,
    build_args: Mapping[str, str] | None = None,
    *,
    base_image: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Build `dockerfile` in `context` as `tag`; return the build log.

    `labels` are set on the image (docker build --label), as build-push-action's `labels` input
    does.

    `base_image` replaces the first `FROM` with buildah (the pinned base is in a registry
    out of reach); Docker builds from the Dockerfile as written.
    """
    if engine() == "buildah":
        return buildah.build(
            context, dockerfile, tag, build_args, base_image=base_image, labels=labels
        )
    argv = ["build", "--file", str(dockerfile), "--tag", tag]
    for key, value in (labels or {}).items():
        argv += ["--label", f"{key}={value}"]
    for key, value in (build_args or {}).items():
        argv += ["--build-arg", f"{key}={value}"]
    result = _docker(*argv, str(context))
    return result.stdout + result.stderr


def tag(source: str, target: str) -> None:
    if engine() == "buildah":
        buildah._run(["buildah", "tag", source, target])
    else:
        _docker("tag", source, target)


def image_exists(name: str) -> bool:
    if engine() == "buildah":
        return buildah.image_exists(name)
    docker = docker_binary()
    found = subprocess.run([docker, "image", "inspect", name], capture_output=True, check=False)
    return found.returncode == 0


def _docker_inspect(name: str) -> dict[str, Any]:
    inspected: list[dict[str, Any]] = json.loads(_docker("image", "inspect", name).stdout)
    return inspected[0]


def image_config(name: str) -> dict[str, Any]:
    """The Docker-format config: User, ExposedPorts, Healthcheck, Labels, Env, Cmd, ..."""
    if engine() == "buildah":
        return buildah.image_config(name)
    return dict(_docker_inspect(name)["Config"] or {})


def image_digest(name: str) -> str:
    """The image's manifest digest (buildah) or image id (Docker), `sha256:<hex>`."""
    if engine() == "buildah":
        return str(buildah.inspect_image(name)["FromImageDigest"])
    return str(_docker_inspect(name)["Id"])


def image_size_mb(name: str) -> float:
    """Uncompressed size in decimal megabytes."""
    if engine() == "buildah":
        return buildah.image_size_mb(name)
    return int(_docker_inspect(name)["Size"]) / 1_000_000


def remove_image(name: str) -> None:
    """Remove `name`; a missing image is not an error."""
    if engine() == "buildah":
        buildah.remove_image(name)
    else:
        docker = docker_binary()
        subprocess.run([docker, "rmi", "--force", name], capture_output=True, check=False)


@contextlib.contextmanager
def running(
    name: str,
    port: int = 8000,
    *,
    env: Mapping[str, str] | None = None,
    path: str = "/",
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run the image's default command in the background; yield its URL once it answers.

    With Docker the image's exposed port is published on 127.0.0.1:`port`; with buildah
    (chroot isolation shares the host's network) the service must listen on `port` itself.
    """
    if engine() == "buildah":
        with buildah.running(name, port, env=env, path=path, timeout=timeout) as url:
            yield url
        return
    exposed = next(iter(image_config(name).get("ExposedPorts") or {"8000/tcp": {}}))
    argv = ["run", "--detach", "--rm", "--publish", f"127.0.0.1:{port}:{exposed.split('/')[0]}"]
    for key, value in (env or {}).items():
        argv += ["--env", f"{key}={value}"]
    container = _docker(*argv, name).stdout.strip()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not buildah._answers(url + path):
            if time.monotonic() > deadline:
                logs = subprocess.run(
                    [docker_binary(), "logs", "--tail", "50", container],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                raise ContainerError(
                    f"{name} did not answer within {timeout}s\n{logs.stdout}{logs.stderr}"
                )
            time.sleep(0.2)
        yield url
    finally:
        subprocess.run([docker_binary(), "stop", container], capture_output=True, check=False)


def run_command(
    name: str, argv: Sequence[str], *, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv` in a fresh container of `name` (host network) and return its result."""
    if engine() == "buildah":
        container = buildah._working_container(name, "mlops-cmd")
        try:
            command = ["buildah", "run", "--isolation", buildah.ISOLATION]
            if user:
                command += ["--user", user]
            return subprocess.run(
                [*command, container, "--", *argv], capture_output=True, text=True, check=False
            )
        finally:
            subprocess.run(["buildah", "rm", container], capture_output=True, check=False)
    docker = docker_binary()
    command = [docker, "run", "--rm", "--network", "host", "--entrypoint", argv[0]]
    if user:
        command += ["--user", user]
    return subprocess.run([*command, name, *argv[1:]], capture_output=True, text=True, check=False)


def run_healthcheck(name: str) -> subprocess.CompletedProcess[str]:
    """Run the image's HEALTHCHECK once, in the host's network (inside `running`)."""
    argv = healthcheck_argv(image_config(name))
    if argv is None:
        raise ContainerError(f"{name} has no HEALTHCHECK")
    return run_command(name, argv)
