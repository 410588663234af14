#!/usr/bin/env bash
# Installs everything, then runs the main demo: the Restash server on
# http://127.0.0.1:8079 with its embedded Redis (data in ./.restash), and every
# demo app in apps/ in front of it (see scripts/demo.mjs for ports).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec node scripts/demo.mjs
