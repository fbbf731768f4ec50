"""Generate real projects and walk through what a user does.

Install, repro, test, lint, commit, gate, then break things on purpose and watch the right check
fail.

The steps build on each other like a user's session, so each project runs them in order in
one test; each step is a function named after the behaviour it checks.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import pytest
import yaml

from .conftest import bake, run

pytestmark = pytest.mark.e2e

VARIANTS = {
    "default": {},
    "regression-gb": {"task": "regression", "model": "gradient_boosting", "license": "Apache-2.0"},
}
MODEL_KINDS = ("random_forest", "gradient_boosting", "linear")
# A one-tree, depth-1 model (or one boosting step, or all but no weights): clearly worse.
DEGRADED: dict[str, dict[str, object]] = {
    "random_forest": {"n_estimators": 1, "max_depth": 1},
    "gradient_boosting": {"max_iter": 1, "max_depth": 1},
    "linear": {"alpha": "1000000.0"},
}


class Journey(TypedDict):
    """What the steps share: the project, its answers, whether it runs its own checks.

    `own_checks`: run the project's `make test`, `make fuzz` and `make lint` here. The default
    project's run in test_workflow_ci's pull request (its test and lint jobs, as CI runs them),
    so its journey leaves them out.
    """

    root: Path
    answers: dict[str, str]
    own_checks: bool


@pytest.mark.parametrize("variant", VARIANTS)
def test_user_journey(variant: str, tmp_path: Path) -> None:
    root = bake(tmp_path, offline=False, **VARIANTS[variant])
    project: Journey = {
        "root": root,
        "answers": json.loads((root / ".cookiecutter.json").read_text()),
        "own_checks": variant != "default",
    }
    if variant == "default":  # the paths other tests leave aside (see conftest.runner_env)
        install_caches_bytecode_where_python_would_not(project)
    else:
        run("make install", root)

    pipeline_reproduces_and_reports_metrics_and_plots(project)
    unchanged_pipeline_is_skipped(project)
    a_contract_change_makes_every_stage_that_reads_it_stale(project)
    if project["own_checks"]:
        project_tests_pass(project)
    fresh_project_passes_lint_and_its_own_gate(project)
    serving_that_imports_a_training_stage_fails_lint(project)
    model_registered_in_mlflow_with_challenger_alias(project)
    if variant == "default":  # the other variant's `make test` trains every kind too
        every_model_kind_runs_and_is_gated_by_editing_only_params_yaml(project)
    degraded_model_fails_the_gate_with_the_table(project)
    lowering_the_working_tree_baseline_does_not_rescue_it(project)
    loosening_the_rules_on_a_branch_does_not_rescue_it(project)
    scores_brought_along_by_the_change_are_measured_again_in_ci(project)
    override_without_a_new_baseline_is_refused(project)
    corrupt_raw_file_fails_the_data_stage_naming_the_column(project)


def install_caches_bytecode_where_python_would_not(project: Journey) -> None:
    root = project["root"]
    output = run("make install", root, env={"PYTHONDONTWRITEBYTECODE": "1"}).stdout
    assert "caching the bytecode make repro imports" in output
    cached = root / ".venv" / "pycache"  # PYTHONPYCACHEPREFIX: none in the source tree
    assert list(cached.glob("**/site-packages/sklearn/ensemble/*.pyc"))  # what training imports
    assert list(cached.glob(f"**/src/{project['answers']['package_name']}/pipeline/*.pyc"))
    assert not list(cached.glob("**/site-packages/plotly/*.pyc"))  # not every library: drift's
    assert not list((root / "src").glob("**/__pycache__"))


def set_params(root: Path, section: str, **values: object) -> None:
    params = (root / "params.yaml").read_text()
    for key, value in values.items():
        params, count = re.subn(
            rf"^(\s+{key}:)\s*[^#\n]*", rf"\g<1> {value}", params, count=1, flags=re.M
        )
        if count == 0 and section == "model":  # a hyperparameter at its default (estimators.py)
            params, count = re.subn(r"(?m)^(  kind: .*\n)", rf"\g<1>  {key}: {value}\n", params)
        assert count == 1, f"{section}.{key} not found in params.yaml"
    (root / "params.yaml").write_text(params)


def pipeline_reproduces_and_reports_metrics_and_plots(project: Journey) -> None:
    root = project["root"]
    run("make repro", root)

    metrics = run("uv run --locked dvc metrics show --json", root).stdout
    assert "golden.json" in metrics
    run("uv run --locked dvc plots show", root)
    assert (root / "dvc_plots" / "index.html").is_file()
    assert (root / "models" / "model.skops").is_file()


def unchanged_pipeline_is_skipped(project: Journey) -> None:
    output = run("make repro", project["root"]).stdout
    for stage in ("data", "train", "evaluate", "export"):
        assert f"Stage '{stage}' didn't change, skipping" in output


def a_contract_change_makes_every_stage_that_reads_it_stale(project: Journey) -> None:
    root = project["root"]
    contract = root / "src" / project["answers"]["package_name"] / "core" / "contract.yaml"
    original = contract.read_text()
    contract.write_text(original.replace("description: Customer age in years", "description: Age"))
    try:
        status = json.loads(run("uv run --locked dvc status --json", root).stdout)
    finally:
        contract.write_text(original)

    assert {"data", "train", "evaluate", "export"} <= set(status)


def project_tests_pass(project: Journey) -> None:
    """On two workers, as on a 2-core machine; test_workflow_ci's test job runs them in one process.

    (See conftest.runner_env.)
    """
    workers = "2"
    for target in ("make test", "make fuzz"):
        output = run(target, project["root"], env={"PYTEST_XDIST_AUTO_NUM_WORKERS": workers}).stdout
        assert re.search(r"\d+ passed", output)
        assert "failed" not in output
        if target == "make test":
            assert f"created: {workers}/{workers} workers" in output


def fresh_project_passes_lint_and_its_own_gate(project: Journey) -> None:
    root = project["root"]
    # The commit runs the pre-commit hooks on every file, the pipeline's dvc.lock and metrics too.
    run("git add -A && git commit --quiet -m 'Initial commit from template'", root)
    if project["own_checks"]:
        run("make lint", root)
    # Publish main to a local "origin" so the gate reads origin/main like CI does.
    remote = root.parent / "origin.git"
    run(f"git init --quiet --bare {remote} && git remote add origin {remote}", root)
    run("git push --quiet -u origin main", root)

    output = run("make gate", root).stdout

    assert "## Model gate: PASSED" in output
    assert "origin/main:metrics/baseline.json" in output
    report = json.loads((root / "reports" / "gate.json").read_text())
    assert report["passed"] is True


def serving_that_imports_a_training_stage_fails_lint(project: Journey) -> None:
    """`make lint`'s import contracts refuse the service importing a pipeline stage.

    The serving image has no scikit-learn; the report names the contract and the import.
    """
    root, package = project["root"], project["answers"]["package_name"]
    lint = run("make -n lint", root).stdout.splitlines()
    step = next(line for line in lint if "lint-imports" in line)  # the step as make runs it
    body = root / "src" / package / "serve" / "body.py"
    original = body.read_text()
    body.write_text(f"{original}\nfrom {package}.pipeline import train  # noqa: E402, F401\n")
    try:
        result = run(step, root, check=False)
    finally:
        body.write_text(original)

    assert result.returncode != 0, result.stdout
    words = " ".join(result.stdout.split())  # lint-imports wraps long lines at 80 columns
    layers = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert f"{layers['contracts'][0]['name']} BROKEN" in words
    assert f"{package}.serve is not allowed to import {package}.pipeline" in result.stdout
    assert f"- {package}.serve.body -> {package}.pipeline.train" in result.stdout
    assert "Contracts: 2 kept, 1 broken." in result.stdout


def gated_metrics(root: Path) -> dict[str, dict[str, Any]]:
    params = yaml.safe_load((root / "params.yaml").read_text())
    rules: dict[str, dict[str, Any]] = params["gate"]["metrics"]
    return rules


def set_model_kind(root: Path, kind: str) -> None:
    """Replace params.yaml's model block with the one line `kind: <kind>` (defaults apply)."""
    params, count = re.subn(
        r"(?ms)^model:.*?\n\n", f"model:\n  kind: {kind}\n\n", (root / "params.yaml").read_text()
    )
    assert count == 1
    (root / "params.yaml").write_text(params)


def every_model_kind_runs_and_is_gated_by_editing_only_params_yaml(project: Journey) -> None:
    root = project["root"]
    seen = {project["answers"]["model"]: (root / "metrics" / "golden.json").read_text()}
    for kind in (kind for kind in MODEL_KINDS if kind not in seen):
        set_model_kind(root, kind)

        output = run("make repro", root).stdout

        assert re.findall(r"Running stage '(\w+)'", output) == ["train", "evaluate", "export"]
        serving = json.loads((root / "models" / "serving" / "metadata.json").read_text())
        assert (serving["model"], serving["runtime"]) == (kind, "onnx")
        seen[kind] = (root / "metrics" / "golden.json").read_text()
        assert seen[kind] not in [golden for other, golden in seen.items() if other != kind]
        gate = run("make gate", root, check=False)  # a new kind may or may not pass: judged
        assert re.search(r"## Model gate: (PASSED|FAILED)", gate.stdout)
        assert f"| {next(iter(gated_metrics(root)))} |" in gate.stdout
    # Back to the committed model: params.yaml and dvc.lock from git, the outputs from DVC.
    run("git checkout -- . && uv run --locked dvc checkout --quiet", root)
    output = run("make repro", root).stdout
    assert "Running stage" not in output


def model_registered_in_mlflow_with_challenger_alias(project: Journey) -> None:
    root = project["root"]
    script = (
        "import json, mlflow; run = json.load(open('models/run.json'));"
        "mlflow.set_tracking_uri(run['tracking_uri']);"
        "c = mlflow.MlflowClient();"
        "v = c.get_model_version_by_alias(run['registered_model'], 'challenger');"
        "r = mlflow.get_run(v.run_id);"
        "print(json.dumps({'run': v.run_id, 'tags': r.data.tags, 'metrics': r.data.metrics}))"
    )
    logged = json.loads(run(f'uv run --locked python -c "{script}"', root).stdout.splitlines()[-1])
    run_info = json.loads((root / "models" / "run.json").read_text())
    assert logged["run"] == run_info["run_id"]
    assert {"git_commit", "data_sha256", "golden_sha256", "contract_sha256"} <= set(logged["tags"])
    assert any(name.startswith("golden_") for name in logged["metrics"])


def degraded_model_fails_the_gate_with_the_table(project: Journey) -> None:
    root = project["root"]
    set_params(root, "model", **DEGRADED[project["answers"]["model"]])

    result = run("make gate", root, check=False)

    assert result.returncode != 0
    assert "## Model gate: FAILED" in result.stdout
    assert "| baseline | candidate |" in result.stdout.replace("better | ", "")
    assert "FAIL: worse than baseline" in result.stdout


def lowering_the_working_tree_baseline_does_not_rescue_it(project: Journey) -> None:
    root = project["root"]
    baseline_path = root / "metrics" / "baseline.json"
    baseline = json.loads(baseline_path.read_text())
    for name, rule in gated_metrics(root).items():
        baseline["metrics"][name] = -1e9 if rule["direction"] == "higher" else 1e9
    baseline_path.write_text(json.dumps(baseline, indent=2) + "\n")

    assert run("make gate", root, check=False).returncode != 0

    # Nor does committing it on a branch: CI compares with the target branch.
    run("git checkout --quiet -b lower-the-bar && git commit --quiet -am 'lower the bar'", root)
    result = run("make gate", root, check=False, env={"GATE_BASELINE_REF": "origin/main"})
    assert result.returncode != 0
    assert "origin/main:metrics/baseline.json" in result.stdout


def loosening_the_rules_on_a_branch_does_not_rescue_it(project: Journey) -> None:
    """The attacks of a change that edits its own gate: each fails, saying what changed."""
    root = project["root"]
    params_path = root / "params.yaml"
    original = params_path.read_text()
    rules = yaml.safe_load(original)["gate"]["metrics"]
    attacks: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "every tolerance raised, every limit relaxed": lambda metrics: {
            name: {
                "direction": rule["direction"],
                "tolerance": 1000.0,
                "limit": -1e6 if rule["direction"] == "higher" else 1e6,
            }
            for name, rule in metrics.items()
        },
        "all metrics but one deleted": lambda metrics: dict(list(metrics.items())[:1]),
        "every direction flipped": lambda metrics: {
            name: {**rule, "direction": "lower" if rule["direction"] == "higher" else "higher"}
            for name, rule in metrics.items()
        },
    }
    expected = {
        "every tolerance raised, every limit relaxed": ["tolerance raised", "limit relaxed"],
        "all metrics but one deleted": ["metric removed from the gate"],
        "every direction flipped": ["direction flipped"],
    }
    for attack, edit in attacks.items():
        params = yaml.safe_load(original)
        params["gate"]["metrics"] = edit(params["gate"]["metrics"])
        params_path.write_text(yaml.safe_dump(params, sort_keys=False))
        run(f"git commit --quiet -am '{attack}'", root)

        result = run("make gate", root, check=False, env={"GATE_BASELINE_REF": "origin/main"})

        assert result.returncode != 0, attack
        assert "### Rules changed in this change" in result.stdout, attack
        for words in expected[attack]:
            assert words in result.stdout, (attack, words)
        judged = {
            v["metric"] for v in json.loads((root / "reports/gate.json").read_text())["verdicts"]
        }
        assert judged == set(rules), attack  # main's metrics, all of them
    params_path.write_text(original)
    run("git commit --quiet -am 'restore the rules'", root)


def scores_brought_along_by_the_change_are_measured_again_in_ci(project: Journey) -> None:
    """CI scores the model again even when `dvc repro` sees nothing to re-run.

    The degraded model's branch commits main's good golden.json and a dvc.lock edited to match.
    """
    root = project["root"]
    good = run("git show origin/main:metrics/golden.json", root).stdout
    (root / "metrics" / "golden.json").write_text(good)
    lock_path = root / "dvc.lock"
    lock = yaml.safe_load(lock_path.read_text())
    for stage in ("evaluate", "export"):
        entries = lock["stages"][stage].get("outs", []) + lock["stages"][stage]["deps"]
        for entry in entries:
            if entry["path"] == "metrics/golden.json":
                entry.update(md5=hashlib.md5(good.encode()).hexdigest(), size=len(good.encode()))
    lock_path.write_text(yaml.safe_dump(lock, sort_keys=False))
    run("git commit --quiet -am 'bring the good scores along'", root)
    target = {"GATE_BASELINE_REF": "origin/main"}

    result = run("make gate", root, check=False, env={**target, "CI": "true"})

    assert result.returncode != 0
    assert "FAIL: worse than baseline" in result.stdout
    assert json.loads((root / "metrics" / "golden.json").read_text()) != json.loads(good)


def override_without_a_new_baseline_is_refused(project: Journey) -> None:
    """An override must re-baseline in the same change.

    Merged as is, main's gate would fail the regressed model and nothing would ship; the passing
    path is the generated test_gate's and the pull-request workflow's (tests/test_workflow_ci.py).
    """
    root = project["root"]
    reason = "accepting a weaker model for the outage fix, ticket 42"

    result = run("make gate", root, env={"GATE_OVERRIDE_REASON": reason}, check=False)

    assert result.returncode != 0
    assert "**Override refused:** an override must re-baseline" in result.stdout
    assert "run `make baseline` and commit metrics/baseline.json" in result.stdout


def corrupt_raw_file_fails_the_data_stage_naming_the_column(project: Journey) -> None:
    root = project["root"]
    raw = root / "data" / "raw" / "customers.csv"
    # DVC links it from its cache, read-only: a user unprotects it before editing in place.
    run("uv run --locked dvc unprotect data/raw/customers.csv", root)
    lines = raw.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("age")] = "-7"
    lines[5] = ",".join(row)
    raw.write_text("\n".join(lines) + "\n")

    result = run("uv run --locked dvc repro --single-item data", root, check=False)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "column 'age' fails in_range(18, 100)" in output
    assert "line 6 = -7" in output
    assert not (root / "data" / "prepared" / "train.parquet").exists()
