#!/usr/bin/env bash
# End-to-end tests of the Worker over HTTP (`make test-e2e`): builds nothing (the Makefile
# built worker/build), makes a throwaway CA and certificates, starts `wrangler dev` in its
# own process group with a fresh state directory and the test configuration, waits until
# it answers, runs every tests/e2e/*.test.mjs with `node --test`, and stops wrangler by
# its process group id — also on failure or Ctrl-C.
#
# Environment: E2E_PORT (default 8797), E2E_KEEP=1 keeps the temp directory,
# E2E_FILTER=<glob> runs only matching test files.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

die() { printf '\033[1;31m[e2e] %s\033[0m\n' "$*" >&2; exit 1; }
log() { printf '\033[1;34m[e2e]\033[0m %s\n' "$*" >&2; }

# Dependencies: fail loudly, never skip.
for c in node openssl php curl; do command -v "$c" >/dev/null || die "missing '$c' (run: tests/tools/setup.sh e2e)"; done
[ -f /usr/share/php/CAS.php ] || die "missing Debian php-cas (run: tests/tools/setup.sh e2e)"
[ -x .venv/bin/python ] && .venv/bin/python -c 'import cas, importlib.util as u; assert u.find_spec("django_cas_ng") and u.find_spec("cas_server")' 2>/dev/null \
  || die "missing python-cas / django-cas-ng / django-cas-server in .venv (run: tests/tools/setup.sh e2e)"
[ -x /usr/bin/chromium ] || die "missing Debian chromium (run: tests/tools/setup.sh e2e)"
[ -f /usr/lib/apache2/modules/mod_auth_cas.so ] && [ -x /usr/sbin/apache2 ] \
  || die "missing Debian apache2-bin / libapache2-mod-auth-cas (run: tests/tools/setup.sh e2e)"
[ -x node_modules/.bin/wrangler ] || die "missing wrangler (run: tests/tools/setup.sh npm)"
[ -f worker/build/index.js ] || die "worker/build is missing: run 'make build-worker' first"
# The native TACACS+ test server (tacacs.test.mjs): built here, never skipped.
log "building the TACACS+ test server (cargo build --bin casplus)"
cargo build --quiet --bin casplus || die "cargo build --bin casplus failed"
[ -x target/debug/casplus ] || die "target/debug/casplus is missing after the build"

PORT=${E2E_PORT:-8797}
TMP=$(mktemp -d /tmp/casplus-e2e.XXXXXX)
WRANGLER_PGID=""
cleanup() {
  local rc=$?
  if [ -n "$WRANGLER_PGID" ]; then
    kill -TERM -- "-$WRANGLER_PGID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$WRANGLER_PGID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$WRANGLER_PGID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$TMP/wrangler.log" ]; then
    log "wrangler log (last 40 lines):"; tail -n 40 "$TMP/wrangler.log" >&2 || true
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/"; then
  die "port $PORT is already in use (set E2E_PORT)"
fi

# A throwaway CA that wrangler trusts (NODE_EXTRA_CA_CERTS), a certificate it signs for
# the proxy-callback server, and a self-signed certificate nobody trusts.
log "making a throwaway CA and certificates in $TMP"
tests/tools/throwaway-ca.sh "$TMP" "casplus e2e" 2 --untrusted

node tests/e2e/make-config.mjs "$TMP/config.json"

log "starting wrangler dev on 127.0.0.1:$PORT"
NODE_EXTRA_CA_CERTS="$TMP/ca.pem" \
WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true \
  setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$TMP/state" \
    --var "CASPLUS_CONFIG:$(cat "$TMP/config.json")" >"$TMP/wrangler.log" 2>&1 &
WRANGLER_PGID=$!

started=$(date +%s%N)
for _ in $(seq 1 240); do
  kill -0 "$WRANGLER_PGID" 2>/dev/null || die "wrangler exited early"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/cas/login")" = 200 ]; then
    break
  fi
  sleep 0.25
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/cas/login")" = 200 ] || die "wrangler did not become ready"
log "ready in $(( ($(date +%s%N) - started) / 1000000 )) ms"

shopt -s nullglob
files=(tests/e2e/${E2E_FILTER:-*}.test.mjs)
[ ${#files[@]} -gt 0 ] || die "no test files match"
CAS_BASE="http://127.0.0.1:$PORT/cas" E2E_TMP="$TMP" E2E_ROOT="$ROOT" \
  node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
