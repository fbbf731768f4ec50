"""The foundation every layer builds on: the contract, params, tasks, models, files.

Imports nothing from the layers above it (import-linter checks it in `make lint`).
"""
