"""app/http."""
