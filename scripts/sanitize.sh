#!/usr/bin/env bash
# Builds the unit tests of the readers of untrusted files (checkpoints, configs, images, the CLIP
# tokenizer) with AddressSanitizer and UndefinedBehaviorSanitizer into build-sanitize/ and runs
# them (tests/sanitize/CMakeLists.txt lists which). Any finding fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S tests/sanitize -B build-sanitize -G Ninja >/dev/null
cmake --build build-sanitize --parallel "$(nproc)"
./build-sanitize/sanitized_reader_tests --gtest_brief=1
