"""Finish the generated project: keep only what the answers chose, then say what to do next.

Runs inside the new project directory. It removes the licenses, golden sets and baselines
that belong to other answers, records the answers for later re-rendering, records the
template and its commit in .cruft.json (so `make template-update` can take later template
versions with cruft), starts a git repository (DVC and the gate read git) and, when uv can
reach the package index, writes the lock file so that the first commit pins every dependency.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS: dict[str, str] = json.loads(r"""{{ cookiecutter | tojson }}""")
PROJECT = Path.cwd()


def keep_only(chosen: Path, target: Path, folder: Path) -> None:
    """Move the chosen variant to its final name and delete the folder of alternatives."""
    chosen.replace(target)
    shutil.rmtree(folder)


def record_answers() -> None:
    """Write the public answers (not cookiecutter's private, machine-specific keys)."""
    public = {key: value for key, value in ANSWERS.items() if not key.startswith("_")}
    (PROJECT / ".cookiecutter.json").write_text(json.dumps(public, indent=2) + "\n")


# cookiecutter's abbreviations, as cruft needs a URL git can clone
ABBREVIATIONS = {
    "gh:": "https://github.com/",
    "gl:": "https://gitlab.com/",
    "bb:": "https://bitbucket.org/",
}


def template_source() -> tuple[str, str] | None:
    """The template's location and commit, when the template is a git checkout."""
    location = str(ANSWERS.get("_template", ""))
    for short, url in ABBREVIATIONS.items():
        if location.startswith(short):
            location = url + location.removeprefix(short)
    repo_dir = Path(str(ANSWERS.get("_repo_dir", "")))
    if not repo_dir.is_absolute():  # relative to where cookiecutter was started
        repo_dir = Path(os.environ.get("PWD", ".")) / repo_dir
    if "://" not in location and not location.startswith("git@"):
        location = str(repo_dir.resolve())
    if shutil.which("git") is None:
        return None
    commit = subprocess.run(
        ["git", "-C", str(repo_dir), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if commit.returncode != 0:
        return None
    return location, commit.stdout.strip()


def record_template() -> str:
    """Write .cruft.json as `cruft create` would (cruft overwrites it when it made the project)."""
    source = None if (PROJECT / ".cruft.json").exists() else template_source()
    if source is None:
        return ""
    context = {k: v for k, v in ANSWERS.items() if k not in ("_output_dir", "_repo_dir")}
    state = {
        "template": source[0],
        "commit": source[1],
        "checkout": None,
        "context": {"cookiecutter": context},
        "directory": None,
    }
    (PROJECT / ".cruft.json").write_text(json.dumps(state, indent=2) + "\n")
    return f"recorded template commit {source[1][:7]} in .cruft.json."


def run(*command: str) -> str | None:
    """Run a helper command quietly; return None on success, else why it failed."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    try:
        result = subprocess.run(
            command, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        return f"`{' '.join(command)}` took too long"
    if result.returncode == 0:
        return None
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"`{' '.join(command)}` exited {result.returncode}"


def start_git() -> str:
    """Start a git repository unless the project is inside one; say what was done."""
    if shutil.which("git") is None:
        return "git was not found: install it and run `git init -b main` here (DVC needs git)."
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "."], cwd=PROJECT, capture_output=True, check=False
    )
    if inside.returncode == 0 and ignored.returncode != 0:
        return "the project sits inside an existing git repository, so no new one was started."
    failure = run("git", "init", "--quiet", "--initial-branch=main")
    if failure:
        return f"`git init` failed ({failure}): run `git init -b main` here yourself."
    return "started a git repository on branch main."


def lock_dependencies() -> str:
    """Write uv.lock when uv can resolve; say whether it did."""
    failure = run("uv", "lock", "--quiet")
    if failure is None:
        return "wrote uv.lock (commit it: it pins every dependency)."
    return f"did not write uv.lock ({failure}): `make install` will create it."


def main() -> int:
    """Keep the chosen variants, record the answers, start git and lock; print next steps."""
    task, licence = ANSWERS["task"], ANSWERS["license"]
    keep_only(PROJECT / "_licenses" / licence, PROJECT / "LICENSE", PROJECT / "_licenses")
    keep_only(
        PROJECT / "data" / "golden" / "variants" / f"{task}.csv",
        PROJECT / "data" / "golden" / "golden.csv",
        PROJECT / "data" / "golden" / "variants",
    )
    keep_only(
        PROJECT / "metrics" / "variants" / f"{task}-{ANSWERS['model']}.json",
        PROJECT / "metrics" / "baseline.json",
        PROJECT / "metrics" / "variants",
    )
    record_answers()
    notes = [note for note in (record_template(), start_git(), lock_dependencies()) if note]
    slug = ANSWERS["project_slug"]
    print(f"\nCreated {slug}: " + " ".join(notes))
    print(
        "\nNext steps:\n"
        f"  cd {slug}\n"
        "  make install   # create .venv with uv\n"
        "  make repro     # sample data, validate, train, evaluate, export (dvc repro)\n"
        "  make test      # data, model and gate tests\n"
        "  make gate      # compare the model with metrics/baseline.json on the target branch\n"
        "  make import-data DATA=table.csv TARGET=column   # your own data instead of the demo's\n"
        "  make serve     # score requests on http://127.0.0.1:8000 (docs at /docs)\n"
        "  make help      # every target\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
