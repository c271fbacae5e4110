#!/usr/bin/env bash
# `make soak`: mixed CAS traffic against `wrangler dev` (prebuilt Worker, the e2e
# configuration) for SOAK_SECONDS (default 600), asserting zero 5xx and zero double
# validations, printing throughput and p50/p99 per minute (bench/soak.mjs). Not part of
# `make test`; results in bench/RESULTS.md "Soak".
#
# Loopback only: wrangler listens on SOAK_PORT (default: a free ephemeral port), the proxy
# callback is an https server with a throwaway CA that wrangler trusts
# (NODE_EXTRA_CA_CERTS). Wrangler runs in its own process group, stopped by its id.
# SOAK_USERS (default 6) concurrent sessions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\033[1msoak:\033[0m %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[ -f worker/build/index.js ] || die "no prebuilt Worker: run make build-worker first"
[ -x node_modules/.bin/wrangler ] || die "no wrangler: run make build-worker first"

PORT=${SOAK_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
TMP=$(mktemp -d /tmp/casplus-soak.XXXXXX)
PGID=""
cleanup() {
  local rc=$?
  if [ -n "$PGID" ]; then
    kill -TERM -- "-$PGID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$PGID" 2>/dev/null || true
  fi
  [ "$rc" -ne 0 ] && [ -f "$TMP/wrangler.log" ] && { log "wrangler log (last 30 lines):"; tail -n 30 "$TMP/wrangler.log" >&2; }
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tests/tools/throwaway-ca.sh "$TMP" "casplus soak" 2
node tests/e2e/make-config.mjs "$TMP/config.json"

log "wrangler dev on 127.0.0.1:$PORT"
NODE_EXTRA_CA_CERTS="$TMP/ca.pem" \
WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true \
  setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$TMP/state" \
    --var "CASPLUS_CONFIG:$(cat "$TMP/config.json")" >"$TMP/wrangler.log" 2>&1 &
PGID=$!
for _ in $(seq 1 240); do
  kill -0 "$PGID" 2>/dev/null || die "wrangler exited early"
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/cas/login")" = 200 ] && break
  sleep 0.25
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/cas/login")" = 200 ] || die "wrangler did not become ready"

CAS_BASE="http://127.0.0.1:$PORT/cas" E2E_TMP="$TMP" node bench/soak.mjs
