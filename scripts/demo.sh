#!/usr/bin/env bash
# Installs everything, then runs the main demo: the Restash server on
# http://127.0.0.1:8079 with its embedded Redis (data in ./.restash).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec node packages/server/dist/cli.js --port "${RESTASH_PORT:-8079}" --data-dir "${RESTASH_DATA_DIR:-./.restash}"
