#!/usr/bin/env bash
# The main job: install dependencies, build, run the demo (`xyd demo` runs
# build/xyd-demo, examples/demo.cpp, built beside build/xyd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
exec build/xyd demo --html build/demo-report.html
