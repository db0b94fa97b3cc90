#!/usr/bin/env bash
# Regenerates every platform icon in icons/ from icons/source.svg, the one source image.
# The Tauri CLI renders the SVG itself (no ImageMagick delegate needed). Run after `npm ci` in ui/.
set -euo pipefail
cd "$(dirname "$0")/.."
ui/node_modules/.bin/tauri icon icons/source.svg -o icons >/dev/null 2>&1
rm -rf icons/android icons/ios   # no mobile targets
echo "icons regenerated from icons/source.svg"
