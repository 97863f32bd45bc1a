#!/usr/bin/env bash
# Installs every Debian package Shape Studio needs to build, run and test. Idempotent.
# --viewers adds the viewers the export tests open files in (Blender, f3d, Chromium for three.js).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

packages=(
  cmake ninja-build g++ pkgconf git
  libtorch-dev libopenblas0-pthread libgloo-dev
  libyaml-cpp-dev zlib1g-dev libicu-dev
  libimgui-dev libglfw3-dev libvulkan-dev vulkan-validationlayers vulkan-tools
  glslc glslang-tools spirv-tools mesa-vulkan-drivers
  libglm-dev libstb-dev libturbojpeg0-dev libwebp-dev libtinygltf-dev libmeshoptimizer-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libbenchmark-dev xvfb xauth xdotool xclip imagemagick libx11-dev
  clang-14 libclang-rt-14-dev                       # libFuzzer (scripts/fuzz.sh)
)
if [[ "${1:-}" == "--viewers" ]]; then
  # Blender's glTF importer needs numpy; f3d draws through Mesa GL under Xvfb.
  packages+=(blender python3-numpy f3d chromium libgl1-mesa-dri)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm run the test-only tools (the Khronos glTF-Validator); any Node >= 18 will do.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
fi
