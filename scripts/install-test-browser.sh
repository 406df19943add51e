#!/usr/bin/env bash
# The browser test (tests/e2e/test_dashboard_browser.py) drives Debian's Chromium headless.
# Installs the distribution's `chromium` package when it is missing and this runs as root
# (CI); anywhere else it only says what it found, and the browser test skips with a reason.
# Nothing is downloaded except through the system's own package manager.
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-browser: chromium not found and cannot install it here (needs root and apt-get);" \
         "the browser test will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q chromium >/dev/null; then
    apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null \
        || echo "install-test-browser: could not install chromium; the browser test will be skipped" >&2
fi
exit 0
