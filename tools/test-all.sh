#!/usr/bin/env bash
# The whole test suite: lint and typecheck every project, run every project's tests (unit and
# protocol tests against real peers), then print one closing line `N passed, N failed` summed
# from the JSON reports that each project's vitest run writes under reports/.
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false NX_SKIP_NX_CACHE=true FORCE_COLOR=0
rm -rf reports && mkdir -p reports

status=0
echo "== lint and typecheck"
npx nx run-many -t lint typecheck --outputStyle=static --parallel=2 || status=1

echo "== tests"
npx nx run-many -t test --outputStyle=static --parallel=1 || status=1

echo "== extra checks"
# The guides' and READMEs' examples run (tools/docs-check.mjs; config: its generated reference).
npx nx run-many -t docs-check --outputStyle=static || status=1
# The checked-in API reports (libs/<lib>/api/<lib>.api.md) match the sources: a stale one fails
# the run with a diff; refresh it with `node tools/api-report.mjs <lib>` (tools/api-report.mjs).
npx nx run-many -t api-report-check --outputStyle=static --parallel=1 || status=1
# The API reference generated from TSDoc (docs/api) is current: `npx nx run docs:api-reference`.
npx nx run docs:api-reference-check --outputStyle=static || status=1

# The README's first command stays true: `npm start -- --check` starts both sample apps (the
# simulated SIP Servers and their agents), fetches every page and stops (tools/start.ts).
node --conditions=@sip-endpoint/source --import tsx tools/start.ts --check || status=1

node tools/summarize-reports.mjs reports || status=1
exit $status
