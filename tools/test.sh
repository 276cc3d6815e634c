#!/usr/bin/env bash
# README command 2: runs every test and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
DENO=.tools/node_modules/.bin/deno
[ -x "$DENO" ] || { echo "Deno is not installed here: run 'bash tools/setup.sh' first"; exit 1; }
log=$(mktemp)
NO_COLOR=1 "$DENO" task test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
rm -f "$log"
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
ignored=$(grep -oE '[0-9]+ ignored' <<<"$summary" | cut -d' ' -f1)
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed (the test run ended without a summary, exit $status)"
  exit 1
fi
echo "${passed} passed, ${failed} failed${ignored:+, ${ignored} skipped}"
exit "$status"
