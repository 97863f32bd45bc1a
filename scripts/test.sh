#!/usr/bin/env bash
# Installs the dependencies, builds Shape Studio and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --viewers
bash scripts/build.sh
# Test-only Node tools (glTF-Validator, three.js), pinned by tests/tools/package-lock.json.
if [[ ! -d tests/tools/node_modules/gltf-validator || ! -d tests/tools/node_modules/three ]]; then
  npm ci --prefix tests/tools --no-audit --no-fund
fi
# The glTF-Validator and the viewer tests (Blender, f3d, three.js) must run here, not skip.
export SHAPE_REQUIRE_GLTF_VALIDATOR=1 SHAPE_REQUIRE_VIEWERS=1
# GUI and renderer tests open windows: give them a virtual display (Mesa's lavapipe draws).
xvfb-run -a -s '-screen 0 1280x800x24' ctest --test-dir build --output-on-failure --parallel "$(nproc)"
# The file readers under libFuzzer (clang, ASan + UBSan), 30 s per target: checkpoints, configs, images.
bash scripts/fuzz.sh 30
# Their unit tests again, built with ASan + UBSan.
bash scripts/sanitize.sh
