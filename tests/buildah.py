"""Build and run images without a Docker engine or a registry: buildah, chroot isolation.

tests/containers.py uses this where no Docker engine answers (this kind of machine: root, no
daemon, no registry; only Debian's mirror and the package index). Builds start from a Debian
bookworm + python3 base, debootstrapped once from the archive this machine's apt uses and cached
(root file system and image). Chroot isolation needs no OCI runtime and keeps the host's network:
a server listening on 8000 inside answers at 127.0.0.1:8000. `RUN` steps get the host's CA
bundle mounted read-only (never stored in a layer), so pip verifies TLS as the host does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

SUITE = "bookworm"  # its python3 is 3.11, the generated projects' default
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
BASE_IMAGE = "localhost/test-base:bookworm-python"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # the host's and the image's
ISOLATION = "chroot"
_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
_KEY_LABEL = "io.github.mlops-template.base-key"
# Pruned from the bootstrapped tree: caches, indexes, docs, what debootstrap copied from the host.
_PRUNE = (
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/lib/apt/lists/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "var/log/bootstrap.log",
    "etc/resolv.conf",
    "etc/hostname",
)


class ContainerError(RuntimeError):
    """A container tool failed; the message carries its command and output."""


def _run(
    argv: Sequence[str], *, timeout: float = 600, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv` capturing its output; a failure or timeout raises ContainerError with both."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ContainerError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if proc.returncode != 0:
        raise ContainerError(
            f"exit {proc.returncode}: {' '.join(argv)}\n{proc.stdout[-8000:]}{proc.stderr[-8000:]}"
        )
    return proc


def _pairs(flag: str, values: Mapping[str, str] | None) -> list[str]:
    return [arg for key, value in (values or {}).items() for arg in (flag, f"{key}={value}")]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path`: parallel test workers queue on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/mlops-template`, by default `~/.cache/mlops-template`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlops-template"


def _missing_packages() -> list[str]:
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    return missing + ([] if _KEYRING.is_file() else ["debian-archive-keyring"])


def ensure_tools() -> None:
    """Install buildah, debootstrap and Debian's keyring with apt-get where they are missing.

    Without recommends: chroot isolation needs no OCI runtime, rootful buildah uses the kernel's
    overlay driver.
    """
    if not _missing_packages():
        return
    if os.geteuid() != 0:
        raise ContainerError("the buildah path needs root (apt-get, debootstrap, rootful buildah)")
    # apt-get fails rather than wait on its lock: workers queue on ours, later ones find it done
    with _locked(cache_dir() / "apt-get.lock"):
        missing = _missing_packages()
        if missing:
            env = {"DEBIAN_FRONTEND": "noninteractive"}
            _run(["apt-get", "update", "-q"], env=env, timeout=900)
            install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
            _run(install, env=env, timeout=1800)


def _serves(uri: str, suite: str) -> bool:
    """Whether the archive at `uri` has `dists/<suite>/Release` (a file check or a HEAD)."""
    url = f"{uri}/dists/{suite}/Release"
    if uri.startswith("file:"):
        return Path(urllib.parse.urlsplit(url).path).is_file()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def debian_mirror(suite: str = SUITE, apt_dir: Path | None = None) -> str:
    """A Debian archive from this machine's apt sources (or `apt_dir`'s) that serves `suite`.

    `MLOPS_TEMPLATE_DEBIAN_MIRROR` wins when set. apt itself reads the sources (one-line and
    deb822 files alike); security archives and mirror lists are skipped, archives listing `suite`
    are tried first, and the first with `dists/<suite>/Release` is used.
    """
    override = os.environ.get("MLOPS_TEMPLATE_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/")
    where = apt_dir or Path("/etc/apt")
    options = ["-o", f"Dir::Etc::sourcelist={where}/sources.list"]
    options += ["-o", f"Dir::Etc::sourceparts={where}/sources.list.d"]
    fields = "$(TARGET_OF) $(REPO_URI) $(RELEASE)"
    listed = _run(["apt-get", *options, "indextargets", "--no-release-info", "--format", fields])

    exact: list[str] = []
    other: list[str] = []
    for kind, uri, release in (line.split() for line in listed.stdout.splitlines() if line.strip()):
        archive = uri.rstrip("/")
        security = release.endswith(("-security", "/updates")) or archive.endswith("-security")
        scheme = urllib.parse.urlsplit(archive).scheme
        if kind == "deb" and not security and scheme in ("http", "https", "file"):
            (exact if release == suite else other).append(archive)
    candidates = list(dict.fromkeys(exact + other))
    for uri in candidates:
        if _serves(uri, suite):
            return uri
    raise ContainerError(
        f"no apt source in {where}/sources.list[.d] serves Debian {suite} "
        f"(tried {', '.join(candidates) or 'none'}): set MLOPS_TEMPLATE_DEBIAN_MIRROR to a "
        "Debian mirror, or run where a Docker engine is available"
    )


def _remove_tree(path: Path) -> None:
    """Remove `path`, unmounting first what a debootstrap that died left mounted inside it."""
    if not path.exists():
        return
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for target in sorted((m for m in mounts if m.startswith(f"{path}/")), reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True, check=False)
    shutil.rmtree(path)


def _bootstrap_rootfs(rootfs: Path) -> None:
    """Debootstrap minbase + BASE_PACKAGES into `rootfs` (whole or not at all), pruned."""
    partial = rootfs.with_name(rootfs.name + ".partial")
    _remove_tree(partial)
    try:
        options = ["--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", "--components=main"]
        _run(
            ["debootstrap", *options, SUITE, str(partial), debian_mirror()],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            timeout=1800,
        )
    except BaseException:
        _remove_tree(partial)
        raise
    for path in (found for pattern in _PRUNE for found in partial.glob(pattern)):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    partial.rename(rootfs)


def _import_rootfs(rootfs: Path, key: str) -> None:
    """Commit `rootfs` as BASE_IMAGE (buildah has no `import`: scratch, mount, a tar pipe)."""
    name = f"mlops-import-{uuid.uuid4().hex[:12]}"
    _run(["buildah", "from", "--name", name, "scratch"])
    try:
        mountpoint = _run(["buildah", "mount", name]).stdout.strip()
        copy = (
            'tar -C "$1" --numeric-owner --xattrs --exclude=./dev/* --exclude=./proc/* '
            '--exclude=./sys/* -cf - . | tar -C "$2" --numeric-owner --xattrs '
            "--xattrs-include='*' -xpf -"
        )
        _run(["bash", "-o", "pipefail", "-c", copy, "copy", str(rootfs), mountpoint])
        _run(["buildah", "umount", name])
        labels = {
            _KEY_LABEL: key,
            "org.opencontainers.image.base.name": f"debian:{SUITE}",
            "org.opencontainers.image.description": (
                f"debootstrap {SUITE} minbase + {' '.join(BASE_PACKAGES)}"
            ),
        }
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        env["LANG"] = "C.UTF-8"
        config = [*_pairs("--env", env), "--cmd", '["python3"]', *_pairs("--label", labels)]
        _run(["buildah", "config", *config, name])
        _run(["buildah", "commit", "--quiet", "--format", "docker", name, BASE_IMAGE])
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)


def ensure_base_image() -> str:
    """BASE_IMAGE, debootstrapped and committed first where the store lacks it.

    The image carries a key of what it is made of: a change of suite, packages or pruning makes
    a new one. The root file system is cached, so after `buildah rmi` only the import is redone.
    """
    spec = {"suite": SUITE, "packages": sorted(BASE_PACKAGES), "prune": _PRUNE}
    key = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]

    def present() -> bool:
        return bool(
            shutil.which("buildah")
            and image_exists(BASE_IMAGE)
            and (image_config(BASE_IMAGE).get("Labels") or {}).get(_KEY_LABEL) == key
        )

    if present():
        return BASE_IMAGE
    ensure_tools()
    cache = cache_dir().resolve()
    with _locked(cache / "base-image.lock"):
        if not present():
            rootfs = cache / f"rootfs-{SUITE}-{key}"
            if not rootfs.is_dir():
                _bootstrap_rootfs(rootfs)
            _import_rootfs(rootfs, key)
    return BASE_IMAGE


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

    Docker format keeps HEALTHCHECK; `--pull=never` fails fast instead of trying a registry;
    `base_image` replaces the first `FROM` (the Dockerfile's pinned base is out of reach here).
    Labels are set at commit, so no cached layer keeps an old one.
    """
    argv = ["buildah", "bud", "--isolation", ISOLATION, "--format", "docker", "--pull=never"]
    argv += ["--force-rm", "--layers=true", "--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    argv += ["--file", str(dockerfile), "--tag", tag]
    argv += ["--from", base_image] if base_image else []
    argv += [*_pairs("--label", labels), *_pairs("--build-arg", build_args), str(context)]
    proc = _run(argv, timeout=1800)
    return proc.stdout + proc.stderr


def remove_image(tag: str) -> None:
    """Remove `tag` from buildah's store; a missing image is not an error."""
    subprocess.run(["buildah", "rmi", "--force", tag], capture_output=True, check=False)


def inspect_image(tag: str) -> dict[str, Any]:
    inspected: dict[str, Any] = json.loads(
        _run(["buildah", "inspect", "--type", "image", tag], timeout=120).stdout
    )
    return inspected


def image_exists(tag: str) -> bool:
    found = subprocess.run(
        ["buildah", "inspect", "--type", "image", tag], capture_output=True, check=False
    )
    return found.returncode == 0


def image_config(tag: str) -> dict[str, Any]:
    """The Docker-format config (User, ExposedPorts, Healthcheck, Labels, Env, Cmd, ...)."""
    info = inspect_image(tag)
    return dict((info.get("Docker") or {}).get("config") or info["OCIv1"].get("config") or {})


def image_size_mb(tag: str) -> float:
    """Uncompressed size (the sum of the layers) in decimal megabytes, as Docker reports it."""
    manifest = json.loads(inspect_image(tag)["Manifest"])
    return sum(int(layer["size"]) for layer in manifest.get("layers", [])) / 1_000_000


def container(tag: str) -> str:
    """A fresh working container of `tag` (remove it with `buildah rm`)."""
    name = f"mlops-{uuid.uuid4().hex[:12]}"
    _run(["buildah", "from", "--pull=never", "--quiet", "--name", name, tag], timeout=300)
    return name


def run_argv(name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """The `buildah run` of `argv` in container `name`, as the image's user, with `env` added."""
    return ["buildah", "run", "--isolation", ISOLATION, *_pairs("--env", env), name, "--", *argv]


def run_command(tag: str, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run `argv` in a fresh container of `tag` (host network) and return its result."""
    name = container(tag)
    try:
        return subprocess.run(run_argv(name, argv), capture_output=True, text=True, check=False)
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)


def answers(url: str) -> bool:
    """Whether `url` gives any HTTP response (an error status counts)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextlib.contextmanager
def running(
    tag: str,
    port: int = 8000,
    *,
    env: Mapping[str, str] | None = None,
    path: str = "/",
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run `tag`'s Entrypoint + Cmd in the background; yield its URL once `path` answers.

    The server shares the host's network, so `port` must be free. If it dies or never answers,
    or the caller's check fails, the error carries what it printed.
    """
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise ContainerError(f"127.0.0.1:{port} is already in use; refusing to start {tag}")
    config = image_config(tag)
    argv = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    name = container(tag)
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:

        def printed() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")[-8000:]

        proc = subprocess.Popen(
            run_argv(name, argv, env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not answers(url + path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    state = f"did not answer within {timeout}s"
                    if proc.returncode is not None:
                        state = f"exited with {proc.returncode}"
                    raise ContainerError(f"{tag} {state}: {' '.join(argv)}\n{printed()}")
                time.sleep(0.2)
            try:
                yield url
            except Exception as error:  # a failing check shows what the service printed
                alive = "running" if proc.poll() is None else f"exited with {proc.returncode}"
                error.add_note(f"--- {tag} ({alive}) printed:\n{printed()}")
                raise
        finally:  # the group may outlive its leader: nothing of ours keeps the port
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
