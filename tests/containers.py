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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as tests.containers by pytest
    from . import buildah
else:  # as containers by tests/docker_cli.py, a script run from tests/
    import buildah

ContainerError = buildah.ContainerError
TEMPLATE_DOCKERFILE = (
    Path(__file__).resolve().parents[1] / "{{cookiecutter.project_slug}}/Dockerfile"
)


@functools.cache
def engine() -> str:
    """`docker` when a Docker engine answers, else `buildah`."""
    chosen = os.environ.get("MLOPS_TEMPLATE_ENGINE")
    if chosen not in (None, "", "docker", "buildah"):
        raise ContainerError(f"MLOPS_TEMPLATE_ENGINE={chosen!r}: use docker or buildah")
    if chosen:
        return chosen
    docker = shutil.which("docker")
    info = docker and subprocess.run([docker, "info"], capture_output=True, check=False).returncode
    return "docker" if info == 0 else "buildah"


def _docker(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real docker (the harness puts tests/docker_cli.py first on the steps' PATH)."""
    docker = os.environ.get("MLOPS_REAL_DOCKER") or shutil.which("docker") or "docker"
    result = subprocess.run(
        [docker, *argv], capture_output=True, text=True, timeout=1800, check=False
    )
    if check and result.returncode != 0:
        raise ContainerError(
            f"exit {result.returncode}: docker {' '.join(argv)}\n{result.stdout[-4000:]}"
            f"{result.stderr[-4000:]}"
        )
    return result


def ensure_tools() -> None:
    """Install what the engine needs (buildah and debootstrap; nothing for Docker)."""
    if engine() == "buildah":
        buildah.ensure_tools()


def ensure_base_image() -> str:
    """The base image builds start from: debootstrapped (buildah) or the pinned one, pulled."""
    if engine() == "buildah":
        return buildah.ensure_base_image()
    pinned = r"^FROM (python:3\.11-\S+@sha256:[0-9a-f]{64}) AS base$"
    found = re.search(pinned, TEMPLATE_DOCKERFILE.read_text(), re.M)
    if not found:
        raise ContainerError(f"no pinned python:3.11 base in {TEMPLATE_DOCKERFILE}")
    _docker("pull", "--quiet", found[1])
    return found[1]


def build(
    context: Path,
    dockerfile: Path,
    tag: str,
    build_args: Mapping[str, str] | None = None,
    *,
    base_image: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Build `dockerfile` in `context` as `tag` with `labels` (build-push-action's); the log.

    `base_image` replaces the first `FROM` with buildah (the pinned base is in a registry
    out of reach); Docker builds from the Dockerfile as written.
    """
    if engine() == "buildah":
        return buildah.build(
            context, dockerfile, tag, build_args, base_image=base_image, labels=labels
        )
    argv = ["build", "--file", str(dockerfile), "--tag", tag]
    argv += buildah._pairs("--label", labels) + buildah._pairs("--build-arg", build_args)
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
    return _docker("image", "inspect", name, check=False).returncode == 0


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
        _docker("rmi", "--force", name, check=False)


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
    publish = f"127.0.0.1:{port}:{exposed.split('/')[0]}"
    argv = ["run", "--detach", "--rm", "--publish", publish, *buildah._pairs("--env", env)]
    container = _docker(*argv, name).stdout.strip()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not buildah.answers(url + path):
            if time.monotonic() > deadline:
                logs = _docker("logs", "--tail", "50", container, check=False)
                raise ContainerError(
                    f"{name} did not answer within {timeout}s\n{logs.stdout}{logs.stderr}"
                )
            time.sleep(0.2)
        yield url
    finally:
        _docker("stop", container, check=False)


def run_healthcheck(name: str) -> subprocess.CompletedProcess[str]:
    """Run the image's HEALTHCHECK once in a fresh container on the host's network.

    Inside `running`, it reaches the server started there.
    """
    test = list((image_config(name).get("Healthcheck") or {}).get("Test") or ["NONE"])
    if test[0] not in ("CMD", "CMD-SHELL"):
        raise ContainerError(f"{name} has no HEALTHCHECK to run: {test}")
    argv = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(test[1:])]
    if engine() == "buildah":
        return buildah.run_command(name, argv)
    docker = ["run", "--rm", "--network", "host", "--entrypoint", argv[0], name, *argv[1:]]
    return _docker(*docker, check=False)
