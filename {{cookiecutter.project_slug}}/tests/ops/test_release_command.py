"""`release <action>` against a real git repository and a stand-in `docker` on PATH.

The stand-in keeps a registry in a JSON file (image name -> digest, revision label, files):
what `docker buildx imagetools` and `docker run` would answer for GHCR.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli

IMAGE = "ghcr.io/owner/project"
FAKE_DOCKER = """\
import json, sys
from pathlib import Path

store = Path(__file__).with_name("registry.json")
images = json.loads(store.read_text())
args = sys.argv[1:]
if args[:3] == ["buildx", "imagetools", "inspect"]:
    image = images.get(args[3])
    if image is None:
        sys.exit(f"ERROR: {args[3]}: not found")
    views = {
        "{" * 2 + "json .Manifest" + "}" * 2: {"digest": image["digest"]},
        "{" * 2 + "json .Image" + "}" * 2: {"config": {"Labels": image["labels"]}},
    }
    print(json.dumps(views[args[5]]) if args[4:5] == ["--format"] else f"Name: {args[3]}")
elif args[:3] == ["buildx", "imagetools", "create"]:
    *pairs, source = args[3:]
    if source not in images:
        sys.exit(f"ERROR: {source}: not found")
    for target in pairs[1::2]:
        images[target] = images[source]
    store.write_text(json.dumps(images))
elif args[:4] == ["run", "--rm", "--entrypoint", "cat"]:
    print(images[args[4]]["files"][args[5]], end="")
else:
    sys.exit(f"fake docker: {args} is not understood")
"""


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    result = subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two commits, `older` and `newer`; HEAD is `newer`."""
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    git(root, "init", "--quiet")
    for name in ("older", "newer"):
        (root / "file").write_text(name)
        git(root, "add", "file")
        git(root, "commit", "--quiet", "-m", name)
    return root


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in `docker` first on PATH; its registry.json starts empty."""
    folder = tmp_path / "bin"
    folder.mkdir()
    docker = folder / "docker"
    docker.write_text(f"#!{sys.executable}\n{FAKE_DOCKER}")
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    (folder / "registry.json").write_text("{}")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder / "registry.json"


def publish(registry: Path, sha: str) -> str:
    """What CI's publish job leaves: IMAGE:sha-<short>, labelled with its commit."""
    images = json.loads(registry.read_text())
    images[f"{IMAGE}:sha-{sha[:7]}"] = {
        "digest": "sha256:" + sha[:2] * 32,
        "labels": {"org.opencontainers.image.revision": sha},
        "files": {"/srv/model/metadata.json": json.dumps({"version": sha[:7]})},
    }
    registry.write_text(json.dumps(images))
    return f"sha-{sha[:7]}"


def revision_of_main(registry: Path) -> str:
    labels = json.loads(registry.read_text())[f"{IMAGE}:main"]["labels"]
    return str(labels["org.opencontainers.image.revision"])


def test_main_only_moves_forward(
    repo: Path, registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer, older = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD^")
    publish(registry, older)

    source = publish(registry, newer)

    assert cli.main(["release", "promote", "--image", IMAGE, "--source-tag", source]) == 0
    assert revision_of_main(registry) == newer
    # The older commit's run finishes last: main stays on the newer commit.
    git(repo, "checkout", "--quiet", older)
    assert cli.main(["release", "promote", "--image", IMAGE]) == 0

    assert "a later commit: left as it is" in capsys.readouterr().out
    assert revision_of_main(registry) == newer


def test_main_moves_to_the_first_image_and_past_an_unknown_one(repo: Path, registry: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    publish(registry, head)

    assert cli.main(["release", "promote", "--image", IMAGE]) == 0
    assert revision_of_main(registry) == head
    images = json.loads(registry.read_text())
    images[f"{IMAGE}:main"]["labels"] = {"org.opencontainers.image.revision": "f" * 40}
    registry.write_text(json.dumps(images))  # a commit this clone does not know (force-pushed)

    assert cli.main(["release", "promote", "--image", IMAGE]) == 0
    assert revision_of_main(registry) == head


def test_a_release_tags_the_published_image_by_the_repositorys_tags(
    repo: Path, registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    source = publish(registry, head)
    git(repo, "tag", "v1.3.0", "HEAD^")
    git(repo, "tag", "v1.2.9")
    monkeypatch.setenv("RELEASE", "v1.2.9")  # a patch on an old line

    assert cli.main(["release", "retag", "--image", IMAGE]) == 0

    assert f"retag: {IMAGE}:{source} as 1.2.9 1.2\n" in capsys.readouterr().out
    images = json.loads(registry.read_text())
    assert images[f"{IMAGE}:1.2.9"] == images[f"{IMAGE}:1.2"] == images[f"{IMAGE}:{source}"]
    assert f"{IMAGE}:latest" not in images


def test_tags_and_flags_read_the_tag_on_head_without_release(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RELEASE", raising=False)
    git(repo, "tag", "v0.9.0", "HEAD^")
    git(repo, "tag", "v1.0.0")

    assert cli.main(["release", "tags"]) == 0
    assert cli.main(["release", "flags"]) == 0

    printed = capsys.readouterr().out.split()
    assert printed == ["1.0.0", "1.0", "latest", "latest=true", "prerelease=false"]


def test_a_hostile_release_is_refused_before_any_registry_call(
    repo: Path, registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(registry, git(repo, "rev-parse", "HEAD"))
    before = registry.read_text()
    monkeypatch.setenv("RELEASE", "v1.2.3-a$(touch${IFS}pwned)")

    assert cli.main(["release", "retag", "--image", IMAGE]) == 18
    assert cli.main(["model-card", "--version", os.environ["RELEASE"]]) == 18

    assert "is not a version tag: use vX.Y.Z or vX.Y.Z-pre" in capsys.readouterr().err
    assert registry.read_text() == before
    assert not (repo / "pwned").exists()


def test_a_commit_ci_never_published_fails_saying_how_to_recover(
    repo: Path, registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELEASE", "v1.0.0")
    head = git(repo, "rev-parse", "HEAD")
    wait = ["release", "wait-image", "--image", IMAGE, "--timeout", "0.02", "--interval", "0.01"]

    assert cli.main(wait) == 18
    assert cli.main(["release", "retag", "--image", IMAGE]) == 18

    err = capsys.readouterr().err
    assert f"release: {IMAGE}:sha-{head[:7]} was not published within 0.02 s." in err
    assert f"gh run list --workflow ci.yml --commit {head}" in err
    assert "gh run rerun <this run id> --failed" in err
    assert "is not published: tag a commit that CI published from main" in err
    publish(registry, head)
    assert cli.main(wait) == 0


def test_image_metadata_copies_the_metadata_and_the_digest(repo: Path, registry: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    publish(registry, head)

    assert cli.main(["release", "image-metadata", "--image", IMAGE]) == 0

    metadata = json.loads((repo / "reports" / "image-metadata.json").read_text())
    assert metadata == {"version": head[:7]}
    assert (repo / "reports" / "image-digest").read_text() == "sha256:" + head[:2] * 32 + "\n"
