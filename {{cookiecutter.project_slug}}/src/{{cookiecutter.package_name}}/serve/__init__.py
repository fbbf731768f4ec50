"""The scoring service. Imports only numpy, pydantic, FastAPI and onnxruntime by default."""
