#!/usr/bin/env bash
# The dashboard's front-end packages (Leaflet, mgrs, Swagger UI, protomaps-leaflet), pinned
# in web/package-lock.json: `npm ci` into web/node_modules (no install scripts), then only
# the files the service serves are copied into src/borderwatch/app/http/static/vendor/
# (gitignored). Run by `make demo`, `make watch` and `make test` through a stamp, so a
# second run does nothing. Without npm, or when npm cannot fetch (offline, no cache), it
# says so and exits 0: the dashboard then loads without its map and says which command
# installs it. With --require (`make test`, so CI) either is an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIRE=0
[ "${1:-}" = "--require" ] && REQUIRE=1
give_up() {
    echo "install-web: $1; the dashboard will show no map until scripts/install-web.sh runs" >&2
    exit "$REQUIRE"
}
VENDOR=src/borderwatch/app/http/static/vendor
STAMP=$VENDOR/.installed
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(sha256sum web/package-lock.json | cut -d' ' -f1)" ]; then
    touch "$STAMP"  # already installed from this lock file (newer than it for make)
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    give_up "npm not found (install Node.js 18 or later with npm)"
fi
(cd web && npm ci --ignore-scripts --no-audit --no-fund --silent) \
    || give_up "npm ci failed in web/ (no network and nothing in npm's cache?)"
NM=web/node_modules
rm -rf "$VENDOR.tmp"
mkdir -p "$VENDOR.tmp/leaflet/images" "$VENDOR.tmp/mgrs" "$VENDOR.tmp/swagger-ui" "$VENDOR.tmp/protomaps-leaflet"
cp "$NM/leaflet/dist/leaflet.js" "$NM/leaflet/dist/leaflet.css" "$NM/leaflet/LICENSE" "$VENDOR.tmp/leaflet/"
cp "$NM"/leaflet/dist/images/*.png "$VENDOR.tmp/leaflet/images/"
cp "$NM/mgrs/dist/mgrs.min.js" "$NM/mgrs/license.md" "$VENDOR.tmp/mgrs/"
cp "$NM/swagger-ui-dist/swagger-ui-bundle.js" "$NM/swagger-ui-dist/swagger-ui.css" \
   "$NM/swagger-ui-dist/favicon-32x32.png" "$NM/swagger-ui-dist/LICENSE" "$VENDOR.tmp/swagger-ui/"
cp "$NM/protomaps-leaflet/dist/protomaps-leaflet.js" "$NM/protomaps-leaflet/LICENSE" \
   "$VENDOR.tmp/protomaps-leaflet/"
# The bundles end with a sourceMappingURL comment; the maps are not copied, so the last
# line's comment goes (only the last line: a bundle may hold the same text as a string).
for f in "$VENDOR.tmp"/*/*.js "$VENDOR.tmp"/*/*.css; do
    sed -i -e '$ s@//# sourceMappingURL=.*$@@' -e '$ s@/\*# sourceMappingURL=[^*]*\*/@@' "$f"
done
rm -rf "$VENDOR"
mv "$VENDOR.tmp" "$VENDOR"
sha256sum web/package-lock.json | cut -d' ' -f1 > "$STAMP"
echo "install-web: dashboard packages installed in $VENDOR"
