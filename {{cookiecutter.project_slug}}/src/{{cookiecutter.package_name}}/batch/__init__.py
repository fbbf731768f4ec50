"""Batch scoring: a whole table through the exported model, as the service would score it.

`rows` scores one Arrow record batch (every engine's unit of work); `score` is the command
(`make score`): it streams the input, writes the scored rows, the quarantine and a manifest.
"""
