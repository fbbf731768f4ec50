r"""The spark-submit entry point: score files on a cluster's storage (scripts/spark_score.py).

    uv build --wheel
    spark-submit --py-files dist/{{ cookiecutter.package_name }}-0.1.0-py3-none-any.whl \
        scripts/spark_score.py --data s3a://bucket/nightly/2026-12-07/ --format parquet \
        --model s3a://bucket/models/serving --out s3a://bucket/scored/2026-12-07

Writes `<out>/scored/` and `<out>/quarantine/` (Parquet folders with the `score` command's
columns) and `<out>/manifest.json` (rows by input file and kind, the model, the seconds). The
model is a serving folder (`make repro`'s models/serving, or the one in the image) copied to
storage the cluster reads: Spark ships it to every executor. Spark's own settings (master,
memory, logging) are the cluster's and spark-submit's. See the README, "Scoring on Spark".
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from {{ cookiecutter.package_name }}.batch.spark import (
    QUARANTINED,
    SCORED,
    SparkError,
    scored_frame,
    session,
    write_outputs,
)
from {{ cookiecutter.package_name }}.core.contract import fingerprint
from {{ cookiecutter.package_name }}.core.records import loads_serving_metadata


def parser() -> argparse.ArgumentParser:
    """The job's options."""
    found = argparse.ArgumentParser(prog="spark_score.py", description=__doc__.splitlines()[0])
    found.add_argument("--data", nargs="+", required=True, help="files or folders (any URI)")
    found.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    found.add_argument("--model", required=True, help="the serving folder (any URI)")
    found.add_argument("--out", required=True, help="the folder to write (any URI)")
    return found


def write_text(spark: Any, uri: str, text: str) -> None:
    """A small file on the cluster's storage, through Hadoop's file system API."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).create(path, True)
    try:
        stream.write(bytearray(text.encode()))
    finally:
        stream.close()


def model_of(spark: Any, folder: str) -> dict[str, str]:
    """The version and run the serving folder's metadata names."""
    source = f"{folder.rstrip('/')}/metadata.json"
    text = spark.read.text(source, wholetext=True).first()[0]
    metadata = loads_serving_metadata(text, source)
    return {"version": metadata.version, "run_id": metadata.run_id}


def main(argv: Sequence[str] | None = None) -> int:
    """Score, write both outputs and the manifest; exit 0, or 12 with the reason."""
    args = parser().parse_args(argv)
    started = time.monotonic()
    spark = session(None, None)
    try:
        result = scored_frame(spark, {args.format: list(args.data)}, args.model, {})
        rows = write_outputs(result, args.out)
        files = sorted(rows.items())
        counts = {kind: sum(by.get(kind, 0) for _, by in files) for kind in (SCORED, QUARANTINED)}
        manifest = {
            "inputs": [{"path": path, "rows": sum(by.values())} for path, by in files],
            "rows": {"input": sum(counts.values()), **counts},
            "output": {"path": f"{args.out}/scored"},
            "quarantine": {"path": f"{args.out}/quarantine"},
            "model": {"source": args.model, **model_of(spark, args.model)},
            "contract_sha256": fingerprint(),
            "engine": f"spark {spark.sparkContext.master}",
            "seconds": round(time.monotonic() - started, 3),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text(spark, f"{args.out}/manifest.json", json.dumps(manifest, indent=2) + "\n")
    except SparkError as error:
        print(f"spark_score: {error}")
        return 12
    finally:
        spark.stop()
    print(f"spark_score: {json.dumps(manifest['rows'])} into {args.out}")
    return 0
