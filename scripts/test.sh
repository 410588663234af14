#!/usr/bin/env bash
# Installs everything, then runs every test of every package. Tests start their
# own redis-server processes on free ports; they never touch one on 6379.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "==> testing"
pnpm run test:packages
