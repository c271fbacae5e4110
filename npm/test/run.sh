#!/usr/bin/env bash
# `make test-npm`: packs pkg/ like a publisher would, installs the tarball into a scratch
# project like a stranger would (offline: the package has no dependencies), and runs there
#   - node --test suites for Node ESM (esm.test.mjs) and CommonJS (cjs.test.cjs),
#   - the web build in Debian Chromium via playwright-core (browser.test.mjs),
#   - the web build in workerd via miniflare, as a Cloudflare Worker uses it (worker.test.mjs),
#   - tsc --noEmit of consumer files against the shipped declarations (types/).
# Tools come from the repository's node_modules (tests/tools/setup.sh npm); fixtures from
# tests/vectors. Any missing piece fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/npm/test"

die() { printf '\033[1;31m[test-npm] %s\033[0m\n' "$*" >&2; exit 1; }
log() { printf '\033[1;34m[test-npm]\033[0m %s\n' "$*" >&2; }

# An absolute path: `npm pack NAME` would fetch a registry package called NAME.
pkg=$(cd "${1:-$root/pkg}" 2>/dev/null && pwd) || die "${1:-pkg}/ missing: run make npm first"
[ -f "$pkg/package.json" ] || die "$pkg/package.json missing: run make npm first"
[ -x "$root/node_modules/.bin/tsc" ] || die "typescript missing: run tests/tools/setup.sh npm"
[ -d "$root/node_modules/playwright-core" ] || die "playwright-core missing: run tests/tools/setup.sh npm"
[ -f "$root/node_modules/miniflare/dist/src/index.js" ] || die "miniflare (with wrangler) missing: run tests/tools/setup.sh npm"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing: run tests/tools/setup.sh chromium"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
log "npm pack $pkg"
tarball=$(cd "$scratch" && npm pack --silent "$pkg" | tail -n 1)
[ -f "$scratch/$tarball" ] || die "npm pack produced no tarball"
tar -tzf "$scratch/$tarball" | sed 's#^package/#  #' >&2

app="$scratch/app"
mkdir -p "$app"
cp "$here"/*.mjs "$here"/*.cjs "$app/"
cp -r "$here/types" "$app/types"
printf '{ "name": "casplus-consumer", "private": true, "version": "1.0.0" }\n' > "$app/package.json"
log "npm install --offline ./$tarball"
(cd "$app" && npm install --offline --no-audit --no-fund --silent "../$tarball")
[ -f "$app/node_modules/casplus/casplus_bg.wasm" ] || die "the tarball did not install"

export CASPLUS_VECTORS="$root/tests/vectors"
export CASPLUS_PLAYWRIGHT="$root/node_modules/playwright-core/index.js"
export CASPLUS_MINIFLARE="$root/node_modules/miniflare/dist/src/index.js"
log "node --test (ESM, CommonJS, Chromium, workerd)"
(cd "$app" && node --test --test-reporter=spec esm.test.mjs cjs.test.cjs browser.test.mjs worker.test.mjs)

log "tsc --noEmit against the shipped declarations"
for cfg in "$app"/types/tsconfig*.json; do
  (cd "$app/types" && "$root/node_modules/.bin/tsc" --noEmit -p "$cfg")
  echo "  $(basename "$cfg"): ok" >&2
done
