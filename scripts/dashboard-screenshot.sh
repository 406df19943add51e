#!/usr/bin/env bash
# Refresh docs/dashboard.png (the README's screenshot): runs the browser test, which replays
# the Coutts night into `borderwatch serve`, acknowledges the crossing alert in headless
# Chromium and saves what the page shows (at x40, so the group is still on the map).
# Needs `make test`'s .venv and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
BORDERWATCH_SCREENSHOT="$PWD/docs/dashboard.png" BORDERWATCH_REPLAY_SPEED=40 .venv/bin/pytest -q \
    tests/e2e/test_dashboard_browser.py
ls -l docs/dashboard.png
