#!/usr/bin/env bash
# Prepares a checkout on a machine that has only Node.js 20+: a pinned pnpm
# (installed inside the repo, no root needed), redis-server (apt-get when run as
# root, otherwise a clear message), the workspace dependencies and a build.
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

PNPM_VERSION=12.4.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "Restash needs Node.js 20 or newer (found: $(node -v 2>/dev/null || echo none))." >&2
  exit 1
fi

# pnpm: use the pinned version; newer majors may reject the lockfile.
if [ "$(pnpm -v 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$ROOT/.tools/node_modules/.bin/pnpm" ] || [ "$("$ROOT/.tools/node_modules/.bin/pnpm" -v)" != "$PNPM_VERSION" ]; then
    echo "==> installing pnpm $PNPM_VERSION into .tools/"
    npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
fi

# redis-server: the embedded default and the tests run it; redis-cli builds the tests' clusters.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing redis-server and redis-tools (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  else
    echo "redis-server and redis-cli are needed. Install them, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools" >&2
    echo "  macOS:         brew install redis" >&2
    exit 1
  fi
fi

# taskset (Linux): the server's CLI test pins it to one CPU (the one-CPU hint), as bench/run.sh pins its targets.
if [ "$(uname -s)" = "Linux" ] && ! command -v taskset >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing util-linux for taskset (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux >/dev/null
  else
    echo "taskset is needed (util-linux). Install it, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y util-linux" >&2
    exit 1
  fi
fi

# chromium: the runtime matrix (packages/runtimes) runs the client in a real headless Chromium.
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is needed (the runtime matrix runs the client in it). Install it, then run this again:" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y chromium" >&2
    echo "  elsewhere:     set CHROMIUM_PATH to a Chromium or Chrome binary" >&2
    exit 1
  fi
fi

echo "==> installing dependencies"
CI=true pnpm install --frozen-lockfile --reporter=silent
echo "==> building"
pnpm run build --output-logs=errors-only
