"""`make score ENGINE=spark`: the `score` command's input and outputs, scored by Spark locally.

Spark runs in local mode on every core (`local[*]`), as a rehearsal of the cluster job
(scripts/spark_score.py) on the same code. The inputs are checked as `score` checks them
(spark.py reads CSV or Parquet files, not a DuckDB query), and the outputs are the same
files: OUT, `<stem>.quarantine.parquet` and `<stem>.manifest.json`, joined from Spark's
part files and each renamed into place when whole. Spark's log goes to `<stem>.spark.log`
beside them (to the terminal with --verbose). A killed run starts again from the start:
Spark has no parts of its own to resume from.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from {{ cookiecutter.package_name }}.batch import inputs
from {{ cookiecutter.package_name }}.batch.manifest import manifest
from {{ cookiecutter.package_name }}.batch.model import choose, serving_folder
from {{ cookiecutter.package_name }}.batch.parts import (
    Counts,
    Outputs,
    parquet_writer,
    temporary,
)
from {{ cookiecutter.package_name }}.batch.rows import (
    ScoreInputError,
    quarantine_schema,
    scored_schema,
)
from {{ cookiecutter.package_name }}.batch.spark import (
    QUARANTINED,
    SCORED,
    SparkError,
    scored_frame,
    session,
    write_outputs,
)
from {{ cookiecutter.package_name }}.core.files import write_json
from {{ cookiecutter.package_name }}.core.params import load_params

MASTER = "local[*]"  # every core of this machine


def join(folder: Path, out: Path, schema: pa.Schema) -> None:
    """Spark's part files, in order, as one Parquet file in `schema` (renamed when whole)."""
    tmp = temporary(out)
    try:
        with parquet_writer(tmp, schema) as writer:
            for part in sorted(folder.glob("part-*.parquet")):
                for batch in inputs.parquet_batches(part):
                    writer.write_table(pa.Table.from_batches([batch]).cast(schema))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def file_kinds(files: list[Path]) -> dict[str, list[str]]:
    """The input files by format, as absolute paths (Spark's workers may run elsewhere)."""
    kinds: dict[str, list[str]] = {}
    for path in files:
        kinds.setdefault(path.suffix.lstrip("."), []).append(str(path.resolve()))
    return kinds


def run(args: argparse.Namespace) -> int:
    """Score `--data` into `--out` with Spark; the `score` command's outputs and statuses."""
    if inputs.is_query(args.data):
        raise ScoreInputError(
            "ENGINE=spark reads CSV or Parquet files (or a folder of them), not a DuckDB query: "
            "write the query's result to Parquet first, or score it with the default engine"
        )
    files = inputs.files_of(Path(args.data))
    params = load_params()
    with tempfile.TemporaryDirectory(prefix="score-model-") as scratch:
        folder, source = serving_folder(args.model, params, Path(scratch))
        chosen = choose(str(folder), params)  # loaded here first: a bad model stops now
        descriptions = inputs.open_parts(files)
        return on_spark(args, files, descriptions, folder, {**chosen.about, "source": source})


def on_spark(
    args: argparse.Namespace,
    files: list[Path],
    descriptions: list[inputs.Part],
    folder: Path,
    model: dict[str, str],
) -> int:
    """Score the checked files with the serving folder; write the files, then the manifest."""
    started = time.monotonic()
    out: Path = args.out
    outputs = Outputs.beside(out)
    outputs.manifest.unlink(missing_ok=True)  # a manifest found always describes its output
    log = None if getattr(args, "verbose", False) else out.with_name(f"{out.stem}.spark.log")
    sources = {str(path.resolve()): str(path) for path in files}
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.spark-", dir=out.parent) as work:
        spark = session(MASTER, log)
        try:
            result = scored_frame(spark, file_kinds(files), str(folder.resolve()), sources)
            rows = write_outputs(result, work)
        except Exception as error:
            raise SparkError(f"Spark failed: {first_line(error)}{see(log)}") from None
        finally:
            spark.stop()
        join(Path(work, "scored"), outputs.scored, scored_schema())
        join(Path(work, "quarantine"), outputs.quarantine, quarantine_schema())
    counts = [counted(rows.get(str(path), {})) for path in files]
    seconds = time.monotonic() - started
    content = manifest(outputs, descriptions, counts, model, seconds, engine=f"spark {MASTER}")
    write_json(outputs.manifest, content)
    summary(content, out, outputs)
    return 0


def counted(kinds: dict[str, int]) -> Counts:
    """A file's counts from Spark's rows by kind."""
    scored, refused = kinds.get(SCORED, 0), kinds.get(QUARANTINED, 0)
    return Counts(scored + refused, scored, refused)


def first_line(error: Exception) -> str:
    """An error's first line (a JVM error's is followed by its Java stack)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def see(log: Path | None) -> str:
    """Where to read more."""
    return f"; Spark's log: {log}" if log else ""


def summary(content: dict[str, Any], out: Path, outputs: Outputs) -> None:
    """The one line `score` prints at the end."""
    rows = content["rows"]
    print(
        f"score: {rows['scored']:,} of {rows['input']:,} rows scored on Spark ({MASTER}) into "
        f"{out} by model {content['model']['version']} in {content['seconds']:.1f} s; "
        f"{rows['quarantined']:,} quarantined ({outputs.quarantine}); manifest "
        f"{outputs.manifest}",
        file=sys.stderr,
    )
