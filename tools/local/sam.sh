#!/usr/bin/env bash
# Runs the project's pinned SAM CLI (from .venv) with node_modules/.bin first on PATH, so that
# `sam build` finds esbuild and Node 24. Usage: npm run sam -- build | validate --lint | deploy ...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bash "$root/tools/local/setup-python.sh"
export SAM_CLI_TELEMETRY=0
export PATH="$root/node_modules/.bin:$PATH"
cd "$root"
exec "$root/.venv/bin/sam" "$@"
