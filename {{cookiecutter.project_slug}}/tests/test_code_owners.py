"""Every change to what decides the gate needs a code owner's review (.github/CODEOWNERS).

The modules are found from the imports of the gate, the golden-set evaluation, `make
baseline` and the gate override (importing a.b.c runs the `__init__.py` of a and of a.b too):
add an import to one of them and this test names the module to add to CODEOWNERS.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from .conftest import PROJECT

PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = PROJECT / "src" / PACKAGE
# cli: the command line that runs them turns the gate's verdict into its exit status;
# ops.gate_override: who may override the gate (and the GitHub client it trusts for that).
ENTRIES = ("cli", "gate.check", "pipeline.evaluate", "gate.baseline", "ops.gate_override")
# Besides that closure, what a pull request could edit to pass a gate it should fail (or to
# pass the Required check without it).
DECIDERS = (
    ".github/workflows/ci.yml",
    ".github/rulesets/main.json",
    "Makefile",
    "dvc.yaml",
    "params.yaml",
    "metrics/baseline.json",
    "data/golden/golden.csv",
    "scripts/remote_access.py",
    "scripts/required_checks.py",
)


def file_of(module: str) -> Path | None:
    """The file importing `module` runs ("" is the package itself)."""
    if not module:
        return SOURCE / "__init__.py"
    base = SOURCE.joinpath(*module.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def imported(path: Path) -> list[str]:
    """The package's modules a file imports (absolute imports, as the package writes them)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            named = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            named = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in named:
            inner = name.removeprefix(f"{PACKAGE}.") if name != PACKAGE else ""
            if name.startswith(PACKAGE) and inner and file_of(inner) is not None:
                found.append(inner)
    return found


def gate_closure() -> list[str]:
    """Every file of the package the gate, the evaluation and `make baseline` run."""
    found: set[Path] = set()
    todo = list(ENTRIES)
    while todo:
        parts = todo.pop().split(".")
        files = {file_of(".".join(parts[:depth])) for depth in range(len(parts) + 1)}
        for path in {p for p in files if p is not None} - found:
            found.add(path)
            todo += imported(path)
    return sorted(str(path.relative_to(PROJECT)) for path in found)


def unowned(codeowners: Path, paths: list[str]) -> list[str]:
    """The paths no CODEOWNERS line owns: the last matching line decides, as on GitHub."""
    rules = []
    for line in codeowners.read_text().splitlines():
        pattern, *owners = line.split("#", 1)[0].split() or [""]
        if pattern:
            assert pattern.startswith("/"), f"unanchored pattern {pattern!r}: extend this check"
            rules.append((pattern[1:], bool(owners)))

    def owned(path: str) -> bool:
        matching = [
            has for p, has in rules if path == p or (p.endswith("/") and path.startswith(p))
        ]
        return bool(matching) and matching[-1]

    return [path for path in paths if not owned(path)]


def test_code_owners_review_every_change_to_what_decides_the_gate() -> None:
    closure = gate_closure()

    assert [path for path in DECIDERS if not (PROJECT / path).is_file()] == []
    modules = ("cli", "gate/check", "core/git", "core/settings", "core/task", "tracking/registry")
    assert {f"src/{PACKAGE}/{name}.py" for name in modules} <= set(closure)
    assert unowned(PROJECT / ".github" / "CODEOWNERS", [*DECIDERS, *closure]) == []


def test_a_module_the_gate_imports_missing_from_code_owners_is_reported(tmp_path: Path) -> None:
    codeowners = tmp_path / "CODEOWNERS"
    shutil.copy(PROJECT / ".github" / "CODEOWNERS", codeowners)
    lines = codeowners.read_text().splitlines()
    codeowners.write_text("\n".join(line for line in lines if "/tracking/" not in line))

    assert unowned(codeowners, gate_closure()) == [
        f"src/{PACKAGE}/tracking/__init__.py",
        f"src/{PACKAGE}/tracking/registry.py",
    ]
