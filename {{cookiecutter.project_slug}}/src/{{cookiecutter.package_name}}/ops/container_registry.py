"""The image registry as the release steps see it: `docker buildx imagetools` and `docker run`.

Nothing is rebuilt or pulled whole: a release adds tags to the manifest CI published
(`imagetools create`), and reads its digest, revision label and serving metadata. Docker's own
login (docker/login-action in CI, `docker login` here) gives the access.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.package_name }}.ops.release import ReleaseError

REVISION = "org.opencontainers.image.revision"


class ImageRegistryError(ReleaseError):
    """The registry refused or lacks an image; the message says which and why."""


def go_template(field: str) -> str:
    """Docker's format printing `.<field>` as JSON (no double braces: this is rendered)."""
    return "{" * 2 + f"json .{field}" + "}" * 2


@dataclass(frozen=True)
class Registry:
    """Images reached through the `docker` command."""

    docker: str = "docker"

    def _docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([self.docker, *args], capture_output=True, text=True, check=False)
        except OSError as error:
            raise ImageRegistryError(f"cannot run {self.docker} ({error})") from None

    def _inspect(self, image: str, field: str) -> dict[str, Any]:
        format_ = go_template(field)
        result = self._docker("buildx", "imagetools", "inspect", image, "--format", format_)
        if result.returncode != 0:
            raise ImageRegistryError(f"{image} cannot be read: {result.stderr.strip()}")
        content = json.loads(result.stdout)
        if not isinstance(content, dict):
            raise ImageRegistryError(f"{image}: docker printed no {field} object")
        return content

    def exists(self, image: str) -> bool:
        """Whether the registry has `image` (a name:tag); False when it cannot be read."""
        return self._docker("buildx", "imagetools", "inspect", image).returncode == 0

    def revision(self, image: str) -> str | None:
        """The commit `image` was built from (its revision label); None without one."""
        try:
            labels = self._inspect(image, "Image").get("config", {}).get("Labels") or {}
        except (ImageRegistryError, ValueError, AttributeError):
            return None
        value = labels.get(REVISION)
        return value if isinstance(value, str) and value else None

    def digest(self, image: str) -> str:
        """The digest of `image`'s manifest: the name of exactly that image."""
        digest = self._inspect(image, "Manifest").get("digest")
        if not isinstance(digest, str):
            raise ImageRegistryError(f"{image}: its manifest has no digest")
        return digest

    def tag(self, source: str, targets: list[str]) -> None:
        """Give `source`'s manifest the tags `targets` (full image:tag names), in the registry."""
        tags = [arg for target in targets for arg in ("--tag", target)]
        result = self._docker("buildx", "imagetools", "create", *tags, source)
        if result.returncode != 0:
            raise ImageRegistryError(f"tagging {source} failed: {result.stderr.strip()}")

    def read_file(self, image: str, path: str) -> str:
        """The text of the file at `path` inside `image` (the image is run once, then removed)."""
        result = self._docker("run", "--rm", "--entrypoint", "cat", image, path)
        if result.returncode != 0:
            raise ImageRegistryError(f"cannot read {path} from {image}: {result.stderr.strip()}")
        return result.stdout

    def wait_for(
        self,
        image: str,
        timeout: float,
        interval: float,
        say: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ) -> bool:
        """Whether `image` was published within `timeout` seconds (checked every `interval`)."""
        waited = 0.0
        while not self.exists(image):
            if waited >= timeout:
                return False
            say(f"{image} is not published yet; checking again in {interval:g} s")
            sleep(interval)
            waited += interval
        return True
