#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI (the recommended-strict rules: a warning fails too),
# installed from the npm registry into WORK on first use. Exits 77 (ctest: skipped) only when
# npm or its registry cannot be reached, saying so.
#   lint.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1
work=$2
version=2.77.0
if ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: npm is not installed, so @redocly/cli cannot be fetched"
  exit 77
fi
if [ ! -x "$work/node_modules/.bin/redocly" ]; then
  mkdir -p "$work"
  if ! npm install --prefix "$work" --no-audit --no-fund --silent "@redocly/cli@$version" \
      >"$work/npm.log" 2>&1; then
    if grep -qE "ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH" "$work/npm.log"; then
      echo "SKIP: the npm registry cannot be reached:"
      tail -5 "$work/npm.log"
      exit 77
    fi
    cat "$work/npm.log"
    exit 1
  fi
fi
cd "$src"
exec "$work/node_modules/.bin/redocly" lint --config tests/openapi/redocly.yaml docs/openapi.yaml
