"""``python -m borderwatch``: the same command as ``borderwatch``."""

from borderwatch.app.cli.main import main

if __name__ == "__main__":
    main()
