#!/usr/bin/env bash
# Browser tests of the web UI: real `nic serve` on loopback, Debian's chromium driven by
# playwright-core. Installs the npm packages it needs (no browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "test-ui: chromium is not installed (apt-get install chromium); .ci/run installs it" >&2
  exit 1
fi
export NIC_BIN="${NIC_BIN:-$PWD/target/debug/nic}"
cd tests/ui
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm test
