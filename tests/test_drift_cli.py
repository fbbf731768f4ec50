"""`make batch` and `make drift` in a generated project, as a user runs them.

The exit status says no drift, drift or bad input, and the HTML report renders in a real browser,
offline.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from .conftest import TRAINED, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(TRAINED)]

DRIFT = "uv run --locked customer-churn drift"
RED = (0xCF, 0x22, 0x2E)  # the banner of a report that found drift (report_html.py)


@pytest.fixture(scope="module")
def project(trained_project: Path) -> Path:
    root = trained_project
    for shift in ("none", "severe"):
        run(f"make batch DRIFT={shift} ROWS=3000", root)
    return root


def test_make_drift_checks_the_newest_batch_by_default(project: Path) -> None:
    result = run("make drift", project, check=False)

    assert "drift: checking data/batches/severe.csv" in result.stdout  # sorts after none.csv
    assert result.returncode != 0


def test_make_drift_needs_a_batch_and_says_how(project: Path) -> None:
    batches, away = project / "data/batches", project / "data/batches-away"
    batches.rename(away)
    try:
        result = run("make drift", project, check=False)
    finally:
        away.rename(batches)

    assert result.returncode != 0
    assert "CURRENT=" in result.stderr


def test_exit_status_tells_no_drift_from_drift_from_bad_input(project: Path) -> None:
    def verdict() -> str:
        return str(json.loads((project / "reports/drift.json").read_text())["status"])

    unchanged = run("make drift CURRENT=data/batches/none.csv", project)
    shifted = run(f"{DRIFT} --current data/batches/severe.csv", project, check=False)
    after_shift = verdict()
    (project / "data/batches/notes.txt").write_text("not a table\n")
    unreadable = run(f"{DRIFT} --current data/batches/notes.txt", project, check=False)

    assert "## Drift check: NO DRIFT" in unchanged.stdout
    assert shifted.returncode == 1
    assert after_shift == "drift"
    assert unreadable.returncode == 2
    assert "unsupported file type '.txt'" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr
    # no script reads the old verdict after bad input: drift.json says so, drift.html is gone
    assert verdict() == "invalid_input"
    assert not (project / "reports/drift.html").exists()


def test_help_lists_the_options(project: Path) -> None:
    result = run(f"{DRIFT} --help", project)

    assert "--current" in result.stdout
    assert "--reference" in result.stdout
    assert "Exit status" in result.stdout


def paeth(left: int, up: int, corner: int) -> int:
    guess = left + up - corner
    distances = (abs(guess - left), abs(guess - up), abs(guess - corner))
    return (left, up, corner)[distances.index(min(distances))]


def pixels(png: bytes) -> list[tuple[int, int, int]]:
    """The RGB pixels of a small 8-bit PNG, each row's filter undone (standard library only)."""
    width, height, depth, color = struct.unpack(">IIBB", png[16:26])
    assert (depth, color) in {(8, 2), (8, 6)}, "expected an 8-bit RGB or RGBA screenshot"
    channels = 3 if color == 2 else 4
    idat, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        if png[at + 4 : at + 8] == b"IDAT":
            idat += png[at + 8 : at + 8 + length]
        at += length + 12
    data, stride = zlib.decompress(idat), width * channels
    above, found = bytearray(stride), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            corner = above[x - channels] if x >= channels else 0
            predicted = (0, left, above[x], (left + above[x]) // 2, paeth(left, above[x], corner))
            line[x] = (line[x] + predicted[kind]) & 0xFF
        found += [(line[x], line[x + 1], line[x + 2]) for x in range(0, stride, channels)]
        above = line
    return found


def chromium(browser: str, page: str, *options: str, cwd: Path) -> str:
    command = (
        f"{browser} --headless --no-sandbox --disable-gpu --hide-scrollbars {' '.join(options)}"
    )
    return run(f"{command} {page}", cwd).stdout


def test_html_report_renders_offline_in_a_headless_browser(project: Path, tmp_path: Path) -> None:
    # Debian's chromium; GitHub's Ubuntu runners have Chromium and Google Chrome
    browser = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    run(f"{DRIFT} --current data/batches/severe.csv", project, check=False)
    page = f"file://{project / 'reports/drift.html'}"
    size = "--window-size=1280,2400"

    dom = chromium(browser, page, "--dump-dom", cwd=tmp_path)
    chromium(browser, page, size, f"--screenshot={tmp_path / 'page.png'}", cwd=tmp_path)
    chromium(browser, "about:blank", size, f"--screenshot={tmp_path / 'blank.png'}", cwd=tmp_path)
    chromium(
        browser, page, "--window-size=320,100", f"--screenshot={tmp_path / 'top.png'}", cwd=tmp_path
    )

    assert dom.count('class="main-svg"') >= 10, "plotly.js drew no plots (it must be inline)"
    page_bytes, blank_bytes = (
        (tmp_path / "page.png").stat().st_size,
        (tmp_path / "blank.png").stat().st_size,
    )
    assert page_bytes > 10 * blank_bytes, "the screenshot is as empty as a blank page"
    top = pixels((tmp_path / "top.png").read_bytes())
    assert top.count(RED) > 0.3 * len(top), "the red DRIFT banner is not at the top"
