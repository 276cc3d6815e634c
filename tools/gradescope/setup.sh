#!/usr/bin/env bash
# Gradescope's set-up (run once, as root, when the autograder image is built): installs Node.js
# from Ubuntu, the project's pinned Deno from npm into source/.tools, and the project's npm
# packages; then grades the bundled solutions once so the image starts warm.
# AUTOGRADER_ROOT (default /autograder) moves everything for a local try-out;
# AUTOGRADER_DENO names an installed Deno and skips the system steps.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
DENO_VERSION="$(cat "$SOURCE/DENO_VERSION")"
cd "$SOURCE"

if [ -z "${AUTOGRADER_DENO:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v npm >/dev/null; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends nodejs npm ca-certificates
  fi
  npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION"
fi
DENO="${AUTOGRADER_DENO:-$SOURCE/.tools/node_modules/.bin/deno}"
"$DENO" --version | head -n 1
"$DENO" install --frozen
echo "autograder ready: $("$DENO" --version | head -n 1), checks in $SOURCE/lib/checks"
