#!/usr/bin/env bash
# Refresh docs/dashboard.png (the README's screenshot): runs the browser test, which replays
# the Coutts night into `borderwatch serve`, acknowledges the crossing alert in headless
# Chromium and saves what the page shows (at x40, so the group is still on the map).
# Needs `make test`'s .venv, chromium (scripts/install-test-browser.sh) and the map's
# packages (scripts/install-web.sh). PYTHONPATH: this checkout's code, also in a git
# worktree whose .venv is another checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
PYTHONPATH="$PWD/src" BORDERWATCH_SCREENSHOT="$PWD/docs/dashboard.png" BORDERWATCH_REPLAY_SPEED=40 \
    .venv/bin/python -m pytest -q -rs tests/e2e/test_dashboard_browser.py
# A skipped test writes nothing: the old picture would stay and look refreshed.
[ "$(stat -c %Y docs/dashboard.png)" -ge "$started" ] || {
    echo "dashboard-screenshot: docs/dashboard.png was not written (was the test skipped?)" >&2
    exit 1
}
ls -l docs/dashboard.png
