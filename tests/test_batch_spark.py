"""`make score ENGINE=spark` in a trained project: PySpark in local mode on a real JVM.

A folder holding the golden set (CSV) and a Parquet file with bad rows is scored on one
machine and on Spark; both write the same files with the same columns and types, the same
predictions (probabilities within 1e-5, identical labels), the same quarantine and the same
counts, and Spark's golden rows agree with the service (FastAPI's app on the same model).
Spark's log stays out of the terminal. Needs Java (.ci/run installs Debian's); the spark
group's PySpark comes from uv's cache (built once from its source archive).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import TRAINED, run

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group(TRAINED),
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="no Java runtime for PySpark: apt-get install default-jre-headless (.ci/run does)",
    ),
]

# Writes the input folder: the golden set as it is, and bad rows in a Parquet file.
INPUTS = """
import shutil, sys
from pathlib import Path
import pandas as pd
folder = Path(sys.argv[1])
folder.mkdir()
shutil.copy('data/golden/golden.csv', folder / 'golden.csv')
bad = pd.read_csv('data/golden/golden.csv').head(6).drop(columns=['churned'])
bad['customer_id'] = [f'B-{n:08d}' for n in range(1, 7)]
bad.loc[1, 'contract'] = 'weekly'
bad.loc[3, 'age'] = 130
bad.loc[4, 'monthly_charges'] = None
bad.to_parquet(folder / 'bad.parquet', index=False)
"""

# Compares the two engines' files, and Spark's golden rows with the service's answers.
COMPARE = """
import json, sys
import numpy as np, pandas as pd, pyarrow.parquet as pq
from fastapi.testclient import TestClient
from customer_churn.serve.app import create_app
from customer_churn.serve.settings import ServeSettings
local, spark = sys.argv[1:3]
def files(out):
    return [out, out.replace('.parquet', '.quarantine.parquet')]
def types(path):
    return [(field.name, str(field.type)) for field in pq.read_schema(path)]
same_types = [types(a) == types(b) for a, b in zip(files(local), files(spark))]
one = pd.read_parquet(local).set_index('customer_id').sort_index()
other = pd.read_parquet(spark).set_index('customer_id').sort_index()
refused = [
    pd.read_parquet(path).sort_values('customer_id') for path in files(local)[1:] + files(spark)[1:]
]
manifests = [json.load(open(out.replace('.parquet', '.manifest.json'))) for out in (local, spark)]
golden = pd.read_csv('data/golden/golden.csv')
rows = golden.drop(columns=['churned']).astype(object).where(golden.notna(), None)
records = rows.to_dict(orient='records')
answers = []
settings = ServeSettings(model_dir='models/serving', max_batch_rows=1000)
with TestClient(create_app(settings)) as client:
    for start in range(0, len(records), 1000):
        answers += client.post('/predict', json=records[start:start + 1000]).json()['predictions']
served = pd.DataFrame(answers, index=golden['customer_id']).sort_index()
on_spark = other.loc[served.index]
print(json.dumps({
    'same_types': same_types,
    'same_ids': one.index.equals(other.index),
    'max_diff': float(np.abs(one['probability_1'] - other['probability_1']).max()),
    'labels_differ': int((one['prediction'] != other['prediction']).sum()),
    'same_features': bool(one.iloc[:, :9].equals(other.iloc[:, :9])),
    'quarantine': [frame[['customer_id', 'source', 'reason']].values.tolist() for frame in refused],
    'rows_in_file': [frame['row'].tolist() for frame in refused],
    'counts': [m['rows'] for m in manifests],
    'inputs': [m['inputs'] for m in manifests],
    'engines': [m.get('engine') for m in manifests],
    'served_max_diff': float(np.abs(served['probability'] - on_spark['probability_1']).max()),
    'served_labels_differ': int((served['prediction'] != on_spark['prediction']).sum()),
}))
"""


def test_spark_scores_a_folder_as_one_machine_and_the_service_do(trained_project: Path) -> None:
    run(f'uv run --locked python -c "{INPUTS}" spark-in', trained_project)
    local, spark = "spark-out/local.parquet", "spark-out/spark.parquet"
    run(f"make score DATA=spark-in OUT={local}", trained_project)

    result = run(f"make score ENGINE=spark DATA=spark-in OUT={spark}", trained_project)

    assert "3,004 of 3,006 rows scored on Spark (local[*])" in result.stderr
    noise = [line for line in result.stderr.splitlines() if "WARN" in line or "Warning" in line]
    assert noise == [], result.stderr  # Spark's log goes to its file
    assert "log4j" in (trained_project / "spark-out/spark.spark.log").read_text()
    found = json.loads(
        run(f'uv run --locked python -c "{COMPARE}" {local} {spark}', trained_project).stdout
    )
    assert found["same_types"] == [True, True]
    assert found["same_ids"]
    assert found["same_features"]
    assert found["max_diff"] < 1e-5
    assert found["labels_differ"] == 0
    assert found["served_max_diff"] < 1e-5
    assert found["served_labels_differ"] == 0
    one, other = found["quarantine"]
    assert one == other  # the same rows, files and reasons
    assert [row[0] for row in one] == ["B-00000002", "B-00000004"]
    assert "contract: unknown category" in one[0][2]
    assert "age: out of range" in one[1][2]
    assert found["rows_in_file"] == [[2, 4], [2, 4]]  # a Parquet row's place, from Spark too
    assert (
        found["counts"][0]
        == found["counts"][1]
        == {
            "input": 3006,
            "scored": 3004,
            "quarantined": 2,
        }
    )
    assert found["inputs"][0] == found["inputs"][1]
    assert found["engines"] == ["local", "spark local[*]"]
    left = [path.name for path in (trained_project / "spark-out").iterdir()]
    assert not [name for name in left if name.startswith(".")]  # no part or temporary files


def test_spark_refuses_a_query_before_starting(trained_project: Path) -> None:
    result = run(
        "make score ENGINE=spark DATA=\"SELECT * FROM 'x.parquet'\" OUT=spark-out/query.parquet",
        trained_project,
        check=False,
    )

    assert result.returncode != 0
    assert "ENGINE=spark reads CSV or Parquet files" in result.stderr
    assert not (trained_project / "spark-out/query.spark.log").exists()
