"""Score on Spark what outgrows one machine: the same model, per-batch function and columns.

Spark reads the input (CSV as text, or Parquet), and each partition's Arrow record batches go
through `rows.score_record_batch` in `mapInArrow`, exactly as the `score` command's batches
do, so the scored rows and the quarantine have the same columns and values. The serving
folder is shipped to the executors with `SparkContext.addFile` (a local folder, or one on
the cluster's storage: s3a://, gs://, abfss://, dbfs:/), and loaded once per partition.

Spark writes Parquet folders: `<out>/scored` and `<out>/quarantine`. `make score ENGINE=spark`
(spark_local.py) runs it in local mode and joins them into the single-machine files;
scripts/spark_score.py is the entry point for spark-submit on a cluster. Where Spark cannot
tell a row's place in its file (a CSV split across tasks), the quarantine's `row` is empty;
its `source` and the row's id still say where it came from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from {{ cookiecutter.package_name }}.batch.rows import (
    ROW,
    ScoreInputError,
    Scorer,
    input_columns,
    quarantine_schema,
    score_record_batch,
    scored_schema,
)
from {{ cookiecutter.package_name }}.scoring.runtime import load_serving

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KIND = "_kind"  # in the combined result: which output a row goes to
SCORED, QUARANTINED = "scored", "quarantined"
REFUSED = "_refused_"  # in the combined result: the prefix of the quarantine's columns
FILE = "_file"  # the file a row came from (Spark's _metadata.file_path)
PLACE = "_row_index"  # its place in that file, from 0 (Parquet only; Spark cannot count CSV)
# PySpark 4.3 warns about pandas 3 on import; the Arrow path used here does not use pandas.
PANDAS_WARNING = "PySpark does not yet fully support pandas"
INSTALL_JAVA = (
    "Spark needs Java 17 or later: install it (Debian/Ubuntu: apt-get install "
    "default-jre-headless; macOS: brew install openjdk@17) or set JAVA_HOME"
)


class SparkError(ScoreInputError):
    """Spark is missing, or failed: what happened, and where its log is."""


def combined_schema() -> pa.Schema:
    """One row of either output: its kind and file, the scored columns, the quarantine's.

    mapInArrow returns one schema; writing both outputs from one result scores each row once.
    """
    scored = [field.with_nullable(True) for field in scored_schema()]
    refused = [
        field.with_name(REFUSED + field.name).with_nullable(True) for field in quarantine_schema()
    ]
    kind = [pa.field(KIND, pa.string(), nullable=False), pa.field(FILE, pa.string())]
    return pa.schema([*kind, *scored, *refused])


def side_by_side(
    good: pa.RecordBatch, bad: pa.RecordBatch, source: str, places: pa.Array
) -> pa.RecordBatch:
    """The scored rows then the refused ones, in the combined schema.

    `places` are the input rows' places in their file (null where unknown): the quarantine's
    `row`, which score_record_batch numbered within the batch, becomes the file's row number.
    """
    rows = good.num_rows + bad.num_rows
    kinds = pa.array([SCORED] * good.num_rows + [QUARANTINED] * bad.num_rows, pa.string())
    columns: list[pa.Array] = [kinds, pa.array([source] * rows, pa.string())]
    for field in scored_schema():
        columns.append(pa.concat_arrays([good[field.name], pa.nulls(bad.num_rows, field.type)]))
    for field in quarantine_schema():
        values = bad[field.name]
        if field.name == ROW:  # 1 + the row's place in the batch (first_row=0)
            values = pc.add(places.take(pc.subtract(values, 1)).cast(pa.int64()), 1)
        columns.append(pa.concat_arrays([pa.nulls(good.num_rows, field.type), values]))
    return pa.RecordBatch.from_arrays(columns, schema=combined_schema())


def load_scorer(folder: Path) -> Scorer:
    """The serving folder's model, with the version and run its metadata names."""
    model, metadata = load_serving(folder)
    return Scorer(model, metadata.version, metadata.run_id)


def score_partitions(
    model_name: str, sources: dict[str, str]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """What mapInArrow runs on each partition: load the shipped model, score every batch.

    `sources` maps local files' absolute paths to the names the quarantine gives them.
    """

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import SparkFiles

        scorer = load_scorer(Path(SparkFiles.get(model_name)))
        for batch in batches:
            files = batch[FILE]
            for file in pc.unique(files).to_pylist():
                piece = batch.filter(pc.equal(files, file))
                source = sources.get(local_path(file), file)
                good, bad = score_record_batch(piece, scorer, source=source)
                yield side_by_side(good, bad, source, piece[PLACE])

    return score


def local_path(uri: str) -> str:
    """A local file's path as Spark names it (file:/a%20b.csv), plain (/a b.csv)."""
    return unquote(urlsplit(uri).path) if uri.startswith("file:") else uri


def session(master: str | None, log: Path | None) -> SparkSession:
    """A Spark session: local mode on `master` (local[*]), or None: the cluster's one.

    Local mode listens on 127.0.0.1 only, its workers run this Python, and the JVM's output
    (Spark's log) goes to `log` rather than the terminal; with no `log` (verbose), it shows.
    """
    warnings.filterwarnings("ignore", message=PANDAS_WARNING)
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkError(
            "PySpark is not installed: run `make score ENGINE=spark`, or add `--group spark` "
            "to `uv run` (pyproject.toml's spark group)"
        ) from None
    batch = ("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")  # as `score` reads
    if master is None:  # under spark-submit (or a notebook): the cluster's session
        return SparkSession.builder.config(*batch).getOrCreate()
    conf = SparkConf().set("spark.log.level", "ERROR").set(*batch)
    if not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        raise SparkError(INSTALL_JAVA)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers: this environment
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    conf.setMaster(master).setAppName("{{ cookiecutter.project_slug }} score")
    conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
    conf.set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
    popen: dict[str, Any] = {}
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        popen = {"stdout": log.open("w"), "stderr": subprocess.STDOUT}
    try:
        context = SparkContext(conf=conf, gateway=launch_gateway(conf, popen_kwargs=popen))
    except Exception as error:
        where = f"; its log: {log}" if log else ""
        raise SparkError(f"Spark did not start ({error}){where}. {INSTALL_JAVA}") from None
    return SparkSession(context)


def read(spark: SparkSession, paths: list[str], kind: str) -> DataFrame:
    """The contract's columns of CSV (as text) or Parquet files, each row's file and place."""
    from pyspark.sql import functions

    if kind == "csv":  # RFC 4180 quoting, as pyarrow reads it; an empty field is null
        frame = spark.read.csv(paths, header=True, escape='"', multiLine=True)
        place = functions.lit(None).cast("long")
    else:
        frame = spark.read.parquet(*paths)
        place = functions.col("_metadata.row_index")
    file = functions.col("_metadata.file_path")
    return frame.select(*input_columns(), place.alias(PLACE), file.alias(FILE))


def scored_frame(
    spark: SparkSession, inputs: dict[str, list[str]], model: str, sources: dict[str, str]
) -> DataFrame:
    """The combined result (scored and refused rows) of the inputs by kind, not yet computed."""
    from pyspark.sql.pandas.types import from_arrow_schema

    spark.sparkContext.addFile(model, recursive=True)
    name = model.rstrip("/").rpartition("/")[2]
    schema = from_arrow_schema(combined_schema())
    score = score_partitions(name, sources)
    results = [read(spark, paths, kind).mapInArrow(score, schema) for kind, paths in inputs.items()]
    result = results[0]
    for other in results[1:]:
        result = result.unionByName(other)
    return result


def write_outputs(result: DataFrame, out: str) -> dict[str, dict[str, int]]:
    """`<out>/scored` and `<out>/quarantine` (Parquet folders); rows by input file and kind.

    The result is kept on disk while both are written, so each row is scored once.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions

    kept = result.persist(StorageLevel.DISK_ONLY)
    try:
        scored = kept.where(functions.col(KIND) == SCORED).select(*scored_schema().names)
        refused = kept.where(functions.col(KIND) == QUARANTINED).select(
            *(functions.col(REFUSED + name).alias(name) for name in quarantine_schema().names)
        )
        scored.write.mode("overwrite").parquet(f"{out}/scored")
        refused.write.mode("overwrite").parquet(f"{out}/quarantine")
        rows: dict[str, dict[str, int]] = {}
        for file, kind, count in kept.groupBy(FILE, KIND).count().collect():
            rows.setdefault(file, {})[kind] = count
    finally:
        kept.unpersist()
    return rows
