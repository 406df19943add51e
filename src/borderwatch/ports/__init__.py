"""Ports: the seams between the stages and the I/O adapters (storage, bus)."""
