"""The `docker` command the workflow harness puts on the steps' PATH.

The generated Makefile and release steps speak only `docker` (run, stop, logs, buildx
imagetools). On a runner these reach a Docker engine and GHCR; here the registry is the engine's
local image store (what a push would have published is what the build emulator stored), and
where no Docker engine exists (this kind of machine) containers run with buildah, chroot
isolation, through tests/buildah.py. Only the forms the project uses are understood; anything
else fails saying so, so a new docker call is noticed.

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
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # this script runs from tests/, where tests/containers.py is `containers`
    from tests import buildah, containers
else:
    import buildah
    import containers

RUN_FLAGS = {"-d": "detach", "--detach": "detach", "--rm": "rm"}
RUN_OPTIONS = {"-p": "publish", "--publish": "publish", "-e": "env", "--env": "env"}
RUN_OPTIONS["--entrypoint"] = "entrypoint"


def fail(message: str, status: int = 1) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(status)


def record(name: str) -> Path:
    """The state file of detached container `name`; a missing one fails as docker does."""
    path = Path(os.environ.get("MLOPS_DOCKER_CLI_STATE") or "/tmp/mlops-docker-cli") / name
    if not path.with_suffix(".json").is_file():
        fail(f"Error response from daemon: No such container: {name}")
    return path.with_suffix(".json")


def run(argv: list[str]) -> None:
    """`docker run [-d] [--rm] [-p [127.0.0.1:]H:C]... [-e K=V]... [--entrypoint E] IMAGE ...`."""
    given: dict[str, list[str]] = {"publish": [], "env": [], "entrypoint": []}
    flags: set[str] = set()
    while argv and argv[0].startswith("-"):
        flag = argv.pop(0)
        if flag in RUN_FLAGS:
            flags.add(RUN_FLAGS[flag])
        elif flag in RUN_OPTIONS and argv:
            given[RUN_OPTIONS[flag]].append(argv.pop(0))
        else:
            fail(f"docker run (test harness): option {flag} is not emulated", 125)
    if not argv:
        fail("docker run (test harness): no image given", 125)
    image, command = argv[0], argv[1:]
    config = containers.image_config(image)
    if given["entrypoint"]:
        command = [*given["entrypoint"][-1:], *command]
    else:
        command = [*(config.get("Entrypoint") or []), *(command or config.get("Cmd") or [])]
    for spec in given["publish"]:  # the command listens on the published host port
        host_port, container_port = spec.split(":")[-2:]
        if "--port" not in command or command[command.index("--port") + 1] != container_port:
            fail(f"docker run (test harness): cannot publish {spec}: no --port {container_port}")
        command[command.index("--port") + 1] = host_port
    env = dict(pair.split("=", 1) for pair in given["env"])
    name = buildah.container(image)
    run_argv = buildah.run_argv(name, command, env)
    if "detach" not in flags:
        try:
            status = subprocess.run(run_argv, check=False).returncode
        finally:
            subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
        raise SystemExit(status)
    state = Path(os.environ.get("MLOPS_DOCKER_CLI_STATE") or "/tmp/mlops-docker-cli")
    state.mkdir(parents=True, exist_ok=True)
    with (state / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            run_argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    (state / f"{name}.json").write_text(json.dumps({"pid": process.pid, "log": log.name}))
    print(name)


def stop(names: list[str]) -> None:
    """SIGTERM each container's process group, SIGKILL what is left after 10 s, remove it."""
    for name in names:
        state = record(name)
        pid = json.loads(state.read_text())["pid"]
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            deadline = time.monotonic() + wait
            try:
                os.killpg(pid, sig)
                while time.monotonic() < deadline:
                    time.sleep(0.1)
                    os.killpg(pid, 0)
            except ProcessLookupError:
                break
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
        state.unlink()
        print(name)


def logs(argv: list[str]) -> None:
    """`docker logs [--tail N] NAME`."""
    tail = int(argv[1]) if argv[:1] == ["--tail"] else 0
    log = Path(json.loads(record(argv[-1]).read_text())["log"])
    print("\n".join(log.read_text(errors="replace").splitlines()[-tail:]))


def imagetools(argv: list[str]) -> None:
    """`buildx imagetools inspect|create` against the local store standing for the registry."""
    if argv[:1] == ["inspect"]:
        name, options = argv[1], argv[2:]
        if not containers.image_exists(name):
            fail(f"ERROR: {name}: not found")
        digest = containers.image_digest(name)
        views = {
            "{{json .Manifest}}": {"digest": digest, "mediaType": "image manifest"},
            "{{json .Image}}": {"config": containers.image_config(name)},
        }
        if not options:
            print(f"Name:      {name}\nMediaType: image manifest\nDigest:    {digest}")
        elif options[0] == "--format" and options[1] in views:
            print(json.dumps(views[options[1]]))
        else:
            fail(f"docker buildx imagetools (test harness): cannot inspect with {options}")
        return
    if argv[:1] != ["create"]:
        fail(f"docker buildx imagetools (test harness): {' '.join(argv[:1])} is not emulated")
    tags, source = argv[2:-1:2], argv[-1]
    if not tags or argv[1:-1:2] != ["--tag"] * len(tags) or len(argv) % 2:
        fail("docker buildx imagetools create (test harness): use --tag T... SOURCE")
    if not containers.image_exists(source):
        fail(f"ERROR: {source}: not found")
    for target in tags:
        containers.tag(source, target)


def main(argv: list[str]) -> None:
    if argv[:2] == ["buildx", "imagetools"]:
        imagetools(argv[2:])
    elif containers.engine() == "docker":  # hand the command to the real docker
        docker = os.environ.get("MLOPS_REAL_DOCKER") or fail("docker (test harness): no docker")
        os.execv(docker, [docker, *argv])
    elif argv[:1] == ["info"]:
        print("Server: buildah (test harness)")
    elif argv[:1] in (["run"], ["stop"], ["logs"]):
        {"run": run, "stop": stop, "logs": logs}[argv[0]](argv[1:])
    else:
        fail(f"docker (test harness): `docker {' '.join(argv[:2])}` is not emulated", 125)


if __name__ == "__main__":
    main(sys.argv[1:])
