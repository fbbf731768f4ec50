"""Score files on a Spark cluster: the file spark-submit runs (batch/spark_job.py says how)."""

import sys

from {{ cookiecutter.package_name }}.batch.spark_job import main

if __name__ == "__main__":
    sys.exit(main())
