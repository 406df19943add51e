"""The audit log's keys and checkpoints on disk (``keys.py``, ``checkpoints.py``)."""
