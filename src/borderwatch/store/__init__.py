"""Persistence: SQLite by default, PostgreSQL when shared (same code, another URL)."""

from borderwatch.store.sql import SqlCaseStore

__all__ = ["SqlCaseStore"]
