"""Reading an input: a Parquet file streams, holding one row group in memory, not the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from {{ cookiecutter.package_name }}.batch.inputs import parquet_batches

GROUP_ROWS = 40_000  # 320 kB of float64 per row group


def test_a_parquet_file_is_read_holding_about_one_row_group_not_the_whole_file(
    tmp_path: Path,
) -> None:
    # pyarrow's default read cache (pre_buffer) holds every row group read so far until the
    # file is closed (apache/arrow#39808): score's memory grew with the input's size.
    numbers = np.random.default_rng(0).random(40 * GROUP_ROWS)  # incompressible
    path = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"x": numbers}), path, row_group_size=GROUP_ROWS, compression="none")
    before = pa.total_allocated_bytes()

    held = [pa.total_allocated_bytes() - before for _ in parquet_batches(path, GROUP_ROWS)]

    assert len(held) == 40
    assert max(held) < path.stat().st_size / 10, f"{max(held):,} bytes held while reading"
