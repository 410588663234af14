#!/usr/bin/env bash
# Installs everything, then runs every test of every package and app, the tests
# of the benchmarks' statistics, the publishing checks (publint + attw on each
# public package's tarball), the type-check of every README code sample, and
# the check that a package of only package.json, src/index.ts and one test
# builds, type-checks, tests and publishes. Tests start their own redis-server processes on free ports; they
# never touch one on 6379.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "==> testing"
pnpm run test:packages
echo "==> the benchmarks' statistics"
node --test bench/lib.test.mjs bench/wire.test.mjs
echo "==> publishing checks"
pnpm run check:packages
echo "==> README samples"
pnpm run check:readme
echo "==> a new package needs only package.json, src/index.ts and a test"
pnpm run check:scaffold
