#!/usr/bin/env bash
# The inspector's browser tests: builds the page (unless SKIP_BUILD=1, as `make test-browser`
# does after `make www`), then runs tests/browser/inspector.test.mjs, which starts its own
# static server on 127.0.0.1 (stopped by PID) and Debian Chromium headless via playwright-core.
# Screenshots and exports land in tests/browser/artifacts/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${SKIP_BUILD:-}" ] || make -s www
[ -x /usr/bin/chromium ] || { echo "Debian chromium missing: run tests/browser/setup.sh browser" >&2; exit 1; }
node tests/browser/make-examples.mjs --check
mkdir -p tests/browser/artifacts
exec node --test --test-concurrency=1 --test-reporter=spec "$@" tests/browser/inspector.test.mjs
