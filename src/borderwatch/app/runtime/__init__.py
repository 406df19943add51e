"""app/runtime."""
