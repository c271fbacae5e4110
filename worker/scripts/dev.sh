#!/usr/bin/env bash
# `make dev`: serve the prebuilt Worker (worker/build) with `wrangler dev` on
# http://127.0.0.1:8787 — the CAS under /cas, the static www/ at /. Local KV and Durable
# Object state persist in .wrangler/state (`make dev-reset` clears it). Ctrl-C stops it.
#
# CASPLUS_CONFIG=<file.toml|file.json> serves that configuration (documented in
# worker/casplus.example.toml; checked with `casplus config check`);
# without it the built-in development configuration is served (loopback only).
# CASPLUS_PORT (default 8787) picks the port.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${CASPLUS_PORT:-8787}
args=(dev --ip 127.0.0.1 --port "$PORT")

if [ -n "${CASPLUS_CONFIG:-}" ]; then
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
exec node_modules/.bin/wrangler "${args[@]}"
