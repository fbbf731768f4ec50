"""What `score --data` names, read as a stream of Arrow record batches.

A CSV or Parquet file, a folder of them (each file a part of its own, so a killed run
resumes at the file it stopped in), or a DuckDB SQL query (`SELECT ... FROM 'x/*.parquet'`).
Every file is opened and its columns checked before any row is scored: a run that cannot
finish stops before it writes anything, naming each file and the fix. CSV values are read
as text and typed by the contract row by row, so one bad value refuses its row, not the
file. Only the contract's columns are read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

from {{ cookiecutter.package_name }}.batch.rows import (
    ScoreInputError,
    input_columns,
    require_columns,
)
from {{ cookiecutter.package_name }}.core.files import sha256_of

SUFFIXES = (".csv", ".parquet")
CSV_BLOCK_BYTES = 8 << 20  # about 100,000 rows of a dozen columns per batch
QUERY_WORDS = ("select", "with", "from")  # how a DuckDB query starts (anything else: a path)


@dataclass(frozen=True)
class Part:
    """One input file (or the query): its name, rows (when known up front) and sha256."""

    name: str
    rows: int | None
    sha256: str | None


def is_query(data: str) -> bool:
    """A DuckDB SQL query rather than a path."""
    return data.lstrip().split(maxsplit=1)[0].lower() in QUERY_WORDS if data.strip() else False


def files_of(path: Path) -> list[Path]:
    """The input files: the path itself, or a folder's CSV and Parquet files by name."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: give a CSV or Parquet file, or a folder of them"
        )
    if path.is_file():
        if path.suffix not in SUFFIXES:
            raise ScoreInputError(
                f"{path}: unsupported file type {path.suffix!r}: give .csv or .parquet"
            )
        return [path]
    found = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    others = [p.name for p in found if p.suffix not in SUFFIXES or not p.is_file()]
    if others:
        raise ScoreInputError(
            f"{path} holds {len(others)} entry(s) that are not CSV or Parquet files "
            f"({', '.join(others[:5])}): move them out, or score the files one by one"
        )
    if not found:
        raise ScoreInputError(f"{path} holds no .csv or .parquet file")
    return found


def csv_header(path: Path) -> list[str]:
    """The CSV's column names (its first line)."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        header = next(csv.reader(stream), None)
    if not header:
        raise ScoreInputError(f"{path} is empty: not even a header line. Export the table again")
    return header


def open_part(path: Path) -> Part:
    """Check that the file can be read and has the contract's columns, before any scoring."""
    try:
        if path.suffix == ".csv":
            require_columns(csv_header(path), str(path))
            rows = None
        else:
            metadata = pyarrow.parquet.ParquetFile(path).metadata
            require_columns(metadata.schema.to_arrow_schema().names, str(path))
            rows = metadata.num_rows
    except (OSError, UnicodeDecodeError, pa.ArrowException, csv.Error) as error:
        kind = "CSV" if path.suffix == ".csv" else "Parquet"
        raise ScoreInputError(
            f"{path} is not a readable {kind} file ({error}): it may be truncated or "
            "corrupt; copy or export it again"
        ) from None
    return Part(str(path), rows, sha256_of(path))


def open_parts(files: list[Path]) -> list[Part]:
    """Every file checked; all their problems in one error."""
    parts, problems = [], []
    for path in files:
        try:
            parts.append(open_part(path))
        except ScoreInputError as error:
            problems.append(str(error))
    if problems:
        raise ScoreInputError("\n  - ".join(["the input cannot be scored:", *problems]))
    return parts


def parquet_batches(
    path: Path, batch_rows: int = 65_536, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """A Parquet file's record batches, holding about one row group in memory at a time.

    Not pyarrow's default (pre_buffer=True): its read cache keeps every row group's bytes
    read so far until the file is closed (apache/arrow#39808), so memory grew with the
    file's size (32 MiB every 3M rows of the demo's table, 430 -> 520 MB over 10M rows).
    """
    reader = pyarrow.parquet.ParquetFile(path, pre_buffer=False)
    yield from reader.iter_batches(batch_rows, columns=columns)


def read_file(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The file's contract columns, batch by batch (CSV values as text)."""
    columns = input_columns()
    try:
        if path.suffix == ".parquet":
            yield from parquet_batches(path, batch_rows, columns)
            return
        reader = pyarrow.csv.open_csv(
            path,
            read_options=pyarrow.csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=pyarrow.csv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
            ),
        )
        yield from reader
    except (OSError, pa.ArrowException) as error:
        raise ScoreInputError(
            f"{path} could not be read to the end ({error}): it may be truncated or corrupt; "
            "copy or export it again (nothing was written)"
        ) from None


def read_query(query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The query's rows from DuckDB, batch by batch (imported only for a query)."""
    import duckdb

    connection = duckdb.connect()  # in memory; the query reads the files it names
    try:
        relation = connection.sql(query)
        reader = relation.to_arrow_reader(batch_rows) if relation is not None else None
        if reader is None:
            raise ScoreInputError(
                "the query returns no table: give a SELECT (... FROM 'x.parquet')"
            )
        require_columns(reader.schema.names, "the query")
        yield from reader
    except duckdb.Error as error:
        raise ScoreInputError(f"the query failed: {error}") from None
    finally:
        connection.close()
