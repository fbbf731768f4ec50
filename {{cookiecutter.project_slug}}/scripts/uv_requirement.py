"""Print pip's requirement line for the uv that uv.lock pins, with every file's hash.

The image build installs uv with `pip install --require-hashes` from this line, so the
serving image gets exactly the uv that CI uses (setup-uv reads the same uv.lock) and pip
refuses a file whose hash the lock does not list. Standard library only: it runs in the
bare base image. Usage: `python3 scripts/uv_requirement.py [uv.lock]`.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any


def requirement(lock: dict[str, Any]) -> str:
    """`uv==X --hash=sha256:...` for every wheel (and the sdist) of uv in the lock."""
    found = [package for package in lock.get("package", []) if package.get("name") == "uv"]
    if not found:
        raise SystemExit(
            "uv.lock pins no uv: add it with `uv add --group uv uv==<version>` "
            "(pyproject.toml, dependency group `uv`)"
        )
    uv = found[0]
    files = [*uv.get("wheels", []), *([uv["sdist"]] if "sdist" in uv else [])]
    hashes = [entry["hash"] for entry in files if "hash" in entry]
    if not hashes:
        raise SystemExit(f"uv.lock lists no hashes for uv {uv['version']}: run `uv lock`")
    return f"uv=={uv['version']} " + " ".join(f"--hash={digest}" for digest in hashes)


def main() -> None:
    """Print the requirement for the lock file given (default: uv.lock)."""
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "uv.lock")
    print(requirement(tomllib.loads(path.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
