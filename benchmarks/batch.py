"""Batch scoring: rows per CPU-second and peak memory, on one machine and on Spark, with a peer.

On a default project (baked and through `make install repro`, or --project), the demo's own
generator (pipeline/sample_data.py) writes --rows customers into Parquet files (1M and 10M by
default). Measured in one run, each figure from the process tree of one command (every process
it starts, the JVM and Spark's Python workers included: /proc, sampled every 0.1 s):

- score: `<slug> score` end to end (read, hold to the contract, ONNX, write, manifest): rows
  per CPU-second and peak resident memory at each size;
- onnx: the serving model's predict alone on the same rows, batch by batch (the CPU of its
  calls only): rows per CPU-second, and score's share of it;
- spark: `<slug> score --engine spark` (local[*], the same per-batch function in mapInArrow)
  on --spark-rows: rows per CPU-second, peak memory of the JVM and its workers, and its
  ratio to score at the same size;
- peer: MLflow's `mlflow.pyfunc.spark_udf` of the same trained model (the registered version)
  on the same Spark local[*] and rows, writing its predictions to Parquet: the same figures.

Goals (issue 23): score >= 50k rows per CPU-second and within 1.5x of ONNX alone, at 1M and
10M rows; score's peak memory < 600 MB and flat from 1M to 10M; Spark within 3x of score.
CPU-seconds, not wall time, so other work on a shared machine slows the run but hardly moves
the figures; the wall seconds are printed too.

    uv run python benchmarks/batch.py [--rows 1000000 10000000] [--spark-rows 1000000]
                                      [--project DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _project import ENV, bake

CHUNK = 1_000_000  # rows generated at a time (each chunk its own id letter and seed)
GOAL_RATE = 50_000
GOAL_ONNX_RATIO = 1.5
GOAL_PEAK_MB = 600
GOAL_SPARK_RATIO = 3.0

GENERATE = """
import sys
import pyarrow as pa
import pyarrow.parquet as pq
from {package}.core.contract import TARGET
from {package}.pipeline.sample_data import generate

rows, out = int(sys.argv[1]), sys.argv[2]
writer = None
for chunk, start in enumerate(range(0, rows, {chunk})):
    frame = generate(min({chunk}, rows - start), seed=chunk, id_prefix=chr(ord("A") + chunk))
    table = pa.Table.from_pandas(frame.drop(columns=[TARGET.name]), preserve_index=False)
    writer = writer or pq.ParquetWriter(out, table.schema)
    writer.write_table(table, row_group_size=100_000)
writer.close()
"""

ONNX_ALONE = """
import json, sys, time
import pyarrow.parquet as pq
from {package}.core.contract import FEATURES
from {package}.scoring.runtime import load_serving

model, _ = load_serving("models/serving")
rows, cpu = 0, 0.0
for batch in pq.ParquetFile(sys.argv[1]).iter_batches(100_000):
    frame = batch.to_pandas()
    columns = {{feature.name: frame[feature.name] for feature in FEATURES}}
    start = time.process_time()
    model.predict(columns)
    cpu += time.process_time() - start
    rows += batch.num_rows
print(json.dumps({{"rows": rows, "cpu": cpu}}))
"""

SPARK_UDF = """
import sys
from pathlib import Path
import mlflow.pyfunc
from pyspark.sql import functions
from {package}.batch.spark import session
from {package}.core.contract import FEATURES
from {package}.core.files import read_json

source, out, log = sys.argv[1:4]
run = read_json(Path("models/run.json"))
mlflow.set_tracking_uri(run["tracking_uri"])
spark = session("local[*]", Path(log))
model = mlflow.pyfunc.spark_udf(
    spark, f"models:/{{run['registered_model']}}/{{run['version']}}", env_manager="local"
)
frame = spark.read.parquet(source)
# The registered model's signature takes numbers and flags as doubles (its training frame's).
columns = [
    functions.col(f.name).cast("string" if f.kind == "categorical" else "double") for f in FEATURES
]
frame.withColumn("prediction", model(*columns)).write.mode("overwrite").parquet(out)
spark.stop()
"""


@dataclass
class Usage:
    """What a command's processes used: CPU seconds, peak resident MiB (summed), wall seconds."""

    cpu: float
    peak_mb: float
    wall: float


def descendants(root: int) -> list[int]:
    """`root` and every process it started, still running."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def sample(pids: list[int], cpu: dict[int, float]) -> float:
    """Record each process's CPU seconds so far in `cpu`; return their resident MiB summed."""
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    resident = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        cpu[pid] = max(cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / tick)
        resident += int(fields[21]) * page
    return resident / 2**20


def measured(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Usage:
    """Run `command`, sampling its process tree every 0.1 s; fail loudly if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**ENV, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cpu: dict[int, float] = {}
    peak = 0.0
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or []))
    reader.start()
    while process.poll() is None:
        peak = max(peak, sample(descendants(process.pid), cpu))
        time.sleep(0.1)
    reader.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{''.join(output)}")
    return Usage(sum(cpu.values()), peak, time.perf_counter() - start)


def python(project: Path, code: str, *args: str, spark: bool = False) -> list[str]:
    """`uv run python -c code args` in the project (with PySpark for `spark`)."""
    return [*uv_run(project, spark), "python", "-c", code, *args]


def uv_run(project: Path, spark: bool) -> list[str]:
    """The project's `uv run`, with the spark group as an overlay (as make score does)."""
    if not spark:
        return ["uv", "run", "--locked", "--quiet"]
    requirements = project / ".venv" / "spark-requirements.txt"
    subprocess.run(
        [
            "uv", "export", "--locked", "--only-group", "spark", "--no-emit-project",
            "--quiet", "--output-file", str(requirements),
        ],
        cwd=project,
        check=True,
    )  # fmt: skip
    return ["uv", "run", "--locked", "--quiet", "--with-requirements", str(requirements)]


def rate(rows: int, usage: Usage) -> float:
    """Rows per CPU-second."""
    return rows / usage.cpu


def verdict(met: bool) -> str:
    """How a goal reads."""
    return "met" if met else "MISSED"


def score_figures(project: Path, slug: str, data: Path, rows: int, work: Path) -> dict[str, float]:
    """One machine end to end, and ONNX alone, on the same rows."""
    package = slug.replace("-", "_")
    out = work / f"score-{rows}.parquet"
    command = [*uv_run(project, False), slug, "score", "--data", str(data), "--out", str(out)]
    usage = measured(command, project)
    alone = subprocess.run(
        python(project, ONNX_ALONE.format(package=package), str(data)),
        cwd=project, env=ENV, capture_output=True, text=True, check=True,
    )  # fmt: skip
    onnx_cpu = json.loads(alone.stdout.strip().splitlines()[-1])["cpu"]
    return {
        "rows": rows,
        "score_rows_per_cpu_s": round(rate(rows, usage)),
        "score_cpu_s": round(usage.cpu, 1),
        "score_wall_s": round(usage.wall, 1),
        "score_peak_mb": round(usage.peak_mb),
        "onnx_rows_per_cpu_s": round(rows / onnx_cpu),
        "onnx_over_score": round(usage.cpu / onnx_cpu, 2),
    }


def spark_figures(project: Path, slug: str, data: Path, rows: int, work: Path) -> dict[str, float]:
    """Spark local[*] with our per-batch function, and MLflow's spark_udf, on the same rows."""
    package = slug.replace("-", "_")
    out = work / f"spark-{rows}.parquet"
    command = [*uv_run(project, True), slug, "score", "--engine", "spark"]
    ours = measured([*command, "--data", str(data), "--out", str(out)], project)
    peer = measured(
        python(
            project,
            SPARK_UDF.format(package=package),
            str(data), str(work / f"udf-{rows}.parquet"), str(work / "udf.log"),
            spark=True,
        ),
        project,
    )  # fmt: skip
    return {
        "rows": rows,
        "spark_rows_per_cpu_s": round(rate(rows, ours)),
        "spark_cpu_s": round(ours.cpu, 1),
        "spark_wall_s": round(ours.wall, 1),
        "spark_peak_mb": round(ours.peak_mb),
        "spark_udf_rows_per_cpu_s": round(rate(rows, peer)),
        "spark_udf_cpu_s": round(peer.cpu, 1),
        "spark_udf_wall_s": round(peer.wall, 1),
        "spark_udf_peak_mb": round(peer.peak_mb),
        "spark_over_spark_udf": round(rate(rows, ours) / rate(rows, peer), 2),
    }


def generated(project: Path, slug: str, rows: int, work: Path) -> Path:
    """`rows` customers from the demo's generator, in one Parquet file (no target column)."""
    data = work / f"customers-{rows}.parquet"
    if data.is_file():
        return data
    code = GENERATE.format(package=slug.replace("-", "_"), chunk=CHUNK)
    subprocess.run(python(project, code, str(rows), str(data)), cwd=project, env=ENV, check=True)
    return data


def main() -> None:
    """Measure, print every figure as JSON lines, then the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--project", type=Path, help="a trained project (default: bake one)")
    parser.add_argument(
        "--work", type=Path, help="keep the generated tables here, and reuse those found"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        project = args.project
        if project is None:
            project = bake(work)
            subprocess.run(["make", "install", "repro"], cwd=project, env=ENV, check=True)
        slug = project.resolve().name
        sizes = sorted({*args.rows, args.spark_rows})
        data = {rows: generated(project, slug, rows, work) for rows in sizes}
        print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        single: dict[int, dict[str, float]] = {}
        for rows in sorted({args.spark_rows, *args.rows}):
            single[rows] = score_figures(project, slug, data[rows], rows, work)
            print(json.dumps(single[rows]), flush=True)
            if rows == args.spark_rows:
                spark = spark_figures(project, slug, data[rows], rows, work)
                print(json.dumps(spark), flush=True)
        goals(single, spark, args.spark_rows)


def goals(single: dict[int, dict[str, float]], spark: dict[str, float], spark_rows: int) -> None:
    """Each goal of the issue, met or missed, with its figure."""
    for rows, figures in sorted(single.items()):
        score_rate, peak = figures["score_rows_per_cpu_s"], figures["score_peak_mb"]
        onnx_rate = figures["onnx_rows_per_cpu_s"]
        print(f"{rows:>11,} rows  score {score_rate:,.0f} rows/CPU-s (>= {GOAL_RATE:,}: "
              f"{verdict(score_rate >= GOAL_RATE)}); ONNX alone {onnx_rate:,.0f}, "
              f"score takes {figures['onnx_over_score']}x its CPU (<= {GOAL_ONNX_RATIO}: "
              f"{verdict(figures['onnx_over_score'] <= GOAL_ONNX_RATIO)}); peak {peak:,.0f} MB "
              f"(< {GOAL_PEAK_MB}: {verdict(peak < GOAL_PEAK_MB)})")  # fmt: skip
    peaks = [figures["score_peak_mb"] for _, figures in sorted(single.items())]
    if len(peaks) > 1:
        growth = peaks[-1] / peaks[0]
        print(f"peak memory from the smallest to the largest size: x{growth:.2f} (flat, <= 1.2: "
              f"{verdict(growth <= 1.2)})")  # fmt: skip
    ratio = single[spark_rows]["score_rows_per_cpu_s"] / spark["spark_rows_per_cpu_s"]
    print(f"{spark_rows:>11,} rows  spark {spark['spark_rows_per_cpu_s']:,.0f} rows/CPU-s, score "
          f"{ratio:.2f}x of it (<= {GOAL_SPARK_RATIO}: {verdict(ratio <= GOAL_SPARK_RATIO)}); "
          f"peer spark_udf {spark['spark_udf_rows_per_cpu_s']:,.0f} rows/CPU-s (spark "
          f"{spark['spark_over_spark_udf']}x the peer)")  # fmt: skip


if __name__ == "__main__":
    main()
