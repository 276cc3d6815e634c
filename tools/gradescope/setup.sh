#!/usr/bin/env bash
# Gradescope's set-up (run once, as root, when the autograder image is built): the project's
# pinned Deno (Deno's release zip for Linux x86-64) into source/.tools/bin, then the project's
# npm packages (deno install --frozen, from deno.lock).
# AUTOGRADER_ROOT (default /autograder) moves everything for a local try-out;
# AUTOGRADER_DENO names an installed Deno and skips the system steps.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
DENO_VERSION="$(cat "$SOURCE/DENO_VERSION")"
cd "$SOURCE"

if [ -z "${AUTOGRADER_DENO:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v curl >/dev/null || ! command -v unzip >/dev/null; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends curl unzip ca-certificates
  fi
  mkdir -p .tools/bin
  curl -fsSL "https://dl.deno.land/release/v$DENO_VERSION/deno-x86_64-unknown-linux-gnu.zip" \
    -o /tmp/deno.zip
  unzip -o -q /tmp/deno.zip -d .tools/bin
  chmod +x .tools/bin/deno
fi
DENO="${AUTOGRADER_DENO:-$SOURCE/.tools/bin/deno}"
"$DENO" --version | head -n 1
"$DENO" install --frozen
echo "autograder ready: $("$DENO" --version | head -n 1), checks in $SOURCE/lib/checks"
