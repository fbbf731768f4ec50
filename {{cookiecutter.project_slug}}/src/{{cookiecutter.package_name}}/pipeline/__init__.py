"""The DVC stages of dvc.yaml: sample data, prepare, train, evaluate, export.

No stage imports another: what two stages share lives in core/.
"""
