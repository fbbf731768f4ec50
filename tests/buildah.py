"""Build and run container images without a Docker engine or a registry (buildah).

tests/containers.py uses this where no Docker engine answers: machines that have no
Docker daemon and cannot reach any image registry, only the distribution's package
mirrors and the Python package index.  This module gives them a daemonless path that
needs nothing but root and Debian packages:

1. :func:`ensure_tools` installs ``buildah`` and ``debootstrap`` with apt-get.
2. :func:`ensure_base_image` bootstraps a minimal Debian ``bookworm`` root file
   system with ``python3``, ``python3-venv`` and ``ca-certificates`` from the
   mirror this machine's apt is configured with (:func:`debian_mirror`), and
   commits it into buildah's local store as :data:`BASE_IMAGE`.  The root file
   system and the image are cached, so a second call costs one
   ``buildah inspect``.
3. :func:`build` runs ``buildah bud`` with chroot isolation, Docker image
   format (so ``HEALTHCHECK`` survives) and the host's CA bundle bind-mounted
   read-only over the image's, so that pip can reach the package index from a
   ``RUN`` step even where outbound TLS is intercepted by a private CA.  The
   mount exists only while ``RUN`` steps execute; it never lands in a layer.
4. :func:`running` starts an image's default command with
   ``buildah run --isolation chroot``.  Chroot isolation keeps the host's
   network namespace, so a server listening on port 8000 inside is reachable
   at ``http://127.0.0.1:8000`` without any port publishing.
5. :func:`image_config`, :func:`healthcheck_argv`, :func:`run_healthcheck`,
   :func:`image_size_bytes` and :func:`image_size_mb` read back what a test
   wants to assert about an image.

Everything here must run as root (buildah's rootful mode, debootstrap, and
apt-get).  Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BASE_IMAGE",
    "BASE_PACKAGES",
    "HOST_CA_BUNDLE",
    "SUITE",
    "AptSource",
    "ContainerError",
    "apt_sources",
    "build",
    "debian_mirror",
    "default_cache_dir",
    "default_command",
    "ensure_base_image",
    "ensure_tools",
    "healthcheck_argv",
    "image_config",
    "image_exists",
    "image_size_bytes",
    "image_size_mb",
    "inspect_image",
    "remove_image",
    "run_healthcheck",
    "running",
]

LOG = logging.getLogger(__name__)

#: Debian release the base image is bootstrapped from (its python3 is 3.11).
SUITE = "bookworm"
#: Packages added to debootstrap's ``minbase`` variant.
BASE_PACKAGES: tuple[str, ...] = ("python3", "python3-venv", "ca-certificates")
#: Name of the locally built base image in buildah's store.
BASE_IMAGE = "localhost/test-base:bookworm-python"
#: The host's CA bundle; mounted read-only over the same path during builds.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: Where Debian-based images keep their CA bundle.
IMAGE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
#: buildah isolation used for both builds and runs: no OCI runtime needed, and
#: the host's network namespace is shared.
ISOLATION = "chroot"

_APT_DIR = Path("/etc/apt")
_DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# executable -> Debian package that provides it
_TOOLS: dict[str, str] = {"buildah": "buildah", "debootstrap": "debootstrap"}
_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_KEY_LABEL = "io.github.mlops-template.base-key"
# Pruned from the bootstrapped tree: package caches and indexes, man pages,
# translations, and files debootstrap copied from the host.
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


# --------------------------------------------------------------------------
# helpers


def _run(
    argv: Sequence[str],
    *,
    timeout: float | None = 600,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``, capture its output, and raise :class:`ContainerError` on failure."""
    LOG.debug("$ %s", " ".join(argv))
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else dict(env),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ContainerError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if proc.returncode != 0:
        raise ContainerError(
            f"exit {proc.returncode}: {' '.join(argv)}\n"
            f"--- stdout ---\n{proc.stdout[-8000:]}\n--- stderr ---\n{proc.stderr[-8000:]}"
        )
    return proc


def _require_root() -> None:
    if os.geteuid() != 0:
        raise ContainerError("container helpers need root (apt-get, debootstrap, rootful buildah)")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (serialises parallel test workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unmount_below(path: Path) -> None:
    """Lazily unmount anything mounted at or below ``path`` (deepest first).

    A debootstrap that died mid-way can leave ``proc``/``sys`` mounted inside
    its target; removing such a tree without unmounting first would recurse
    into the host's pseudo file systems.
    """
    prefix = str(path.resolve())
    mounts: list[str] = []
    with Path("/proc/self/mounts").open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 2:
                continue
            target = fields[1].encode().decode("unicode_escape")
            if target == prefix or target.startswith(prefix + "/"):
                mounts.append(target)
    for target in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)


def _remove_tree(path: Path) -> None:
    if path.exists():
        _unmount_below(path)
        shutil.rmtree(path)


# --------------------------------------------------------------------------
# tools


def ensure_tools() -> None:
    """Install ``buildah`` and ``debootstrap`` with apt-get when they are missing.

    Runs ``apt-get update`` once, then ``apt-get install --no-install-recommends``
    for the missing packages only; does nothing when both are on ``PATH``.
    Recommends (``runc``/``crun``, ``fuse-overlayfs``) are not needed: chroot
    isolation needs no OCI runtime, and rootful buildah uses the kernel's
    overlay driver.  ``uidmap`` comes in as a hard dependency.
    """
    _require_root()
    if not _missing_tools():
        return
    # Parallel test workers each get here on a fresh machine; apt-get takes its own lock and
    # fails rather than waits, so the workers queue on ours and the later ones find it done.
    with _locked(default_cache_dir() / "apt-get.lock"):
        missing = _missing_tools()
        if not missing:
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        started = time.monotonic()
        _run(["apt-get", "update", "-q"], env=env, timeout=900)
        _run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
            env=env,
            timeout=1800,
        )
    LOG.info("installed %s in %.1fs", " ".join(missing), time.monotonic() - started)


def _missing_tools() -> list[str]:
    """The Debian packages of the tools (and keyring) this machine does not have yet."""
    missing = [pkg for exe, pkg in _TOOLS.items() if shutil.which(exe) is None]
    if not _DEBIAN_KEYRING.is_file():
        missing.append("debian-archive-keyring")
    return missing


# --------------------------------------------------------------------------
# apt sources


@dataclass(frozen=True)
class AptSource:
    """One enabled entry of the host's apt configuration."""

    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    origin: Path


def _parse_one_line_list(text: str, origin: Path) -> list[AptSource]:
    """Parse the classic ``deb [opts] URI suite [component...]`` format."""
    entries: list[AptSource] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.replace("\t", " ").partition(" ")
        rest = rest.strip()
        if rest.startswith("["):  # options such as [arch=amd64 signed-by=...]
            _, _, rest = rest.partition("]")
        fields = rest.split()
        if kind not in ("deb", "deb-src") or len(fields) < 2:
            continue
        entries.append(AptSource((kind,), (fields[0],), (fields[1],), tuple(fields[2:]), origin))
    return entries


def _parse_deb822(text: str, origin: Path) -> list[AptSource]:
    """Parse the deb822 ``.sources`` format (stanzas separated by blank lines)."""
    entries: list[AptSource] = []
    stanzas: list[dict[str, str]] = [{}]
    last_key: str | None = None
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if stanzas[-1]:
                stanzas.append({})
            last_key = None
            continue
        if raw[0] in " \t" and last_key is not None:  # folded continuation line
            stanzas[-1][last_key] += " " + raw.strip()
            continue
        key, sep, value = raw.partition(":")
        if not sep:
            continue
        last_key = key.strip().lower()
        stanzas[-1][last_key] = value.strip()
    for stanza in stanzas:
        if not stanza or stanza.get("enabled", "yes").strip().lower() == "no":
            continue
        entries.append(
            AptSource(
                tuple(stanza.get("types", "").split()),
                tuple(stanza.get("uris", "").split()),
                tuple(stanza.get("suites", "").split()),
                tuple(stanza.get("components", "").split()),
                origin,
            )
        )
    return entries


def apt_sources(apt_dir: Path = _APT_DIR) -> list[AptSource]:
    """Read every enabled source the way apt does.

    Reads ``sources.list`` and then ``sources.list.d/*.list`` (one-line format)
    and ``sources.list.d/*.sources`` (deb822) in file-name order; files with
    other suffixes are ignored, as apt ignores them.
    """
    files: list[Path] = []
    main = apt_dir / "sources.list"
    if main.is_file():
        files.append(main)
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        files.extend(sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources")))
    entries: list[AptSource] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            entries.extend(_parse_deb822(text, path))
        else:
            entries.extend(_parse_one_line_list(text, path))
    return entries


def _is_security(uri: str, suites: Sequence[str]) -> bool:
    path = urllib.parse.urlsplit(uri).path.rstrip("/")
    return path.endswith("-security") or any(
        s.endswith("-security") or s.endswith("/updates") for s in suites
    )


def _read_mirror_list(uri: str) -> str:
    """The text of an apt mirror list.

    `mirror+file:/path`, `mirror://host/path` (http), `mirror+http(s)://...`.
    """
    method, _, location = uri.partition("+") if uri.startswith("mirror+") else ("", "", uri)
    if uri.startswith("mirror+file:") or (method and location.startswith("file:")):
        return Path(urllib.parse.urlsplit(location).path).read_text(encoding="utf-8")
    url = location if method else "http" + uri.removeprefix("mirror")
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body.decode("utf-8", errors="replace")


def expand_uri(uri: str) -> list[str]:
    """The archive URLs an apt URI stands for: itself, or each entry of a mirror list.

    apt's `mirror` method (`mirror+file:/etc/apt/apt-mirrors.txt` on GitHub's Ubuntu
    runners) names a file with one URI per line, each optionally followed by tab-separated
    `key:value` fields; `priority:N` orders them (lowest first, unlisted last).
    """
    if not uri.startswith("mirror"):
        return [uri]
    try:
        text = _read_mirror_list(uri)
    except (OSError, urllib.error.URLError) as error:
        LOG.warning("cannot read apt mirror list %s: %s", uri, error)
        return []
    ranked: list[tuple[float, int, str]] = []
    for number, raw in enumerate(text.splitlines()):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        priority = next(
            (float(f.split(":", 1)[1]) for f in fields[1:] if f.startswith("priority:")),
            float("inf"),
        )
        ranked.append((priority, number, fields[0]))
    return [entry for _, _, entry in sorted(ranked)]


def _serves(uri: str, suite: str) -> bool:
    """Whether the archive at `uri` has `dists/<suite>/Release` (a file check or a HEAD)."""
    url = f"{uri.rstrip('/')}/dists/{suite}/Release"
    if uri.startswith("file:"):
        return Path(urllib.parse.urlsplit(url).path).is_file()
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status == 200
    except (OSError, urllib.error.URLError):
        return False


def debian_mirror(suite: str = SUITE, apt_dir: Path = _APT_DIR) -> str:
    """Return a Debian archive URL, from this machine's apt sources, that serves `suite`.

    `MLOPS_TEMPLATE_DEBIAN_MIRROR` wins when set. Otherwise every enabled `deb` entry
    (one-line `.list` or deb822 `.sources`) is considered, mirror lists expanded, security
    archives skipped, entries listing `suite` first; the first that serves
    `dists/<suite>/Release` is used. Raises :class:`ContainerError` naming the fix when none
    does (an Ubuntu host, say, has no Debian archive configured).
    """
    override = os.environ.get("MLOPS_TEMPLATE_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/")
    exact: list[str] = []
    other: list[str] = []
    for entry in apt_sources(apt_dir):
        if "deb" not in entry.types:
            continue
        for uri in (u for listed in entry.uris for u in expand_uri(listed)):
            scheme = urllib.parse.urlsplit(uri).scheme
            if scheme not in ("http", "https", "file") or _is_security(uri, entry.suites):
                continue
            (exact if suite in entry.suites else other).append(uri.rstrip("/"))
    candidates = list(dict.fromkeys(exact + other))
    for uri in candidates:
        if _serves(uri, suite):
            return uri
    raise ContainerError(
        f"no apt source in {apt_dir}/sources.list[.d] serves Debian {suite} "
        f"(tried {', '.join(candidates) or 'none'}): set MLOPS_TEMPLATE_DEBIAN_MIRROR to a "
        "Debian mirror, or run where a Docker engine is available"
    )


# --------------------------------------------------------------------------
# base image


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mlops-template``, by default ``~/.cache/mlops-template``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlops-template"


def inspect_image(tag: str) -> dict[str, Any]:
    """Return ``buildah inspect --type image`` output for ``tag`` as a dict."""
    out = _run(["buildah", "inspect", "--type", "image", tag], timeout=120).stdout
    inspected: dict[str, Any] = json.loads(out)
    return inspected


def image_exists(tag: str) -> bool:
    """Whether buildah's local store has an image called ``tag``."""
    proc = subprocess.run(
        ["buildah", "inspect", "--type", "image", tag],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0


def _base_key(suite: str, packages: Sequence[str]) -> str:
    spec = json.dumps({"suite": suite, "packages": sorted(packages), "prune": _PRUNE})
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def _bootstrap_rootfs(cache_dir: Path, suite: str, packages: Sequence[str], key: str) -> Path:
    """Debootstrap (or reuse) the root file system for ``key`` under ``cache_dir``."""
    rootfs = cache_dir / f"rootfs-{suite}-{key}"
    if rootfs.is_dir():
        LOG.info("reusing root file system %s", rootfs)
        return rootfs
    partial = rootfs.with_name(rootfs.name + ".partial")
    _remove_tree(partial)
    mirror = debian_mirror(suite)
    started = time.monotonic()
    LOG.info("debootstrap %s from %s into %s", suite, mirror, partial)
    try:
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(packages)}",
                "--components=main",
                suite,
                str(partial),
                mirror,
            ],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            timeout=1800,
        )
    except BaseException:
        _remove_tree(partial)
        raise
    for pattern in _PRUNE:
        for path in partial.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    partial.rename(rootfs)
    LOG.info("debootstrap took %.1fs", time.monotonic() - started)
    return rootfs


def _import_rootfs(rootfs: Path, tag: str, labels: Mapping[str, str]) -> None:
    """Copy ``rootfs`` into a ``scratch`` working container and commit it as ``tag``.

    buildah has no ``import`` command; ``from scratch`` + ``mount`` + a tar pipe
    (numeric owners, xattrs, no device nodes) + ``commit`` does the same.
    """
    started = time.monotonic()
    name = f"mlops-import-{uuid.uuid4().hex[:12]}"
    _run(["buildah", "from", "--name", name, "scratch"])
    try:
        mountpoint = _run(["buildah", "mount", name]).stdout.strip()
        pack = subprocess.Popen(
            [
                "tar",
                "-C",
                str(rootfs),
                "--numeric-owner",
                "--xattrs",
                "--exclude=./dev/*",
                "--exclude=./proc/*",
                "--exclude=./sys/*",
                "-cf",
                "-",
                ".",
            ],
            stdout=subprocess.PIPE,
        )
        try:
            unpack = subprocess.run(
                [
                    "tar",
                    "-C",
                    mountpoint,
                    "--numeric-owner",
                    "--xattrs",
                    "--xattrs-include=*",
                    "-xpf",
                    "-",
                ],
                stdin=pack.stdout,
                capture_output=True,
                check=False,
            )
        finally:
            assert pack.stdout is not None
            pack.stdout.close()
            pack_rc = pack.wait()
        if pack_rc != 0 or unpack.returncode != 0:
            raise ContainerError(
                f"copying {rootfs} into {name} failed: {unpack.stderr.decode(errors='replace')}"
            )
        _run(["buildah", "umount", name])
        config = [
            "buildah",
            "config",
            "--env",
            f"PATH={_IMAGE_PATH}",
            "--env",
            "LANG=C.UTF-8",
            "--cmd",
            '["python3"]',
        ]
        for key, value in labels.items():
            config += ["--label", f"{key}={value}"]
        _run([*config, name])
        _run(["buildah", "commit", "--quiet", "--format", "docker", name, tag])
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
    LOG.info("imported %s as %s in %.1fs", rootfs, tag, time.monotonic() - started)


def ensure_base_image(
    cache_dir: Path | None = None,
    tag: str = BASE_IMAGE,
    *,
    suite: str = SUITE,
    packages: Sequence[str] = BASE_PACKAGES,
) -> str:
    """Return ``tag``, building the Debian + python3 base image first if needed.

    Fast path: the image is in buildah's store with a matching content key
    label (one ``buildah inspect``).  Otherwise the root file system is
    debootstrapped (``--variant=minbase --include=<packages>``) from
    :func:`debian_mirror` into ``cache_dir`` (default
    :func:`default_cache_dir`), pruned, and committed.  The bootstrapped tree
    is kept, so rebuilding the image after ``buildah rmi`` only re-imports it.
    A file lock in ``cache_dir`` serialises concurrent callers.
    """
    key = _base_key(suite, packages)
    if _has_base(tag, key):
        return tag
    ensure_tools()
    cache = (cache_dir or default_cache_dir()).resolve()
    with _locked(cache / "base-image.lock"):
        if _has_base(tag, key):
            return tag
        rootfs = _bootstrap_rootfs(cache, suite, packages, key)
        labels = {
            _KEY_LABEL: key,
            "org.opencontainers.image.base.name": f"debian:{suite}",
            "org.opencontainers.image.description": (
                f"debootstrap {suite} minbase + {' '.join(packages)}"
            ),
        }
        _import_rootfs(rootfs, tag, labels)
    return tag


def _has_base(tag: str, key: str) -> bool:
    if shutil.which("buildah") is None or not image_exists(tag):
        return False
    labels = image_config(tag).get("Labels") or {}
    return labels.get(_KEY_LABEL) == key


# --------------------------------------------------------------------------
# build


def build(
    context: Path,
    dockerfile: Path,
    tag: str,
    build_args: Mapping[str, str] | None = None,
    *,
    base_image: str | None = None,
    labels: Mapping[str, str] | None = None,
    ca_bundle: Path | None = HOST_CA_BUNDLE,
    layers: bool = True,
    extra_args: Sequence[str] = (),
    timeout: float = 1800,
) -> str:
    """Build ``dockerfile`` in ``context`` as ``tag`` and return the build log.

    Runs ``buildah bud --isolation chroot --format docker --pull=never`` (Docker
    format keeps ``HEALTHCHECK``; ``--pull=never`` fails fast instead of
    trying a registry).  ``RUN`` steps share the host's network namespace and
    get ``ca_bundle`` bind-mounted read-only at the image's CA bundle path, so
    pip verifies TLS exactly as the host does.  The mount is not part of any
    layer: the built image keeps its own bundle.  Tools that ignore the system
    bundle (uv, pip from PyPI with its own certifi) also need
    ``SSL_CERT_FILE``: declare ``ARG SSL_CERT_FILE`` in the Dockerfile and pass
    it in ``build_args`` (``ARG`` values are visible to ``RUN`` but not stored
    in the image's environment), or set ``UV_NATIVE_TLS=1`` the same way.
    ``layers`` caches intermediate layers between builds.  Pass ``ca_bundle=None``
    to build without the mount.  ``base_image`` replaces the image of the first
    ``FROM`` (``buildah bud --from``): the Dockerfile's pinned base lives in a registry
    this machine cannot reach.
    """
    argv = [
        "buildah",
        "bud",
        "--isolation",
        ISOLATION,
        "--format",
        "docker",
        "--pull=never",
        "--force-rm",
        f"--layers={'true' if layers else 'false'}",
        "--file",
        str(dockerfile),
        "--tag",
        tag,
    ]
    if base_image:
        argv += ["--from", base_image]
    for key, value in (labels or {}).items():  # set at commit: no cached layer keeps an old one
        argv += ["--label", f"{key}={value}"]
    for key, value in (build_args or {}).items():
        argv += ["--build-arg", f"{key}={value}"]
    if ca_bundle is not None:
        if not ca_bundle.is_file():
            raise ContainerError(f"CA bundle {ca_bundle} does not exist")
        argv += ["--volume", f"{ca_bundle}:{IMAGE_CA_BUNDLE}:ro"]
    argv += [*extra_args, str(context)]
    started = time.monotonic()
    proc = _run(argv, timeout=timeout)
    LOG.info("built %s in %.1fs", tag, time.monotonic() - started)
    return proc.stdout + proc.stderr


def remove_image(tag: str) -> None:
    """Remove ``tag`` from buildah's store; a missing image is not an error."""
    subprocess.run(["buildah", "rmi", "--force", tag], capture_output=True, check=False)


# --------------------------------------------------------------------------
# image metadata


def image_config(tag: str) -> dict[str, Any]:
    """Return the Docker-format config of ``tag``.

    Keys of interest: ``User``, ``ExposedPorts`` (e.g. ``{"8000/tcp": {}}``),
    ``Healthcheck`` (``{"Test": ["CMD-SHELL", "..."], "Interval": ns, ...}``),
    ``Labels``, ``Env``, ``Cmd``, ``Entrypoint``, ``WorkingDir``.  The OCI
    config buildah keeps beside it has no ``Healthcheck``, so an image built
    with ``--format oci`` has none here either.
    """
    info = inspect_image(tag)
    config = (info.get("Docker") or {}).get("config") or {}
    if not config:
        config = (info.get("OCIv1") or {}).get("config") or {}
    return dict(config)


def image_size_bytes(tag: str) -> int:
    """Uncompressed size of ``tag``: the sum of its layer sizes (what ``buildah images`` shows)."""
    manifest = json.loads(inspect_image(tag)["Manifest"])
    return sum(int(layer["size"]) for layer in manifest.get("layers", []))


def image_size_mb(tag: str) -> float:
    """:func:`image_size_bytes` in decimal megabytes (10**6 bytes), as Docker reports it."""
    return image_size_bytes(tag) / 1_000_000


def default_command(config: Mapping[str, Any]) -> list[str]:
    """The argv a container engine would run: ``Entrypoint`` followed by ``Cmd``."""
    return [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]


def healthcheck_argv(config: Mapping[str, Any]) -> list[str] | None:
    """Turn the config's ``Healthcheck.Test`` into an argv, or ``None`` if there is none.

    ``["CMD", *argv]`` runs ``argv``; ``["CMD-SHELL", cmd]`` runs ``/bin/sh -c cmd``;
    ``["NONE"]`` or no healthcheck gives ``None``.
    """
    test = list((config.get("Healthcheck") or {}).get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return test[1:]
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    raise ContainerError(f"unknown healthcheck form {test!r}")


# --------------------------------------------------------------------------
# run


def _working_container(tag: str, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    _run(["buildah", "from", "--pull=never", "--quiet", "--name", name, tag], timeout=300)
    return name


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _answers(url: str) -> bool:
    """Whether ``url`` returns any HTTP response (an error status counts)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group started for ``proc``; SIGKILL it after ``grace`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # the group may outlive its leader; make sure nothing of ours keeps the port
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


@contextlib.contextmanager
def running(
    tag: str,
    port: int = 8000,
    *,
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    path: str = "/",
    host: str = "127.0.0.1",
    timeout: float = 60.0,
    stop_grace: float = 10.0,
) -> Iterator[str]:
    """Run ``tag`` in the background and yield its base URL once it answers HTTP.

    Creates a working container (``buildah from``), runs the image's
    ``Entrypoint`` + ``Cmd`` (or ``command``) in it with
    ``buildah run --isolation chroot``, as the image's ``User`` and in its
    ``WorkingDir``, with ``env`` added.  Chroot isolation shares the host's
    network namespace, so the server's port is the host's port: ``port`` must
    be free beforehand.  Readiness is any HTTP response from ``path``.  On
    exit the process group is sent SIGTERM (SIGKILL after ``stop_grace``
    seconds) and the working container is removed.  If the process dies or
    never answers within ``timeout`` seconds, :class:`ContainerError` carries
    its output.
    """
    if _port_open(host, port):
        raise ContainerError(f"{host}:{port} is already in use; refusing to start {tag}")
    argv = list(command) if command is not None else default_command(image_config(tag))
    if not argv:
        raise ContainerError(f"{tag} has no Entrypoint/Cmd and no command was given")
    name = _working_container(tag, "mlops-run")
    run_argv = ["buildah", "run", "--isolation", ISOLATION]
    for key, value in (env or {}).items():
        run_argv += ["--env", f"{key}={value}"]
    run_argv += [name, "--", *argv]
    url = f"http://{host}:{port}"
    with tempfile.TemporaryFile() as log:
        proc: subprocess.Popen[bytes] | None = None
        try:
            started = time.monotonic()
            proc = subprocess.Popen(
                run_argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = started + timeout
            while not _answers(url + path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-8000:]
                    state = (
                        f"exited with {proc.returncode}"
                        if proc.returncode is not None
                        else f"did not answer within {timeout}s"
                    )
                    raise ContainerError(f"{tag} {state}: {' '.join(argv)}\n{output}")
                time.sleep(0.2)
            LOG.info("%s answered at %s after %.2fs", tag, url, time.monotonic() - started)
            try:
                yield url
            except Exception as error:  # a failing check shows what the service printed
                log.seek(0)
                output = log.read().decode(errors="replace")[-8000:]
                alive = "running" if proc.poll() is None else f"exited with {proc.returncode}"
                error.add_note(f"--- {tag} ({alive}) printed:\n{output}")
                raise
        finally:
            if proc is not None:
                _stop(proc, stop_grace)
            subprocess.run(["buildah", "rm", name], capture_output=True, check=False)


def run_healthcheck(tag: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``tag``'s ``HEALTHCHECK`` command once in a fresh working container.

    Use it inside :func:`running`: the check runs as the image's user, in the
    host's network namespace, so it reaches the server started there.  The
    returned process's ``returncode`` is 0 when healthy.  Raises
    :class:`ContainerError` if the image has no healthcheck.
    """
    argv = healthcheck_argv(image_config(tag))
    if argv is None:
        raise ContainerError(f"{tag} has no HEALTHCHECK")
    name = _working_container(tag, "mlops-health")
    try:
        return subprocess.run(
            ["buildah", "run", "--isolation", ISOLATION, name, "--", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)
