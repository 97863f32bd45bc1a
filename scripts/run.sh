#!/usr/bin/env bash
# Installs the dependencies, builds Shape Studio and opens it. Arguments go to shape-studio
# (see `build/app/shape-studio --help`). Without a display, runs `shape-cli info` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec build/app/shape-studio "$@"
fi
echo "No display found: the GUI needs one. Command-line use: build/app/shape-cli help" >&2
exec build/app/shape-cli info
