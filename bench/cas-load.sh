#!/usr/bin/env bash
# `make bench-cas-load`: casplus under `wrangler dev` (prebuilt Worker, development
# configuration) against PyPI django-cas-server under gunicorn (2 sync workers, SQLite), in
# one run on loopback, with the same load generator (bench/cas-load.mjs): SSO ticket issue
# (login with the SSO cookie → 302 with an ST) and ST issue + /serviceValidate pairs.
# A third server, the runtime reference (bench/runtime-ref: a JavaScript Worker with no
# application code, under the same `wrangler dev`), tells what the local runtime allows:
# a no-op request, one and two Durable Object round trips. A fourth, the same reference as
# a Rust Worker (bench/runtime-ref-rust, built like casplus), what a Rust Worker allows.
# All servers are started here, each in its own process group, and stopped by its id.
#
# BENCH_SECONDS (default 10) per scenario, BENCH_USERS (default 8) concurrent sessions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WPORT=${BENCH_WORKER_PORT:-8788}
DPORT=${BENCH_DJANGO_PORT:-8789}
RPORT=${BENCH_REF_PORT:-8790}
RRPORT=${BENCH_RUST_REF_PORT:-8791}
VENV=${BENCH_VENV:-.venv-bench}
# Pinned: the peer measured against, and what serves it.
PINS="django-cas-server==3.1.0 Django==5.2.19 gunicorn==23.0.0"
log() { printf '\033[1mcas-load:\033[0m %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -f worker/build/index.js ] || die "no prebuilt Worker: run make build-worker first"
[ -x node_modules/.bin/wrangler ] || die "no wrangler: run make build-worker first"
[ -f bench/runtime-ref-rust/build/index.js ] || die "no prebuilt Rust reference: run make bench-cas-load"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating python venv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - "$PINS" 2>/dev/null <<'PY'
import sys, importlib.metadata as m
for pin in sys.argv[1].split():
    name, version = pin.split("==")
    assert m.version(name) == version, pin
PY
then
  log "installing $PINS into $VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
fi

TMP=$(mktemp -d /tmp/casplus-cas-load.XXXXXX)
GROUPS_TO_STOP=()
cleanup() {
  local g
  for g in "${GROUPS_TO_STOP[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  sleep 0.5
  for g in "${GROUPS_TO_STOP[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# A minimal Django project serving django-cas-server at /cas (the tests' own, one script).
log "django-cas-server: migrating SQLite, user casuser, loopback service pattern"
"$VENV/bin/python" tests/tools/django_cas_project.py "$TMP/dj"
export PYTHONPATH="$TMP/dj" DJANGO_SETTINGS_MODULE=casproject.settings

log "starting gunicorn (2 workers) on 127.0.0.1:$DPORT and wrangler dev on 127.0.0.1:$WPORT"
setsid "$VENV/bin/gunicorn" --workers 2 --bind "127.0.0.1:$DPORT" --chdir "$TMP/dj" \
  --error-logfile "$TMP/gunicorn.log" casproject.wsgi:application &
GROUPS_TO_STOP+=($!)
WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true \
  setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$WPORT" --persist-to "$TMP/state" \
  >"$TMP/wrangler.log" 2>&1 &
GROUPS_TO_STOP+=($!)

(cd bench/runtime-ref && WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true \
  exec setsid "$ROOT/node_modules/.bin/wrangler" dev --ip 127.0.0.1 --port "$RPORT" --inspector-port 0 \
    --persist-to "$TMP/ref-state" >"$TMP/ref.log" 2>&1) &
GROUPS_TO_STOP+=($!)
(cd bench/runtime-ref-rust && WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true \
  exec setsid "$ROOT/node_modules/.bin/wrangler" dev --ip 127.0.0.1 --port "$RRPORT" --inspector-port 0 \
    --persist-to "$TMP/rust-ref-state" >"$TMP/rust-ref.log" 2>&1) &
GROUPS_TO_STOP+=($!)

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = 200 ]; }
for _ in $(seq 1 120); do
  ready "http://127.0.0.1:$WPORT/cas/login" && ready "http://127.0.0.1:$DPORT/cas/login" && break
  sleep 0.5
done
ready "http://127.0.0.1:$WPORT/cas/login" || { cat "$TMP/wrangler.log" >&2; die "wrangler did not start"; }
ready "http://127.0.0.1:$DPORT/cas/login" || { cat "$TMP/gunicorn.log" >&2; die "gunicorn did not start"; }
for _ in $(seq 1 60); do ready "http://127.0.0.1:$RPORT/cas/do?s=probe" && break; sleep 0.5; done
ready "http://127.0.0.1:$RPORT/cas/do?s=probe" || { cat "$TMP/ref.log" >&2; die "the runtime reference did not start"; }
for _ in $(seq 1 60); do ready "http://127.0.0.1:$RRPORT/cas/do?s=probe" && break; sleep 0.5; done
ready "http://127.0.0.1:$RRPORT/cas/do?s=probe" || { cat "$TMP/rust-ref.log" >&2; die "the Rust runtime reference did not start"; }

versions=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("django-cas-server", "Django", "gunicorn")))')
log "peer: $versions; $(nproc) CPUs; $(node --version)"
node bench/cas-load.mjs "casplus=http://127.0.0.1:$WPORT/cas" "django-cas-server=http://127.0.0.1:$DPORT/cas" \
  "ref:workerd-reference=http://127.0.0.1:$RPORT/cas" "ref:workers-rs-reference=http://127.0.0.1:$RRPORT/cas"
