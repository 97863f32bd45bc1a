#!/usr/bin/env bash
# Installs the dependencies, builds Shape Studio and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# Test-only Node tools, pinned by tests/tools/package-lock.json.
if [[ ! -d tests/tools/node_modules/gltf-validator ]]; then
  npm ci --prefix tests/tools --no-audit --no-fund
fi
# The glTF-Validator tests must run here, not skip.
export SHAPE_REQUIRE_GLTF_VALIDATOR=1
# GUI and renderer tests open windows: give them a virtual display (Mesa's lavapipe draws).
xvfb-run -a -s '-screen 0 1280x800x24' ctest --test-dir build --output-on-failure --parallel "$(nproc)"
