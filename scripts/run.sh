#!/usr/bin/env bash
# Installs the dependencies, builds Shape Studio and runs it. Arguments go to shape-cli
# (default: `info`, then the help text).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
if (($#)); then
  exec build/app/shape-cli "$@"
fi
build/app/shape-cli info
build/app/shape-cli help
