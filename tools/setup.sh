#!/usr/bin/env bash
# README command 1: installs the pinned Deno from npm into .tools/, the project's packages,
# registers the Deno Jupyter kernel (when Jupyter is present), prepares the data and runs
# the course's main job on the embedded model. Idempotent; offline after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=2.9.6
DENO=.tools/node_modules/.bin/deno

if [ "$("$DENO" --version 2>/dev/null | head -n 1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  echo "installing Deno $DENO_VERSION from npm into .tools/"
  npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION"
fi
"$DENO" --version | head -n 1
"$DENO" install --frozen
"$DENO" task setup
