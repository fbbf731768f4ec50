"""How reports write numbers: fixed decimals, "n/a" when missing, never "-0.0000"."""

from __future__ import annotations


def fixed(value: float | None, digits: int = 4, missing: str = "n/a") -> str:
    """`value` rounded to `digits` decimals, or `missing` when there is none."""
    if value is None:
        return missing
    return f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0 turns -0.0 into 0.0
