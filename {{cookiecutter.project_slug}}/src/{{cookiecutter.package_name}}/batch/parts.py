"""Part files beside the output: how a killed run resumes, and how no half file is ever seen.

Each input file is scored into a part of its own in `.<output name>.parts/` (scored rows,
refused rows and their counts), each part written under a temporary name and renamed when
whole. The folder's progress record names the inputs (by sha256), the model and the batch
size; a run that finds the same record keeps the parts already done, any other starts
afresh. The output is always made of the parts, in the inputs' order (one part is moved
into place, several concatenated), so a resumed run writes the same bytes as an
uninterrupted one. The output, the quarantine and the
manifest are each written under a temporary name and renamed: a reader finds them whole or
not at all.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet

from {{ cookiecutter.package_name }}.batch.inputs import parquet_batches
from {{ cookiecutter.package_name }}.core.contract import ID

PROGRESS = "progress.json"


@dataclass(frozen=True)
class Counts:
    """Rows of one part: read, scored and refused."""

    rows: int
    scored: int
    quarantined: int


@dataclass(frozen=True)
class Outputs:
    """The files a run leaves: the scored rows, the refused rows and the manifest."""

    scored: Path
    quarantine: Path
    manifest: Path

    @classmethod
    def beside(cls, out: Path) -> Outputs:
        """`out`, with `<stem>.quarantine.parquet` and `<stem>.manifest.json` beside it."""
        return cls(
            out,
            out.with_name(f"{out.stem}.quarantine.parquet"),
            out.with_name(f"{out.stem}.manifest.json"),
        )


def parquet_writer(path: Path, schema: pa.Schema) -> pyarrow.parquet.ParquetWriter:
    """A Parquet writer that dictionary-encodes only the columns with repeating values.

    The id and floating-point columns (values, probabilities) hardly repeat: trying a
    dictionary for them cost a third of the writing time, for a larger file.
    """
    repeating = [
        field.name
        for field in schema
        if not pa.types.is_floating(field.type) and field.name != (ID.name if ID else None)
    ]
    return pyarrow.parquet.ParquetWriter(path, schema, use_dictionary=repeating)


def temporary(path: Path) -> Path:
    """Where a file is written before it is renamed to `path`."""
    return path.with_name(f".{path.name}.tmp")


class Parts:
    """The parts folder of one output, and what it records."""

    def __init__(self, out: Path, key: dict[str, Any]) -> None:
        self.folder = out.with_name(f".{out.name}.parts")
        self.key = key
        self.resumed = self.folder.is_dir() and self.recorded() == key
        if not self.resumed:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            (self.folder / PROGRESS).write_text(json.dumps(key, indent=2, sort_keys=True))

    def recorded(self) -> dict[str, Any] | None:
        """The progress record found, if it is readable."""
        try:
            found: dict[str, Any] = json.loads((self.folder / PROGRESS).read_text())
        except (OSError, ValueError):
            return None
        return found

    def paths(self, index: int) -> tuple[Path, Path, Path]:
        """Part `index`'s scored rows, refused rows and counts."""
        stem = self.folder / f"{index:06d}"
        return (
            stem.with_suffix(".scored.parquet"),
            stem.with_suffix(".refused.parquet"),
            (stem.with_suffix(".counts.json")),
        )

    def done(self, index: int) -> Counts | None:
        """The counts of a part already scored (its counts are written last), else None."""
        counts = self.paths(index)[2]
        if not counts.is_file():
            return None
        return Counts(**json.loads(counts.read_text()))

    def finish(self, index: int, counts: Counts) -> None:
        """Rename the part's files into place, then record its counts: the part is done."""
        for path in self.paths(index)[:2]:
            temporary(path).replace(path)
        counts_path = self.paths(index)[2]
        temporary(counts_path).write_text(json.dumps(asdict(counts)))
        temporary(counts_path).replace(counts_path)

    def discard(self) -> None:
        """Remove the parts: what they were scored from cannot be scored."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def assemble(self, count: int, outputs: Outputs, schemas: tuple[pa.Schema, pa.Schema]) -> None:
        """Write the output and the quarantine from the parts, in order, then drop the parts."""
        for column, (path, schema) in enumerate(
            zip((outputs.scored, outputs.quarantine), schemas, strict=True)
        ):
            concatenate([self.paths(index)[column] for index in range(count)], path, schema)
        shutil.rmtree(self.folder)


def concatenate(parts: list[Path], out: Path, schema: pa.Schema) -> None:
    """The parts' rows, in order, into `out` (written beside it, then renamed).

    One part is the output already: it is moved into place.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    if len(parts) == 1:
        parts[0].replace(out)
        return
    tmp = temporary(out)
    try:
        with parquet_writer(tmp, schema) as writer:
            for part in parts:
                for batch in parquet_batches(part):
                    writer.write_batch(batch)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
