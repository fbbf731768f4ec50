"""`make import-data DATA=table TARGET=column [ID=] [DROP=] [TASK=] [MAX_CATEGORIES=]`.

Reads a CSV or Parquet table and makes it the project's data:
1. drops the rows without a target and the rows identical to another in every column, the
   id included (each counted); no other row is dropped, and none is sampled;
2. infers the contract (contract_inference.py: the task from the target's values, or TASK=binary,
   multiclass or regression) and writes it as data, core/contract.yaml (contract_file.py);
3. splits off a golden set (data_rules.py: its size rule; stratified by the label for
   classification; rows with identical features stay on one side, so the two are disjoint)
   to paths.golden, and puts the rest in paths.raw's folder under the table's name (paths.raw
   then points there), tracked by DVC;
4. removes the demo's synthetic `generate` stage and generator, and the demo's baseline, and
   rewrites what describes the demo (project_text.py: README, project description);
5. scales params.yaml to the data: dataset rules, gate tolerances and limits, drift bins,
   and for another task its export tolerances and dvc.yaml plots (task.py); params.yaml and
   dvc.yaml are edited as YAML in place (yaml_edit.py), their comments kept;
6. writes reports/import_data.json and prints the next steps.

A table that cannot become a contract is refused, every problem named at once with its
fix, and the project is left as it was: everything is written to temporary files first and
moved into place only when every check has passed.

DROP names the columns to leave out: comma-separated (DROP="notes,price"), or a JSON list
when a name holds a comma (DROP='["price, in EUR", "notes"]').
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.core import contract_file, data_rules
from {{ cookiecutter.package_name }}.core.features import IdColumn
from {{ cookiecutter.package_name }}.core.params import Params, load_params
from {{ cookiecutter.package_name }}.core.targets import encode_labels
from {{ cookiecutter.package_name }}.core.task import Label
from {{ cookiecutter.package_name }}.ops import project_text, yaml_edit
from {{ cookiecutter.package_name }}.ops.contract_inference import (
    MAX_CATEGORIES,
    TASKS,
    Declaration,
    Inferred,
    TableRefusedError,
    header,
    infer,
)

log = logging.getLogger(__name__)

PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = Path("src") / PACKAGE
CONTRACT = SOURCE / "core" / "contract.yaml"  # the file this command writes
DEMO_FILES = (
    SOURCE / "pipeline" / "sample_data.py",
    Path("tests") / "pipeline" / "test_sample_data.py",
    # the impact report's calibration simulates experiments on the demo's customers
    Path("tests") / "impact" / "simulation.py",
    Path("tests") / "impact" / "test_calibration.py",
)
READERS = {".csv": "CSV", ".parquet": "Parquet"}


def read_table(path: Path) -> pd.DataFrame:
    """The table with nullable types: whole numbers stay whole even where values are missing."""
    if path.suffix not in READERS:
        raise TableRefusedError(
            f"{path}: unsupported file type {path.suffix!r}: use .csv or .parquet"
        )
    if not path.is_file():
        raise TableRefusedError(f"{path} not found")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path, dtype_backend="numpy_nullable")
        return pd.read_csv(path, engine="pyarrow", dtype_backend="numpy_nullable")
    except (OSError, ValueError) as error:
        kind = READERS[path.suffix]
        raise TableRefusedError(f"{path} is not a readable {kind} file ({error})") from None


def drop_list(values: list[str]) -> list[str]:
    """The column names DROP gives: comma-separated, or a JSON list (names with commas)."""
    names: list[str] = []
    for value in values:
        if value.lstrip().startswith("["):
            try:
                listed = json.loads(value)
            except json.JSONDecodeError as error:
                raise TableRefusedError(f"DROP={value!r} is not a JSON list ({error})") from None
            if not all(isinstance(name, str) for name in listed):
                raise TableRefusedError(f"DROP={value!r}: a JSON list of column names (texts)")
            names += listed
        else:
            names += [name.strip() for name in value.split(",") if name.strip()]
    return names


def require_columns(frame: pd.DataFrame, names: list[tuple[str, str | None]]) -> None:
    """Every named column exists; otherwise name every one that does not, and the columns."""
    absent = [
        f"{role} column {name!r} is not in the table"
        for role, name in names
        if name is not None and name not in frame.columns
    ]
    if absent:
        known = ", ".join(repr(column) for column in frame.columns)
        raise TableRefusedError(*absent[:-1], f"{absent[-1]}; the table's columns: {known}")


def clean(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows with a target, each kept unless identical to another in every column; counted.

    Rows that share features and target but differ anywhere else (an id, a column left to
    DROP) are distinct observations and are kept.
    """
    if frame.empty:
        raise TableRefusedError("the table has no rows")
    labelled = frame[frame[target].notna()]
    if labelled.empty:
        raise TableRefusedError(
            f"target {target!r} is empty in every row: no row can train a model"
        )
    unique = labelled.drop_duplicates()
    dropped = {"no_target": len(frame) - len(labelled), "duplicates": len(labelled) - len(unique)}
    return unique.reset_index(drop=True), dropped


def id_problems(frame: pd.DataFrame, id_column: str | None) -> list[str]:
    """What keeps the id column from naming each row: empty or repeated ids."""
    if id_column is None:
        return []
    ids = frame[id_column]
    problems = []
    if ids.isna().any():
        problems.append(
            f"id column {id_column!r} is empty in {int(ids.isna().sum())} row(s): "
            "every row needs one"
        )
    repeated = ids[ids.duplicated() & ids.notna()]
    if len(repeated):
        problems.append(
            f"id column {id_column!r} repeats {len(repeated)} id(s) in rows that differ "
            f"elsewhere, e.g. {repeated.iloc[0]!r}: ids must be unique (or leave ID out)"
        )
    return problems


def with_labels(frame: pd.DataFrame, inferred: Inferred) -> pd.DataFrame:
    """Class labels as the contract declares them: booleans as 0/1, whole numbers as ints.

    Text labels stay as they are: the project keeps the table's own labels.
    """
    name = inferred.target.name
    frame = frame.copy()
    if inferred.labels:
        frame[name] = frame[name].map(lambda value: inferred.labels[value]).astype("int64")
    elif inferred.target.classes and isinstance(inferred.target.classes[0], int):
        frame[name] = frame[name].astype(float).astype("int64")
    elif inferred.target.classes:
        frame[name] = frame[name].astype(str)
    return frame


def target_codes(values: pd.Series, inferred: Inferred) -> pd.Series:
    """The target as data_rules takes it: codes for classes (targets.py), else the numbers."""
    if not inferred.target.classes:
        return values
    return pd.Series(encode_labels(inferred.target.classes, values), index=values.index)


def split_golden(
    frame: pd.DataFrame, inferred: Inferred, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[Label]]:
    """(training, golden, training-only classes), with identical features on one side.

    The golden set takes a share of the feature combinations, stratified by label for
    classes. A class seen with one combination only stays in training: the golden set could
    test it only by leaking it (pizzaplace: the one XXL pizza).
    """
    features = [declared.name for declared in inferred.features]
    keys = pd.util.hash_pandas_object(frame[features], index=False)
    first = pd.DataFrame({"key": keys, "label": frame[inferred.target.name]})
    first = first.drop_duplicates("key")
    alone = single_combination_classes(first["label"]) if inferred.target.classes else []
    first = first[~first["label"].isin(alone)]
    size = data_rules.golden_rows(len(frame)) / len(frame)
    stratify = first["label"] if inferred.target.classes else None  # binary and multiclass
    _, chosen = train_test_split(first["key"], test_size=size, random_state=seed, stratify=stratify)
    in_golden = keys.isin(set(chosen))
    training, golden = frame[~in_golden], frame[in_golden]
    return training.reset_index(drop=True), golden.reset_index(drop=True), alone


def single_combination_classes(labels: pd.Series) -> list[Label]:
    """Classes found once in `labels`, the label of each combination of features."""
    counts = labels.value_counts()
    alone: list[Label] = counts.index[counts < 2].tolist()
    return sorted(alone)


def scaled_params(
    path: Path, inferred: Inferred, training: pd.DataFrame, golden: pd.DataFrame, raw: Path
) -> str:
    """params.yaml with its rules scaled to the data, the task's export, and paths.raw at `raw`.

    Edited in place (yaml_edit.py): every comment and key order stays as it was.
    """
    params = yaml_edit.load(path)
    task, target, classes = inferred.task, inferred.target.name, len(inferred.target.classes)
    train_values = target_codes(training[target], inferred)
    golden_values = target_codes(golden[target], inferred)
    validation = data_rules.validation_rules(task, train_values, golden_values, classes)
    yaml_edit.replace_items(params["validation"], validation, keep_comments=True)
    params.pop("sample", None)
    settings = inferred.task_object().export_settings
    if set(params["export"]) != set(settings.model_fields):  # another task's section
        yaml_edit.replace_items(params["export"], settings().model_dump(), keep_comments=False)
    rules = data_rules.gate_rules(task, train_values, golden_values, classes)
    yaml_edit.replace_items(params["gate"]["metrics"], rules, keep_comments=False)
    params["drift"]["bins"] = data_rules.drift_bins(len(training))
    params["paths"]["raw"] = raw.as_posix()
    yaml_edit.set_comment(params["paths"], "raw", "training data (make import-data; DVC)")
    return yaml_edit.dump(params)


def raw_path(current: Path, data: Path) -> Path:
    """Where the training rows go: beside paths.raw, named after the imported table."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", data.stem).strip("-.") or "table"
    return current.parent / f"{stem}.csv"


def imported_pipeline(path: Path, inferred: Inferred) -> str:
    """dvc.yaml without the demo's `generate` stage, with the imported task's `plots` (task.py).

    The raw table is data now, not a stage's output.
    """
    pipeline = yaml_edit.load(path)
    pipeline["stages"].pop("generate", None)
    yaml_edit.edit_top_comment(pipeline, "# generate -> data ->", "# data ->")
    if "plots" in pipeline:
        pipeline["plots"] = copy.deepcopy(list(inferred.task_object().plots))
    return yaml_edit.dump(pipeline)


def lock_without_generate(path: Path) -> str | None:
    """dvc.lock without the `generate` stage's entry; None when there is no lock yet."""
    if not path.is_file():
        return None
    lock = yaml.safe_load(path.read_text()) or {}
    lock.get("stages", {}).pop("generate", None)
    return yaml.safe_dump(lock, sort_keys=False)


@dataclass(frozen=True)
class Imported:
    """What an import did: reports/import_data.json, and the lines it prints."""

    source: str
    training_path: str  # paths.raw: the training rows, named after the table
    rows_read: int
    dropped: dict[str, int]  # rows: "no_target", "duplicates"
    training_rows: int
    golden_rows: int
    golden_noise: str
    training_only_classes: list[Label]  # one combination of features each: none in golden
    task: str
    target: Declaration
    id: str | None
    dropped_columns: list[str]
    features: list[Declaration]
    imported_at: str


def import_table(
    params: Params,
    data: Path,
    target: str,
    id_column: str | None,
    drop: list[str],
    *,
    task: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> Imported:
    """Check and prepare everything in memory and temporary files; change nothing on refusal.

    `task` (TASK=binary, multiclass or regression) overrides the task the target's values make.
    """
    table = read_table(data)
    require_columns(table, [("target", target), ("id", id_column), *(("drop", n) for n in drop)])
    rows, dropped = clean(table.drop(columns=drop), target)
    problems = id_problems(rows, id_column)
    if len(rows) < data_rules.MIN_ROWS:
        problems.append(
            f"{len(rows)} usable rows: at least {data_rules.MIN_ROWS} are needed to train and "
            "to hold out a golden set"
        )
    try:
        inferred = infer(rows, target, id_column, task=task, max_categories=max_categories)
    except TableRefusedError as error:
        problems += error.problems
    if problems:
        raise TableRefusedError(*problems)
    rows = with_labels(rows, inferred)
    training, golden, training_only = split_golden(rows, inferred, params.split.seed)
    imported = Imported(
        source=str(data),
        training_path=raw_path(params.paths.raw, data).as_posix(),
        rows_read=len(table),
        dropped=dropped,
        training_rows=len(training),
        golden_rows=len(golden),
        golden_noise=data_rules.golden_noise(
            inferred.task, target_codes(golden[inferred.target.name], inferred)
        ),
        training_only_classes=training_only,
        task=inferred.task,
        target=inferred.target,
        id=id_column,
        dropped_columns=drop,
        features=inferred.features,
        imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    paths = params.paths
    raw = raw_path(paths.raw, data)
    contract = contract_file.text_of(
        IdColumn(id_column) if id_column else None,
        inferred.feature_objects(),
        inferred.target_object(),
        header(data.name, len(rows)),
        CONTRACT,
    )
    described = project_text.rewritten(
        Path(),
        target=inferred.target.name,
        task=inferred.task,
        features=len(inferred.features),
        source=data.name,
        package=PACKAGE,
    )
    texts = {
        **described,
        CONTRACT: contract,
        Path("params.yaml"): scaled_params(Path("params.yaml"), inferred, training, golden, raw),
        Path("dvc.yaml"): imported_pipeline(Path("dvc.yaml"), inferred),
        Path("dvc.lock"): lock_without_generate(Path("dvc.lock")),
        paths.reports / "import_data.json": json.dumps(asdict(imported), indent=2) + "\n",
    }
    put_in_place(texts, {raw: training, paths.golden: golden})
    earlier = (paths.raw, paths.raw.with_name(paths.raw.name + ".dvc")) if paths.raw != raw else ()
    for leftover in (*DEMO_FILES, paths.baseline, *earlier):
        leftover.unlink(missing_ok=True)
    track(raw)
    return imported


def put_in_place(texts: dict[Path, str | None], tables: dict[Path, pd.DataFrame]) -> None:
    """Write every file to a temporary folder, then move each into place (None: leave as is)."""
    with tempfile.TemporaryDirectory(dir=".", prefix=".import-data-") as folder:
        staged: dict[Path, Path] = {}
        for number, (destination, frame) in enumerate(tables.items()):
            staged[destination] = Path(folder) / f"table-{number}.csv"
            frame.to_csv(staged[destination], index=False)
        for number, (destination, text) in enumerate(texts.items()):
            if text is not None:
                staged[destination] = Path(folder) / f"text-{number}"
                staged[destination].write_text(text)
        # Every check has passed and every file is written: move them into place.
        for destination, path in staged.items():
            destination.parent.mkdir(parents=True, exist_ok=True)
            path.replace(destination)


def track(path: Path) -> None:
    """Put the training table under DVC (data/raw/<name>.dvc; git ignores the table itself)."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "add", "--quiet", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        log.warning(f"import-data: `dvc add {path}` failed ({why[0]}); run it yourself")


def next_steps(imported: Imported, params: Params) -> str:
    """The summary printed after an import: what was read, dropped and written, and what next."""
    dropped = imported.dropped
    identity = f"id column {imported.id!r}" if imported.id else "no id column"
    lines = [
        f"import-data: {imported.rows_read:,} rows read from {imported.source}",
        f"  dropped {dropped['no_target']:,} row(s) without a target and "
        f"{dropped['duplicates']:,} exact duplicate(s) (identical in every column)",
        f"  {imported.task} of {imported.target.name!r} from {len(imported.features)} features"
        f" ({identity})",
        f"  training rows: {imported.training_rows:,} -> {imported.training_path} (tracked by DVC)",
        f"  golden rows:   {imported.golden_rows:,} -> {params.paths.golden} "
        f"({data_rules.GOLDEN_SHARE:.0%} of the rows, at most {data_rules.GOLDEN_MAX:,})",
        f"  wrote {CONTRACT}, params.yaml (validation, gate, drift), "
        "reports/import_data.json; removed the demo's generate stage and baseline, and "
        "its description (README, pyproject.toml)",
    ]
    if imported.training_only_classes:
        lines.append(
            f"  WARNING: class(es) {', '.join(map(repr, imported.training_only_classes))} "
            "occur with one combination of features only: all their rows train the model, "
            "and the golden set cannot measure them (it would hold rows the model trained on)."
        )
    if imported.golden_rows < data_rules.NOISY_GOLDEN_ROWS:
        lines.append(
            f"  WARNING: a golden set of {imported.golden_rows} rows is noisy: chance alone "
            f"moves {imported.golden_noise}. The gate's tolerances are scaled to it; more rows "
            "make the gate sharper."
        )
    lines += [
        "",
        "Next steps:",
        f"  review {CONTRACT} and params.yaml (ranges, categories, rules)",
        "  make repro baseline   # train on your data, accept its golden metrics",
        "  make test             # the whole suite, now on your contract",
        "  git add -A && git commit -m 'Import our data'",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The table, its target column, and the columns to treat as an id or leave out."""
    parser.add_argument("--data", type=Path, required=True, help="the table (.csv or .parquet)")
    parser.add_argument("--target", required=True, help="the column the model predicts")
    parser.add_argument("--id", help="a column that names each row (optional)")
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        help="columns to leave out: comma-separated, or a JSON list (repeatable)",
    )
    parser.add_argument(
        "--max-categories",
        type=int,
        default=MAX_CATEGORIES,
        metavar="N",
        help=f"most distinct texts a text column may hold to be a feature ({MAX_CATEGORIES})",
    )
    parser.add_argument(
        "--task",
        choices=TASKS,
        help="binary, multiclass or regression: overrides what the target's values make",
    )


def run(args: argparse.Namespace) -> int:
    """`make import-data`: exit 2, with the project unchanged, when the table is refused."""
    try:
        drop = drop_list(args.drop)
        params = load_params()
        imported = import_table(
            params,
            args.data,
            args.target,
            args.id,
            drop,
            task=args.task,
            max_categories=args.max_categories,
        )
    except TableRefusedError as error:
        lines = "\n".join(f"  - {problem}" for problem in error.problems)
        log.error(f"import-data: refused ({len(error.problems)} problem(s)):")
        log.error(lines)
        log.error("Nothing in the project was changed.")
        return 2
    print(next_steps(imported, params))
    return 0
