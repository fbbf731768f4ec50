"""`make score DATA=<file, folder or DuckDB query> OUT=<parquet>`: score a whole table.

The input streams through in record batches (never the whole table in memory); each batch
is held to the contract and scored by rows.py. Writes OUT (the scored rows), beside it
`<stem>.quarantine.parquet` (the refused rows, with the reason for each) and
`<stem>.manifest.json` (row counts, the sha256 of every input and output, the model, the
seconds taken), each whole or not at all. A killed run resumes at the input file it stopped
in (parts.py). A progress line on a terminal, one summary line otherwise. `--engine spark`
scores on Spark instead (spark_local.py), into the same files.

Exit status: 0 scored (refused rows are in the quarantine, counted in the summary); 12 the
input cannot be scored (a missing column, an unreadable or empty file, a folder holding
other files), one line per problem; 5 a missing input; 9 or 11 the model cannot be had.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa

from {{ cookiecutter.package_name }}.batch import inputs
from {{ cookiecutter.package_name }}.batch.manifest import manifest, total
from {{ cookiecutter.package_name }}.batch.model import Chosen, choose
from {{ cookiecutter.package_name }}.batch.parts import (
    Counts,
    Outputs,
    Parts,
    parquet_writer,
    temporary,
)
from {{ cookiecutter.package_name }}.batch.rows import (
    ScoreInputError,
    quarantine_schema,
    score_record_batch,
    scored_schema,
)
from {{ cookiecutter.package_name }}.core.batches import BATCHES, newest
from {{ cookiecutter.package_name }}.core.contract import fingerprint
from {{ cookiecutter.package_name }}.core.files import write_json
from {{ cookiecutter.package_name }}.core.params import load_params

log = logging.getLogger(__name__)

BATCH_ROWS = 100_000  # rows per batch: ONNX Runtime's throughput is flat from here on


class Progress:
    """A line rewritten in place on a terminal; nothing until the summary otherwise."""

    def __init__(self, stream: TextIO, parts: int) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.parts = parts
        self.started = time.monotonic()

    def update(self, part: int, rows: int, refused: int) -> None:
        """The rows scored so far (on a terminal only)."""
        if self.live:
            rate = rows / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\rscore: part {part + 1}/{self.parts}, {rows:,} rows, {refused:,} "
                f"quarantined, {rate:,.0f} rows/s "
            )
            self.stream.flush()

    def done(self, line: str) -> None:
        """The summary, on a line of its own."""
        self.stream.write(("\n" if self.live else "") + line + "\n")


@dataclass(frozen=True)
class Job:
    """One run: what it reads, scores with and writes, and where it stands."""

    data: str  # the --data given
    files: list[Path]  # the input files; none for a query
    descriptions: list[inputs.Part]  # one per part: a file, or the query
    chosen: Chosen
    parts: Parts
    progress: Progress
    batch_rows: int

    def batches(self, part: int) -> Iterator[pa.RecordBatch]:
        """The record batches of part `part`: a file's, or the query's rows."""
        if not self.files:
            return inputs.read_query(self.data, self.batch_rows)
        return inputs.read_file(self.files[part], self.batch_rows)

    def score_part(self, part: int, before: Counts) -> Counts:
        """Score one part into its part files; `before`: the counts of the parts before it."""
        scored_path, refused_path, _ = self.parts.paths(part)
        source = self.descriptions[part].name
        rows = scored = refused = 0
        with (
            parquet_writer(temporary(scored_path), scored_schema()) as good,
            parquet_writer(temporary(refused_path), quarantine_schema()) as bad,
        ):
            for batch in self.batches(part):
                kept, quarantined = score_record_batch(
                    batch, self.chosen.scorer, source=source, first_row=rows
                )
                good.write_batch(kept)
                bad.write_batch(quarantined)
                rows += batch.num_rows
                scored += kept.num_rows
                refused += quarantined.num_rows
                self.progress.update(part, before.scored + scored, before.quarantined + refused)
        counts = Counts(rows, scored, refused)
        self.parts.finish(part, counts)
        return counts

    def score(self) -> list[Counts]:
        """Score every part not done yet; the counts of each part."""
        counts: list[Counts] = []
        for part in range(len(self.descriptions)):
            done = self.parts.done(part)
            if done is None:
                before = total(counts)
                try:
                    done = self.score_part(part, before)
                except ScoreInputError:
                    self.parts.discard()  # the input must change, and the progress record with it
                    raise
            counts.append(done)
        return counts


NO_DATA = (
    "give DATA=<.csv or .parquet file, a folder of them, or a DuckDB query> (default: the "
    f"newest batch in {BATCHES}/, if any) and OUT=<file.parquet>"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The input, the output and the model."""
    parser.add_argument(
        "--data",
        metavar="INPUT",
        help="a .csv or .parquet file, a folder of them, or a DuckDB query (SELECT ...) "
        f"(default: the newest file in {BATCHES}/, names sorting by date)",
    )
    parser.add_argument("--out", type=Path, metavar="PARQUET", help="the scored rows (.parquet)")
    parser.add_argument(
        "--model",
        metavar="MODEL",
        help="a serving folder, or models:/<name>@<alias> or models:/<name>/<version> of "
        "the MLflow registry (default: the checkout's export, paths.serving)",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        metavar="N",
        help=f"rows per record batch: memory grows with it (default {BATCH_ROWS:,})",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local: this process, streaming (default); spark: Spark in local mode on every "
        "core, as on a cluster (spark_local.py; needs PySpark and Java: make score ENGINE=spark)",
    )


def run(args: argparse.Namespace) -> int:
    """`make score`: the exit status is documented at the top of this module."""
    started = time.monotonic()
    out: Path | None = args.out
    if out is None:
        log.error(f"score: {NO_DATA}")
        return 2
    if out.suffix != ".parquet" or args.batch_rows < 1:
        log.error("score: --out must name a .parquet file, --batch-rows be 1 or more")
        return 2
    if args.data is None:
        newest_batch = newest((".csv", ".parquet"))
        if newest_batch is None:  # the same message: both are needed
            log.error(f"score: {NO_DATA}")
            return 2
        args.data = str(newest_batch)
    print(f"score: {args.data}")
    if args.engine == "spark":
        from {{ cookiecutter.package_name }}.batch import spark_local

        return spark_local.run(args)
    query = inputs.is_query(args.data)
    files = [] if query else inputs.files_of(Path(args.data))
    chosen = choose(args.model, load_params())  # before the inputs are read and hashed
    if query:
        descriptions = [inputs.Part("query: " + " ".join(args.data.split()), None, None)]
    else:
        descriptions = inputs.open_parts(files)
    key = {
        "inputs": [[d.name, d.sha256] for d in descriptions],
        "model": chosen.about,
        "contract_sha256": fingerprint(),
        "batch_rows": args.batch_rows,
    }
    if query:  # a query's rows may have changed since: never resumed
        key["started"] = time.time()
    outputs = Outputs.beside(out)
    outputs.manifest.unlink(missing_ok=True)  # a manifest found always describes its output
    parts = Parts(out, key)
    if parts.resumed:
        log.info(f"score: resuming from {parts.folder}")
    progress = Progress(sys.stderr, len(descriptions))
    job = Job(args.data, files, descriptions, chosen, parts, progress, args.batch_rows)
    counts = job.score()
    parts.assemble(len(descriptions), outputs, (scored_schema(), quarantine_schema()))
    seconds = time.monotonic() - started
    content = manifest(outputs, descriptions, counts, chosen.about, seconds, resumed=parts.resumed)
    write_json(outputs.manifest, content)
    rows = content["rows"]
    progress.done(
        f"score: {rows['scored']:,} of {rows['input']:,} rows scored into {out} by model "
        f"{chosen.about['version']} in {content['seconds']:.1f} s; {rows['quarantined']:,} "
        f"quarantined ({outputs.quarantine}); manifest {outputs.manifest}"
    )
    return 0
