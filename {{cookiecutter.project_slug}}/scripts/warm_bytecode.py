"""Cache the bytecode of what `make repro` imports, on two cores (`make install`).

Where PYTHONDONTWRITEBYTECODE is set, the Makefile has Python cache bytecode in
.venv/pycache (PYTHONPYCACHEPREFIX) instead of not at all. Compiling every library at
install would take half a minute of CPU, mostly for files nothing imports; importing what
the pipeline runs compiles about a fifth of them, once, on both cores, so that the first
`make repro` compiles almost nothing (the other commands cache the little they add).

    uv run python scripts/warm_bytecode.py
"""

from __future__ import annotations

import importlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.cli import PACKAGE, PROG, available

# What the stages import inside functions (slow to import): the model file's skops, which
# imports every scikit-learn estimator, goes with the stages; DVC's repro and MLflow's logging
# (the other half of the work) are imported by the other process.
WITH_THE_STAGES = ("skops.io",)
DVC_AND_MLFLOW = (
    "dvc.repo.reproduce",
    "mlflow.sklearn",
    "mlflow.models",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
)


def stage_modules(dvc_yaml: Path) -> list[str]:
    """The modules of the commands dvc.yaml's stages run (`<project> <command>`)."""
    commands = available()
    stages = yaml.safe_load(dvc_yaml.read_text())["stages"].values()
    words = [str(stage["cmd"]).split() for stage in stages]
    return [
        f"{PACKAGE}.{commands[cmd[1]].module}"
        for cmd in words
        if cmd[:1] == [PROG] and len(cmd) > 1 and cmd[1] in commands
    ]


def load(modules: list[str]) -> None:
    """Import `modules`: Python caches the bytecode of all they import."""
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # say, contract.yaml mid-edit: its command says why when it runs
            continue


def main() -> None:
    """Import the stages' modules in one process, DVC's and MLflow's in the other."""
    stages = [*stage_modules(Path("dvc.yaml")), *WITH_THE_STAGES]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(load, [stages, list(DVC_AND_MLFLOW)]))


if __name__ == "__main__":
    main()
