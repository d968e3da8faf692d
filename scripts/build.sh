#!/usr/bin/env bash
# Configures and builds xyd into build/ (Release), or build-asan/ with
# SANITIZE=1 (AddressSanitizer + UndefinedBehaviorSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SANITIZE:-0}" = 1 ]; then
  dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DXYD_SANITIZE=ON)
else
  dir=build; flags=(-DCMAKE_BUILD_TYPE=Release)
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
