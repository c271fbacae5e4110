#!/usr/bin/env bash
# `make dev`: serve the prebuilt Worker (worker/build) with `wrangler dev` on
# http://127.0.0.1:8787 — the CAS under /cas, the static www/ at /. Local KV and Durable
# Object state persist in .wrangler/state (`make dev-reset` clears it). Ctrl-C stops it.
#
# CASPLUS_CONFIG=<file.toml|file.json> serves that configuration (documented in
# worker/casplus.example.toml; checked with `casplus config check`);
# without it the built-in development configuration is served (loopback only).
# CASPLUS_PORT (default 8787) picks the port.
#
# TACACS=1 (`make dev TACACS=1`): also starts `casplus tacacs-server` with the demo users
# of tests/tacacs/server.json on 127.0.0.1:${TACACS_PORT:-any free port}, accounting to
# .wrangler/tacacs-acct.jsonl, its log in .wrangler/tacacs-server.log, and serves
# tests/tacacs/casplus-dev.toml pointed at it (the shared key passed as the TACACS_KEY
# secret). Ctrl-C stops both.
#
# The demo application (docs/cas-client.md "The demo application"): a second Worker,
# worker/demo-app, protected by casplus/client (the package built in pkg/ by `make npm`), served
# by a second `wrangler dev` on http://127.0.0.1:${DEMO_PORT:-8788}/ (log in
# .wrangler/demo-app.log, state in .wrangler/demo-state). CAS delivers its PGTs over https
# (§2.5.4) to https://127.0.0.1:${DEMO_TLS_PORT:-8789}/callback, where
# worker/demo-app/tls-forward.mjs terminates TLS with a certificate from a throwaway CA in
# .wrangler/demo-tls/ (trusted by the CAS Worker through NODE_EXTRA_CA_CERTS) and forwards to
# the demo. Both start and stop with the CAS. DEMO=0 leaves them out.
# TACACS_TLS=1 (with TACACS=1): the server listens on TLS 1.3 only (RFC 9887) with a
# certificate for localhost from a throwaway CA made in .wrangler/tacacs-tls/ (openssl),
# wrangler trusts that CA (NODE_EXTRA_CA_CERTS) and the configuration says tls = true,
# host = "localhost"; the TLS secrets go to .wrangler/tacacs-tls/keys.log (SSLKEYLOGFILE).
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${CASPLUS_PORT:-8787}
# Both Workers: the CAS Worker and its TACACS+ gateway (docs/tacacs.md "TACACS+ gateway").
args=(dev -c wrangler.toml -c worker/aaa/wrangler.toml --ip 127.0.0.1 --port "$PORT")

TAC_PID=""
DEMO_PID=""
FWD_PID=""
stop_tacacs() {
  if [ -n "$TAC_PID" ] && kill -0 "$TAC_PID" 2>/dev/null; then
    kill -TERM "$TAC_PID" 2>/dev/null || true
    wait "$TAC_PID" 2>/dev/null || true
    echo "casplus: stopped the TACACS+ server"
  fi
}
stop_demo() {
  # The demo's wrangler runs in its own process group (setsid): end the whole group.
  if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill -TERM -- "-$DEMO_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$DEMO_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$DEMO_PID" 2>/dev/null || true
    echo "casplus: stopped the demo application"
  fi
  if [ -n "$FWD_PID" ] && kill -0 "$FWD_PID" 2>/dev/null; then
    kill -TERM "$FWD_PID" 2>/dev/null || true
    wait "$FWD_PID" 2>/dev/null || true
  fi
}
stop_all() { stop_demo; stop_tacacs; }
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ "${TACACS:-0}" = 1 ]; then
  [ -z "${CASPLUS_CONFIG:-}" ] || { echo "TACACS=1 serves tests/tacacs/casplus-dev.toml; unset CASPLUS_CONFIG" >&2; exit 1; }
  cargo build --quiet --bin casplus
  mkdir -p .wrangler
  TAC_LOG=.wrangler/tacacs-server.log
  TAC_ACCT=.wrangler/tacacs-acct.jsonl
  : >"$TAC_LOG"
  listen=(--listen "127.0.0.1:${TACACS_PORT:-0}")
  tac_env=()
  if [ "${TACACS_TLS:-0}" = 1 ]; then
    TLS_DIR=.wrangler/tacacs-tls
    mkdir -p "$TLS_DIR"
    tests/tools/throwaway-ca.sh "$TLS_DIR" "casplus dev TACACS" 30
    listen=(--tls-listen "127.0.0.1:${TACACS_PORT:-0}" --tls-cert "$TLS_DIR/server.pem" --tls-key "$TLS_DIR/server.key")
    tac_env=(SSLKEYLOGFILE="$TLS_DIR/keys.log")
    export NODE_EXTRA_CA_CERTS="$TLS_DIR/ca.pem"
  fi
  env "${tac_env[@]}" target/debug/casplus tacacs-server --config tests/tacacs/server.json \
    "${listen[@]}" --accounting-log "$TAC_ACCT" 2>"$TAC_LOG" &
  TAC_PID=$!
  tac_port=""
  for _ in $(seq 1 100); do
    tac_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TAC_LOG" | head -n 1)
    [ -n "$tac_port" ] && break
    kill -0 "$TAC_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$tac_port" ] || { echo "casplus tacacs-server did not start:" >&2; cat "$TAC_LOG" >&2; exit 1; }
  json=$(cargo run --quiet --bin casplus -- config json tests/tacacs/casplus-dev.toml)
  json=$(node -e 'const c = JSON.parse(process.argv[1]); const s = c.tacacs.servers[0];
    s.port = Number(process.argv[2]);
    if (process.argv[3] === "1") { s.tls = true; s.host = "localhost"; }
    process.stdout.write(JSON.stringify(c))' "$json" "$tac_port" "${TACACS_TLS:-0}")
  args+=(--var "CASPLUS_CONFIG:$json" --var "TACACS_KEY:tac-test-key")
  cat <<MSG
casplus: TACACS+ mode — every login is checked by casplus tacacs-server on 127.0.0.1:$tac_port$([ "${TACACS_TLS:-0}" = 1 ] && echo " (TLS 1.3, RFC 9887; CA and key log in .wrangler/tacacs-tls/)")
  (pid $TAC_PID, demo users in tests/tacacs/README.md: alice / alice-pw, bob / bob-pap,
  carol / carol-pw is authenticated but not authorized)
  server log      $TAC_LOG   (one line per request)
  accounting log  $TAC_ACCT   (START / WATCHDOG / STOP as JSON lines)
MSG
elif [ -n "${CASPLUS_CONFIG:-}" ]; then
  [ -f "$CASPLUS_CONFIG" ] || { echo "CASPLUS_CONFIG=$CASPLUS_CONFIG: no such file" >&2; exit 1; }
  # TOML or JSON, checked and converted to one line of JSON by the CLI (every problem is
  # explained with its line; nothing is served then).
  json=$(cargo run --quiet --bin casplus -- config json "$CASPLUS_CONFIG") \
    || { echo "CASPLUS_CONFIG=$CASPLUS_CONFIG does not pass \`casplus config check\`" >&2; exit 1; }
  args+=(--var "CASPLUS_CONFIG:$json")
  echo "casplus: serving the configuration in $CASPLUS_CONFIG"
else
  cat <<MSG
casplus: serving the built-in DEVELOPMENT configuration (loopback only, never deploy it):
  user      casuser / Mellon   (attributes: email, displayName, memberOf)
  services  http(s)://127.0.0.1 and localhost on any port, with proxy rights
            (pgtUrl: https on loopback)
MSG
fi
cat <<MSG
  login     http://127.0.0.1:$PORT/cas/login
  example   http://127.0.0.1:$PORT/cas/login?service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp
  validate  http://127.0.0.1:$PORT/cas/p3/serviceValidate?service=...&ticket=ST-...
  inspector http://127.0.0.1:$PORT/
MSG

export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true

if [ "${DEMO:-1}" = 1 ]; then
  DEMO_PORT=${DEMO_PORT:-8788}
  DEMO_TLS_PORT=${DEMO_TLS_PORT:-8789}
  [ -f pkg/client/web.js ] && [ -f pkg/client/core/client_bg.wasm ] \
    || { echo "pkg/client is missing: run make npm (make dev does)" >&2; exit 1; }
  DEMO_TLS=.wrangler/demo-tls
  mkdir -p "$DEMO_TLS"
  if [ ! -s "$DEMO_TLS/server.pem" ]; then
    tests/tools/throwaway-ca.sh "$DEMO_TLS" "casplus dev demo" 365
  fi
  # The CAS Worker trusts the demo's CA (and the TACACS+ one under TACACS_TLS=1).
  cat ${NODE_EXTRA_CA_CERTS:+"$NODE_EXTRA_CA_CERTS"} "$DEMO_TLS/ca.pem" > .wrangler/dev-ca.pem
  export NODE_EXTRA_CA_CERTS=.wrangler/dev-ca.pem
  node worker/demo-app/tls-forward.mjs --cert "$DEMO_TLS/server.pem" --key "$DEMO_TLS/server.key" \
    --to "http://127.0.0.1:$DEMO_PORT" --port "$DEMO_TLS_PORT" >.wrangler/demo-tls-forward.log 2>&1 &
  FWD_PID=$!
  setsid node_modules/.bin/wrangler dev -c worker/demo-app/wrangler.toml --ip 127.0.0.1 --port "$DEMO_PORT" --inspector-port 0 \
    --persist-to .wrangler/demo-state --var "CAS_URL:http://127.0.0.1:$PORT/cas" \
    --var "SERVICE_URL:http://127.0.0.1:$DEMO_PORT" --var "PGT_CALLBACK_URL:https://127.0.0.1:$DEMO_TLS_PORT/callback" \
    >.wrangler/demo-app.log 2>&1 &
  DEMO_PID=$!
  cat <<MSG
  demo app  http://127.0.0.1:$DEMO_PORT/   (a second Worker protected by casplus/client: log in as casuser / Mellon,
            /call uses a proxy ticket, /logout logs out through CAS; log in .wrangler/demo-app.log)
MSG
  [ -z "${CASPLUS_CONFIG:-}" ] && [ "${TACACS:-0}" != 1 ] || echo "  (the demo needs its service http://127.0.0.1:$DEMO_PORT/ registered with proxy rights in your configuration)"
fi

# Not exec: the EXIT trap stops the demo application and the TACACS+ server when wrangler
# ends (Ctrl-C included).
node_modules/.bin/wrangler "${args[@]}"
