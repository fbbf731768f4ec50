"""Bring your own data: two real tables, shipped inside PyPI packages and made by nobody here,
go through the README's steps in a generated project, and everything else follows.

- scikit-learn's breast-cancer table: classification, 30 numeric features whose names hold
  spaces ("mean radius"), no id column (the project's own environment ships it);
- palmerpenguins' penguins.csv: regression of body mass, with categoricals that have missing
  values (sex) and rows without a target (installed for the moment with `uv run --with`).

Per table, one project: `make import-data` (a refused table first, which must change
nothing), `make repro`, `make baseline`, `make test` (every generated test, unchanged),
`make lint`, `make fuzz`, `make gate` against a pushed `origin/main`, a golden row served
by ONNX Runtime through uvicorn (a missing value included), and `make drift`: no alarm on
the held-out rows, an alarm naming exactly the shifted features on a 2-SD shift, and the
table's own rows as they come (half unlabelled, three out of range) measured, not refused.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import bake, project_env, run

pytestmark = pytest.mark.e2e

BREAST_CANCER = (
    "from sklearn.datasets import load_breast_cancer; "
    "load_breast_cancer(as_frame=True).frame.to_csv('{out}', index=False)"
)
PENGUINS = (
    "import importlib.resources, shutil; "
    "source = importlib.resources.files('palmerpenguins') / 'data' / 'penguins.csv'; "
    "shutil.copyfile(source, '{out}')"
)
TABLES = {
    "breast-cancer": {
        "answers": {},
        "write": f'uv run --locked python -c "{BREAST_CANCER}"',
        "target": "target",
        "rows": "569 rows read",
        "dropped": "dropped 0 row(s) without a target",
        "task": "classification of 'target' from 30 features (no id column)",
        # 10 of 30 features: a third, past the dataset-drift share (30%)
        "shift": [
            f"{stat} {part}"
            for stat in ("mean", "worst")
            for part in ("radius", "texture", "perimeter", "area", "smoothness")
        ],
    },
    "penguins": {
        "answers": {"task": "regression"},
        "write": f'uv run --locked --with palmerpenguins python -c "{PENGUINS}"',
        "target": "body_mass_g",
        "rows": "344 rows read",
        "dropped": "dropped 2 row(s) without a target",
        "task": "regression of 'body_mass_g' from 7 features (no id column)",
        "shift": ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"],  # 3 of 7
    },
}


@pytest.mark.parametrize("name", TABLES)
def test_own_table_goes_through_the_whole_project(name, tmp_path):
    table = TABLES[name]
    root = bake(tmp_path, **table["answers"])
    run("make install", root)
    run("git add -A && git commit --quiet -m 'Generated from the template'", root)
    data = tmp_path / f"{name}.csv"
    run(table["write"].format(out=data), root)

    refused_import_changes_nothing(root, data)
    imported = run(f"make import-data DATA={data} TARGET={table['target']}", root).stdout
    for line in ("rows", "dropped", "task"):
        assert table[line] in imported, imported
    assert "WARNING: a golden set of" in imported  # small tables get the noise warning
    assert not (root / "src" / root.name.replace("-", "_") / "sample_data.py").exists()

    run("make repro baseline", root)
    generated_suite_passes_unchanged(root)
    export = json.loads((root / "metrics" / "export.json").read_text())
    assert export["onnx"] is True, export  # names with spaces map to ONNX inputs
    fresh_import_passes_lint_and_its_gate(root)
    golden_row_is_served_by_onnx_runtime(root)
    held_out_rows_raise_no_drift_alarm(root)
    rows_as_they_come_are_measured_not_refused(root, data)
    shifted_features_are_named(root, table["shift"])


def refused_import_changes_nothing(root: Path, data: Path) -> None:
    command = f"make import-data DATA={data} TARGET='no such column' ID='nor this one'"
    result = run(command, root, check=False)

    assert result.returncode != 0
    assert "refused (2 problem(s))" in result.stderr  # every problem named in one run
    assert "target column 'no such column' is not in the table" in result.stderr
    assert "id column 'nor this one' is not in the table" in result.stderr
    assert "Nothing in the project was changed" in result.stderr
    assert run("git status --porcelain", root).stdout == ""


def generated_suite_passes_unchanged(root: Path) -> None:
    for target in ("make test", "make fuzz"):
        output = run(target, root).stdout
        assert re.search(r"\d+ passed", output), output[-2000:]
        assert " failed" not in output


def fresh_import_passes_lint_and_its_gate(root: Path) -> None:
    run("git add -A && git commit --quiet -m 'Import our data'", root)
    run("make lint", root)
    remote = root.parent / "origin.git"
    run(f"git init --quiet --bare {remote} && git remote add origin {remote}", root)
    run("git push --quiet -u origin main", root)

    output = run("make gate", root).stdout

    assert "## Model gate: PASSED" in output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def golden_row_is_served_by_onnx_runtime(root: Path) -> None:
    """uvicorn on a free port, as `make serve` runs it; a golden row, and one with a null."""
    package = root.name.replace("-", "_")
    script = (
        "import json, pandas as p; "
        f"from {package}.contract import FEATURES; "
        "g = p.read_csv('data/golden/golden.csv'); r = g[[f.name for f in FEATURES]].iloc[0]; "
        "row = {k: None if p.isna(v) else v.item() if hasattr(v, 'item') else v "
        "for k, v in r.items()}; "
        "print(json.dumps([row, [f.name for f in FEATURES if f.nullable]]))"
    )
    row, nullable = json.loads(run(f'uv run --locked python -c "{script}"', root).stdout)
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--locked", "uvicorn", f"{package}.serve.app:app", "--port", str(port)],
        cwd=root,
        env=project_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = wait_until_ready(base)
        assert ready["runtime"] == "onnx", ready
        status, answer = post(f"{base}/predict", row)
        assert status == 200, answer
        for name in nullable:  # a null where the contract allows one (penguins: sex)
            status, answer = post(f"{base}/predict", {**row, name: None})
            assert status == 200, answer
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_ready(base: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                pytest.fail("the service was not ready within 60 s")
            time.sleep(0.5)


def held_out_rows_raise_no_drift_alarm(root: Path) -> None:
    result = run("make drift CURRENT=data/prepared/test.parquet", root)

    assert "## Drift check: NO DRIFT" in result.stdout
    report = json.loads((root / "reports" / "drift.json").read_text())
    assert report["status"] == "no_drift"
    assert report["dataset_drift"] is False


def shifted_features_are_named(root: Path, shifted: list[str]) -> None:
    features = ",".join(shifted)
    out = "data/batches/shifted.csv"
    run(f"make batch DRIFT=severe FEATURES='{features}' OUT={out}", root)  # every held-out row

    result = run(f"make drift CURRENT={out}", root, check=False)

    assert result.returncode != 0
    report = json.loads((root / "reports" / "drift.json").read_text())
    assert report["status"] == "drift"
    assert sorted(report["drifted_features"]) == sorted(shifted)


def rows_as_they_come_are_measured_not_refused(root: Path, data: Path) -> None:
    """The table's own rows as a batch: half of them unlabelled, three out of the contract's
    range. Statistics and an exit status that matches them, not INVALID INPUT (exit 2)."""
    package = root.name.replace("-", "_")
    script = (
        "import pandas as p, sys; "
        f"from {package}.contract import FEATURES, TARGET; "
        "t = p.read_csv(sys.argv[1]); "
        "f = next(f for f in FEATURES if hasattr(f, 'maximum')); "
        "t[f.name] = t[f.name].astype(float); "
        "t.loc[[0, 1, 2], f.name] = 10 * abs(f.maximum) + 1; "
        "y = t[TARGET.name].astype(object); t[TARGET.name] = y.where(t.index % 2 == 0, None); "
        "t.to_csv('data/batches/as-they-come.csv', index=False); "
        "print(f.name); print(int(t[TARGET.name].notna().sum()))"
    )
    run("mkdir -p data/batches", root)
    written = run(f'uv run --locked python -c "{script}" {data}', root).stdout
    column, labelled = written.splitlines()[:2]

    result = run(
        f"uv run --locked python -m {package}.drift --current data/batches/as-they-come.csv",
        root,
        check=False,
    )

    report = json.loads((root / "reports" / "drift.json").read_text())
    assert report["status"] in {"no_drift", "drift"}, result.stderr
    assert result.returncode == {"no_drift": 0, "drift": 1}[report["status"]]
    found = {(item["column"], item["what"]): item["rows"] for item in report["outside_contract"]}
    assert found.pop((column, "out of range")) == 3
    # penguins: the two rows without a target have no measurements either, and the contract,
    # learned from rows with a target, never saw a missing one: counted, not refused
    assert all(what.startswith("missing") for _, what in found), found
    assert report["performance"]["rows"] == int(labelled)
