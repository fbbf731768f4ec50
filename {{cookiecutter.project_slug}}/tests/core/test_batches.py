"""The newest batch: what `make drift` and `make score` take when given none."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.core.batches import newest


def test_the_last_name_wins_among_the_suffixes_asked_for(tmp_path: Path) -> None:
    for name in ("2026-11-25.csv", "2026-11-26.parquet", "2026-11-27.jsonl", "notes.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "2026-12-01.csv").mkdir()  # a folder is not a batch

    assert newest((".csv", ".parquet", ".jsonl"), tmp_path) == tmp_path / "2026-11-27.jsonl"
    assert newest((".csv", ".parquet"), tmp_path) == tmp_path / "2026-11-26.parquet"


def test_no_folder_or_no_batch_is_none(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")

    assert newest((".csv",), tmp_path) is None
    assert newest((".csv",), tmp_path / "missing") is None
