#!/usr/bin/env bash
# The MQTT tests (tests/mqtt_fixtures.py) and bench/ingest_mqtt.py start Debian's Mosquitto.
# Installs the distribution's `mosquitto` package when it is missing and this runs as root
# (CI); anywhere else it only says what it found, and those tests skip with a reason (in CI,
# CI=true, they fail instead). Nothing is downloaded except through the system's own
# package manager. The package's own service is not what the tests use: they start their
# own broker on a free port.
set -uo pipefail
if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-services: mosquitto not found and cannot install it here (needs root" \
         "and apt-get); the MQTT tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q mosquitto >/dev/null; then
    apt-get update -q >/dev/null && apt-get install -y -q mosquitto >/dev/null \
        || echo "install-test-services: could not install mosquitto; the MQTT tests will be skipped" >&2
fi
exit 0
