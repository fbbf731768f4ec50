"""MLflow: runs and the model registry. The pipeline stages and the ops commands use it."""
