#!/usr/bin/env bash
# The whole test suite: typecheck, lint, unit tests, then integration tests that run the
# real services (they need root and Debian packages, which this script installs).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
ensure_node_modules
[ "$(id -u)" -eq 0 ] || die "the integration tests run real services in network namespaces: run as root"
ensure_system_packages
ensure_test_packages
say "typecheck (tsc --noEmit, strict)"
npx tsc --noEmit -p tsconfig.json
say "lint (biome)"
npx biome lint .
mkdir -p .state/test-results
status=0
for tier in unit integration; do
  say "$tier tests (vitest --project $tier)"
  npx vitest run --project "$tier" --passWithNoTests --reporter=default --reporter=json --outputFile=".state/test-results/$tier.json" || status=1
done
# One plain closing line for CI: "N passed, N failed".
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const t of ["unit", "integration"]) {
    const f = `.state/test-results/${t}.json`;
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
'
exit $status
