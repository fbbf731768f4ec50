"""The one scorer of an exported model (ONNX or skops), used by serving, export and drift."""
