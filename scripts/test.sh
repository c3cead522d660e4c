#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: setup, formatting and lint, types, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx biome ci --colors=off .
npx tsc -p tsconfig.json --noEmit
npm run build --silent
npx vitest run
