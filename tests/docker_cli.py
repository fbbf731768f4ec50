"""The `docker` command the workflow harness puts on the steps' PATH.

The generated Makefile speaks only `docker` (run, stop, logs, buildx imagetools). On a
runner these reach a Docker engine and GHCR; here the registry is the engine's local image
store (what a push would have published is what the build emulator stored), and where no
Docker engine exists (this kind of machine) containers run with buildah, chroot isolation,
through tests/containers.py. Only the forms the Makefile uses are understood; anything
else fails saying so, so a new docker call in the Makefile is noticed.

State of detached containers lives in $MLOPS_DOCKER_CLI_STATE (a folder the harness makes).
With buildah the service shares the host's network: `--publish 127.0.0.1:H:C` rewrites the
command's `--port C` to `--port H`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # this script runs from tests/, where tests/containers.py is `containers`
    from tests import buildah, containers
else:
    import buildah
    import containers


def fail(message: str, status: int = 1) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(status)


def real_docker(argv: list[str]) -> None:
    """Hand the command to the real docker (a Docker engine exists)."""
    docker = os.environ.get("MLOPS_REAL_DOCKER")
    if not docker:
        fail("docker (test harness): no real docker to hand this to")
    os.execv(docker, [docker, *argv])


def state_dir() -> Path:
    folder = Path(os.environ.get("MLOPS_DOCKER_CLI_STATE") or "/tmp/mlops-docker-cli")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class RunOptions:
    """`docker run` options the Makefile uses, the image, and the command after it."""

    detach: bool = False
    rm: bool = False
    publish: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    entrypoint: str | None = None
    image: str = ""
    command: list[str] = field(default_factory=list)


def parse_run(argv: list[str]) -> RunOptions:
    options = RunOptions()
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if flag in ("-d", "--detach"):
            options.detach = True
        elif flag == "--rm":
            options.rm = True
        elif flag in ("-p", "--publish"):
            options.publish.append(rest.pop(0))
        elif flag in ("-e", "--env"):
            options.env.append(rest.pop(0))
        elif flag == "--entrypoint":
            options.entrypoint = rest.pop(0)
        else:
            fail(f"docker run (test harness): option {flag} is not emulated", 125)
    if not rest:
        fail("docker run (test harness): no image given", 125)
    options.image, options.command = rest[0], rest[1:]
    return options


def command_of(options: RunOptions) -> list[str]:
    config = containers.image_config(options.image)
    if options.entrypoint:
        return [options.entrypoint, *options.command]
    return [*(config.get("Entrypoint") or []), *(options.command or config.get("Cmd") or [])]


def published(argv: list[str], publish: list[str]) -> list[str]:
    """The command listening on the published host port (chroot shares the host network)."""
    for spec in publish:
        host_port, container_port = spec.split(":")[-2:]
        if "--port" not in argv:
            fail(f"docker run (test harness): cannot publish {spec}: the command has no --port")
        index = argv.index("--port") + 1
        if argv[index] != container_port:
            fail(f"docker run (test harness): the command listens on {argv[index]}, not {spec}")
        argv = [*argv[:index], host_port, *argv[index + 1 :]]
    return argv


def run(argv: list[str]) -> None:
    options = parse_run(argv)
    command = published(command_of(options), options.publish)
    name = f"mlops-cli-{uuid.uuid4().hex[:12]}"
    buildah._run(["buildah", "from", "--pull=never", "--quiet", "--name", name, options.image])
    run_argv = ["buildah", "run", "--isolation", buildah.ISOLATION]
    for pair in options.env:
        run_argv += ["--env", pair]
    run_argv += [name, "--", *command]
    if not options.detach:
        try:
            status = subprocess.run(run_argv, check=False).returncode
        finally:
            subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
        raise SystemExit(status)
    log = state_dir() / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            run_argv,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (state_dir() / f"{name}.json").write_text(json.dumps({"pid": process.pid, "log": str(log)}))
    print(name)


def stop(argv: list[str]) -> None:
    for name in argv:
        record = state_dir() / f"{name}.json"
        if not record.is_file():
            fail(f"Error response from daemon: No such container: {name}")
        pid = json.loads(record.read_text())["pid"]
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
        record.unlink()
        print(name)


def logs(argv: list[str]) -> None:
    tail = None
    if argv[:1] == ["--tail"]:
        tail, argv = int(argv[1]), argv[2:]
    record = state_dir() / f"{argv[0]}.json"
    if not record.is_file():
        fail(f"Error response from daemon: No such container: {argv[0]}")
    lines = Path(json.loads(record.read_text())["log"]).read_text(errors="replace").splitlines()
    print("\n".join(lines[-tail:] if tail else lines))


def imagetools(argv: list[str]) -> None:
    """`buildx imagetools inspect|create` against the local store standing for the registry."""
    if argv[:1] == ["inspect"]:
        name, options = argv[1], argv[2:]
        if not containers.image_exists(name):
            fail(f"ERROR: {name}: not found")
        digest = containers.image_digest(name)
        config = containers.image_config(name)
        if options[:1] == ["--format"]:
            views = {
                "{{json .Manifest}}": {"digest": digest, "mediaType": "image manifest"},
                "{{json .Image}}": {"config": config},
            }
            if options[1] not in views:
                fail(f"docker buildx imagetools (test harness): cannot format {options[1]!r}")
            print(json.dumps(views[options[1]]))
        else:
            print(f"Name:      {name}\nMediaType: image manifest\nDigest:    {digest}")
        return
    if argv[:1] == ["create"]:
        tags, rest = [], argv[1:]
        while rest[:1] == ["--tag"]:
            tags.append(rest[1])
            rest = rest[2:]
        if len(rest) != 1 or not tags:
            fail("docker buildx imagetools create (test harness): use --tag T... SOURCE")
        if not containers.image_exists(rest[0]):
            fail(f"ERROR: {rest[0]}: not found")
        for target in tags:
            containers.tag(rest[0], target)
        return
    fail(f"docker buildx imagetools (test harness): {' '.join(argv[:1])} is not emulated")


def main(argv: list[str]) -> None:
    if argv[:2] == ["buildx", "imagetools"]:
        imagetools(argv[2:])
    elif containers.engine() == "docker":
        real_docker(argv)
    elif argv[:1] == ["info"]:
        print("Server: buildah (test harness)")
    elif argv[:1] == ["run"]:
        run(argv[1:])
    elif argv[:1] == ["stop"]:
        stop(argv[1:])
    elif argv[:1] == ["logs"]:
        logs(argv[1:])
    else:
        fail(f"docker (test harness): `docker {' '.join(argv[:2])}` is not emulated", 125)


if __name__ == "__main__":
    main(sys.argv[1:])
